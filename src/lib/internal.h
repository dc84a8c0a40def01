/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libsetlastpid's insides: the target, the plan, the methods, the errors. */
#ifndef SLP_INTERNAL_H
#define SLP_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "setlastpid.h"

/*
 * The archive, libsetlastpid.a, keeps these symbols global (hidden only
 * from the shared library's table): the library's prefix keeps them out
 * of the way of a program that links it.
 */
#define call_begin(...) slp__call_begin(__VA_ARGS__)
#define caps_may_admin_mounts(...) slp__caps_may_admin_mounts(__VA_ARGS__)
#define caps_check_levels(...) slp__caps_check_levels(__VA_ARGS__)
#define caps_check_own(...) slp__caps_check_own(__VA_ARGS__)
#define command_lookup(...) slp__command_lookup(__VA_ARGS__)
#define crew_pid(...) slp__crew_pid(__VA_ARGS__)
#define crew_check_inside(...) slp__crew_check_inside(__VA_ARGS__)
#define error_clear(...) slp__error_clear(__VA_ARGS__)
#define fail_at(...) slp__fail_at(__VA_ARGS__)
#define fail_code(...) slp__fail_code(__VA_ARGS__)
#define fail_interrupted(...) slp__fail_interrupted(__VA_ARGS__)
#define fail_no_clone3(...) slp__fail_no_clone3(__VA_ARGS__)
#define fail_range(...) slp__fail_range(__VA_ARGS__)
#define fail_signal(...) slp__fail_signal(__VA_ARGS__)
#define fail_sys(...) slp__fail_sys(__VA_ARGS__)
#define fd_off_stdio(...) slp__fd_off_stdio(__VA_ARGS__)
#define find_level_in_use(...) slp__find_level_in_use(__VA_ARGS__)
#define format_pid(...) slp__format_pid(__VA_ARGS__)
#define is_procfs(...) slp__is_procfs(__VA_ARGS__)
#define kernel_has_ioctl(...) slp__kernel_has_ioctl(__VA_ARGS__)
#define last_pid_open(...) slp__last_pid_open(__VA_ARGS__)
#define lock_release(...) slp__lock_release(__VA_ARGS__)
#define lock_take(...) slp__lock_take(__VA_ARGS__)
#define method_crew slp__method_crew
#define method_ioctl slp__method_ioctl
#define method_own slp__method_own
#define method_spin slp__method_spin
#define ns_inode(...) slp__ns_inode(__VA_ARGS__)
#define ns_open(...) slp__ns_open(__VA_ARGS__)
#define ns_owner(...) slp__ns_owner(__VA_ARGS__)
#define ns_owner_uid(...) slp__ns_owner_uid(__VA_ARGS__)
#define ns_parent(...) slp__ns_parent(__VA_ARGS__)
#define ns_same(...) slp__ns_same(__VA_ARGS__)
#define ns_type(...) slp__ns_type(__VA_ARGS__)
#define nspid_read(...) slp__nspid_read(__VA_ARGS__)
#define pid_max_per_namespace(...) slp__pid_max_per_namespace(__VA_ARGS__)
#define pidns_back(...) slp__pidns_back(__VA_ARGS__)
#define pidns_restore(...) slp__pidns_restore(__VA_ARGS__)
#define pidns_save(...) slp__pidns_save(__VA_ARGS__)
#define pipe_off_stdio(...) slp__pipe_off_stdio(__VA_ARGS__)
#define plan_explain(...) slp__plan_explain(__VA_ARGS__)
#define plan_fall_back(...) slp__plan_fall_back(__VA_ARGS__)
#define plan_for_holder(...) slp__plan_for_holder(__VA_ARGS__)
#define plan_make(...) slp__plan_make(__VA_ARGS__)
#define plan_release(...) slp__plan_release(__VA_ARGS__)
#define plan_report(...) slp__plan_report(__VA_ARGS__)
#define plan_request(...) slp__plan_request(__VA_ARGS__)
#define probe_clone3(...) slp__probe_clone3(__VA_ARGS__)
#define proc_fail_missing(...) slp__proc_fail_missing(__VA_ARGS__)
#define proc_open(...) slp__proc_open(__VA_ARGS__)
#define proc_status_field(...) slp__proc_status_field(__VA_ARGS__)
#define read_pid_max(...) slp__read_pid_max(__VA_ARGS__)
#define read_text(...) slp__read_text(__VA_ARGS__)
#define run_begin(...) slp__run_begin(__VA_ARGS__)
#define run_checks(...) slp__run_checks(__VA_ARGS__)
#define run_set(...) slp__run_set(__VA_ARGS__)
#define run_write(...) slp__run_write(__VA_ARGS__)
#define target_free_own(...) slp__target_free_own(__VA_ARGS__)
#define target_is_callers(...) slp__target_is_callers(__VA_ARGS__)
#define target_level_ino(...) slp__target_level_ino(__VA_ARGS__)
#define target_or_own(...) slp__target_or_own(__VA_ARGS__)
#define target_resolve(...) slp__target_resolve(__VA_ARGS__)

#define NS_LAST_PID "/proc/sys/kernel/ns_last_pid"
#define PID_MAX "/proc/sys/kernel/pid_max"
#define OWN_PID_NS "/proc/self/ns/pid"

/* The kernel's PID_MAX_LIMIT: no pid_max is above it. */
#define PID_MAX_LIMIT (4 * 1024 * 1024)

/* Only what setlastpid.h declares leaves the library. */
#define SLP_EXPORT __attribute__((visibility("default")))

/* error.c: fill err and return -1, so that a failure is one line. */
void error_clear(struct slp_error *err);
int fail_code(struct slp_error *err, enum slp_code code, int errnum, const char *call,
	      const char *file);
int fail_sys(struct slp_error *err, int errnum, const char *call, const char *file);
/* value of level is above limit (pid_max less margin; pid_max 0 if unknown). */
int fail_range(struct slp_error *err, int level, pid_t value, long pid_max, int margin);
/*
 * A signal of set came (it is blocked): taken, so that the caller hears
 * it as this error, not by dying of it; SLP_E_INTERRUPTED while doing
 * `doing`. One the caller ignores stays ignored. 0 if none came.
 */
int fail_interrupted(struct slp_error *err, const sigset_t *set, const char *doing);
/* Signal sig, taken already, as that error: 0 if the caller ignores it. */
int fail_signal(struct slp_error *err, int sig, const char *doing);

/* The pid namespaces of a target: level[0] is the target, level[i + 1] the parent of level[i]. */
struct level {
	int fd;
	dev_t dev;		/* with ino, once asked for; ino 0 until then */
	ino_t ino;
};

struct slp_target {
	char *name;		/* for messages */
	unsigned int nr;	/* levels resolved so far */
	dev_t own_dev;		/* the caller's own pid namespace, or 0 if unknown */
	ino_t own_ino;
	struct level level[SLP_VECTOR_MAX];
};

/* target.c */
/* A NULL target is the caller's own pid namespace: opened as *own, for the call. */
int target_or_own(struct slp_target **target, struct slp_target **own, struct slp_error *err);
/* Free it; err, which may name it, then names the caller's own namespace by its path. */
void target_free_own(struct slp_target *own, struct slp_error *err);
/* Resolve the first nr levels: SLP_E_TOO_DEEP if fewer are visible. */
int target_resolve(struct slp_target *target, unsigned int nr, struct slp_error *err);
bool target_is_callers(struct slp_target *target, unsigned int i);
/* pid:[ino] names level i; 0 if it cannot be had. */
uint64_t target_level_ino(struct slp_target *target, unsigned int i);
/* Fill err's level, its inode and the target's name; return -1. */
int fail_at(struct slp_error *err, struct slp_target *target, unsigned int i);

/* nsfs.c: namespace files, thin ioctl wrappers; descriptors never 0, 1 or 2 */
int fd_off_stdio(int fd);
int pipe_off_stdio(int fds[2]);
int ns_open(const char *path);
int ns_type(int fd);
int ns_parent(int fd);
int ns_owner(int fd);
uid_t ns_owner_uid(int userns_fd);
bool ns_same(int fd_a, int fd_b);
ino_t ns_inode(int fd);
/* A small file read into buf by one read(), NUL-terminated: its length, or -1 with errno. */
ssize_t read_text(int dir_fd, const char *path, char *buf, size_t size);
/* The NSpid line of a /proc/PID/status: outermost first. How many, or -1. */
int nspid_read(int dir_fd, const char *path, pid_t *nspid, int max);
/* A pid in decimal, as ns_last_pid takes it, in buf (16 bytes): its length. No stdio. */
size_t format_pid(char *buf, pid_t pid);

/*
 * procfs.c: /proc as this process finds it. proc_open() opens a file of
 * it, and says why it could not: /proc not mounted, another pid
 * namespace's, the file missing or refused.
 */
int proc_open(const char *path, int flags, struct slp_error *err);
/* A file of /proc is missing (ENOENT): is /proc not there, or not this process's? */
int proc_fail_missing(const char *path, struct slp_error *err);
/* Is fd procfs's own (a container masks a file by mounting over it: errno ENOTSUP)? */
bool is_procfs(int fd);
/* A line "FIELD:\tVALUE" of /proc/self/status: its value, or -1. */
int proc_status_field(const char *field, char *value, size_t size);
int read_pid_max(int *pid_max, struct slp_error *err);
/* Linux 6.14 and later: a pid_max per pid namespace, read from inside it. */
bool pid_max_per_namespace(void);
/*
 * The calling thread's pid_for_children, to put back after setns(): an
 * fd, or -1 with err. Taken before the first write, so that no want of a
 * descriptor can leave the caller's next child in a level.
 */
int pidns_save(struct slp_error *err);
/* Back to saved, which stays open; pidns_restore() closes it too. */
void pidns_back(int saved);
void pidns_restore(int saved);

/* caps.c: the caller's capabilities, by the kernel's rules */
/*
 * Levels from..to - 1 of target: may the caller set each? Those in
 * `entered` (bit i) have a task born in them, which needs CAP_SYS_ADMIN
 * over their owner and in the caller's own user namespace; the rest,
 * written, CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE. SLP_E_DENIED if not.
 */
int caps_check_levels(struct slp_target *target, unsigned int from, unsigned int to,
		      uint32_t entered, struct slp_error *err);
/* need in the caller's own user namespace: SLP_E_DENIED for `what` if not. */
int caps_check_own(enum slp_cap need, const char *what, struct slp_error *err);
/* CAP_SYS_ADMIN over the owner of the caller's mount namespace: may it unmount there? */
bool caps_may_admin_mounts(void);

/* lastpid.c: ns_last_pid, opened with flags; behind a read-only /proc/sys where the caller may. */
int last_pid_open(int flags, struct slp_error *err);

/* The checks a plan makes (run_checks() has their order): a dry run makes them all. */
enum check {
	CHECK_RESOLVE = 1 << 0,		/* the levels, as seen from here */
	CHECK_OWN_PID = 1 << 1,		/* no pid COMMAND is to have is the caller's own */
	CHECK_NEW_PIDNS = 1 << 2,	/* a pid namespace may be made below level 0 */
	CHECK_RANGE = 1 << 3,		/* each value within its level's range, as known here */
	CHECK_SPIN = 1 << 4,		/* spinning reaches the caller's own level alone */
	CHECK_OWNERS = 1 << 5,		/* the capability rule, walked in userspace */
	CHECK_ENTRY = 1 << 6,		/* setns() into each level a task is to be born in */
	CHECK_COMMAND = 1 << 7,		/* COMMAND found, and executable */
	CHECK_CLONE3 = 1 << 8,		/* clone3() with set_tid there */
	CHECK_PIDS_FREE = 1 << 9,	/* VECTOR + 1 free at every level */
	CHECK_INSIDE = 1 << 10,		/* what only a task in a level sees: its own pid_max */
};

struct method;
struct crew;
struct spin_state;

/* What a call does, decided once by the planner (plan.c), before anything. */
struct plan {
	struct slp_target *target;	/* NULL: the caller's own level, alone */
	struct slp_target *own;		/* the caller's own, opened for the call (target_or_own()) */
	const struct slp_vector *vec;
	unsigned int flags;		/* SLP_DRY_RUN, SLP_LOCK, SLP_EXACT, SLP_NEW_PIDNS */
	char *const *argv;		/* COMMAND, or NULL: the counters alone */
	enum slp_method id;		/* what the report says */
	const struct method *method;	/* how the counters are set; NULL: not at all */
	const struct method *fallback;	/* after a refusal that changed nothing, or NULL */
	const struct method *held;	/* a holder's, for requests not of its own level alone */
	unsigned int checks;		/* CHECK_*: in a dry run, and to explain a refusal */
	unsigned int before;		/* those a real run makes before it acts */
	int margin;			/* a level takes values up to its pid_max less this */
	uint32_t entered;		/* bit i: a task is to be born in level i (setns()) */
	bool enter;			/* COMMAND is born in level 0, not the caller's own */
	bool maker;			/* ...in a new pid namespace: made by a task in level 0 */
	bool kept;			/* a holder's: what the method holds stays between sets */
	const sigset_t *interrupt;	/* signals that abandon the set, or NULL */
	uint64_t max_spin, tasks;
	void (*progress)(const struct slp_progress *progress, void *arg);
	void *progress_arg;
	/* what the methods hold, once prepared */
	int lock_fd;
	int fd;				/* ns_last_pid */
	char old[16];			/* the own level's value before its write, for an undo */
	size_t old_len;
	struct crew *crew;
	struct spin_state *spin;
};

/* One way to set the counters. Nothing outside the planner asks which it is. */
struct method {
	enum slp_method id;
	/* What can fail, taken before the first write: the undo's too. */
	int (*prepare)(struct plan *plan, struct slp_error *err);
	/*
	 * Set every level, all or nothing (err->undo says); in a dry run,
	 * check what only acting would meet, and write nothing.
	 */
	int (*write)(struct plan *plan, struct slp_error *err);
	/* After a later failure: every level back; 0 if all are. */
	int (*undo)(struct plan *plan);
	/* COMMAND exists: let go of what an undo would have needed. */
	void (*commit)(struct plan *plan);
	void (*release)(struct plan *plan);
};

extern const struct method method_crew, method_ioctl, method_own, method_spin;

/* method-ioctl.c: does the kernel know NS_SET_LAST_PID_VEC? Asks, changing nothing. */
int kernel_has_ioctl(int fd);

/* method-crew.c: each level's own pid_max, read by a helper in it. */
int crew_check_inside(struct plan *plan, struct slp_error *err);
/* The pid the crew's helper of level has there; 0 if none. */
pid_t crew_pid(const struct plan *plan, unsigned int level);

/* plan.c: the planner. A call's start: err (a local one if NULL) cleared, defaults, arguments checked. */
int call_begin(struct slp_error **err, struct slp_error *local, const struct slp_options **opts,
	       const struct slp_vector *vec);
int plan_make(struct plan *plan, struct slp_target *target, const struct slp_vector *vec,
	      const struct slp_options *opts, char *const argv[], struct slp_error *err);
/* A holder's plan: every level the caller sees, the method's resources kept. */
int plan_for_holder(struct plan *plan, struct slp_target *target, const struct slp_vector *all,
		    const struct slp_options *opts, struct slp_error *err);
/* A holder's request: its own decisions, the holder's resources. */
void plan_request(struct plan *plan, const struct slp_vector *vec, unsigned int flags);
/* After a failure: switch to the plan's fallback if err allows it (nothing changed). */
bool plan_fall_back(struct plan *plan, struct slp_error *err);
void plan_report(struct plan *plan, struct slp_report *report);
/* Let go of what the plan holds; err, which may name the caller's own target, stays valid. */
void plan_release(struct plan *plan, struct slp_error *err);

/* checks.c: the checks of mask, in order; plan_explain() names the rule a kernel refused by. */
int run_checks(struct plan *plan, unsigned int mask, struct slp_error *err);
int plan_explain(struct plan *plan, struct slp_error *err);
/* COMMAND's file, as execvp() finds it: 0, or an errno. */
int command_lookup(const char *name);
/* clone3() with set_tid here: 0, or -1 with err. */
int probe_clone3(struct slp_error *err);
int fail_no_clone3(int errnum, struct slp_error *err);

/* run.c: a plan carried out, or (SLP_DRY_RUN) checked */
int run_set(struct plan *plan, struct slp_error *err);
/* Its checks, then the lock: before anything is held or written. */
int run_begin(struct plan *plan, struct slp_error *err);
/* What the method holds, then its write: after the checks and the lock. */
int run_write(struct plan *plan, struct slp_error *err);

/* lock.c: SLP_LOCK, an exclusive flock on ns_last_pid, waited for until interrupted. */
int lock_take(struct plan *plan, struct slp_error *err);
void lock_release(struct plan *plan);

/* pidscan.c: the first level where vec->pid[i] + 1 is in use; vec->nr if none. */
unsigned int find_level_in_use(const struct slp_target *target, const struct slp_vector *vec);

#endif
