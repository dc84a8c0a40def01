/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libsetlastpid's insides: the target, the plan, the methods, the errors. */
#ifndef SLP_INTERNAL_H
#define SLP_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "setlastpid.h"

/*
 * The archive, libsetlastpid.a, keeps the library's inner functions
 * global (hidden only from the shared library's table): each is named
 * with the library's prefix for the linker, out of a program's way.
 */
#define SLP_INNER(name) __asm__("slp__" #name)

#define NS_LAST_PID "/proc/sys/kernel/ns_last_pid"
#define PID_MAX "/proc/sys/kernel/pid_max"
#define OWN_PID_NS "/proc/self/ns/pid"

/* The kernel's PID_MAX_LIMIT: no pid_max is above it. */
#define PID_MAX_LIMIT (4 * 1024 * 1024)

/* Only what setlastpid.h declares leaves the library. */
#define SLP_EXPORT __attribute__((visibility("default")))

/* error.c: fill err and return -1, so that a failure is one line. */
void error_clear(struct slp_error *err) SLP_INNER(error_clear);
int fail_code(struct slp_error *err, enum slp_code code, int errnum, const char *call,
	      const char *file) SLP_INNER(fail_code);
int fail_sys(struct slp_error *err, int errnum, const char *call, const char *file)
	SLP_INNER(fail_sys);
/* value of level is above limit (pid_max less margin; pid_max 0 if unknown). */
int fail_range(struct slp_error *err, int level, pid_t value, long pid_max, int margin)
	SLP_INNER(fail_range);
/*
 * A signal of set came (it is blocked): taken, so that the caller hears
 * it as this error, not by dying of it; SLP_E_INTERRUPTED while doing
 * `doing`. One the caller ignores stays ignored. 0 if none came.
 */
int fail_interrupted(struct slp_error *err, const sigset_t *set, const char *doing)
	SLP_INNER(fail_interrupted);
/* Signal sig, taken already, as that error: 0 if the caller ignores it. */
int fail_signal(struct slp_error *err, int sig, const char *doing) SLP_INNER(fail_signal);

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
int target_or_own(struct slp_target **target, struct slp_target **own, struct slp_error *err)
	SLP_INNER(target_or_own);
/* Free it; err, which may name it, then names the caller's own namespace by its path. */
void target_free_own(struct slp_target *own, struct slp_error *err) SLP_INNER(target_free_own);
/* Every level the caller sees: the walk up stops at its own. */
int target_resolve_all(struct slp_target *target, struct slp_error *err)
	SLP_INNER(target_resolve_all);
/* Resolve the first nr levels: SLP_E_TOO_DEEP if fewer are visible. */
int target_resolve(struct slp_target *target, unsigned int nr, struct slp_error *err)
	SLP_INNER(target_resolve);
bool target_is_callers(struct slp_target *target, unsigned int i) SLP_INNER(target_is_callers);
/* pid:[ino] names level i; 0 if it cannot be had. */
uint64_t target_level_ino(struct slp_target *target, unsigned int i) SLP_INNER(target_level_ino);
/* setns() into level i failed: outside the caller's tree (EINVAL), not permitted, or else. */
int fail_entering(struct slp_error *err, struct slp_target *target, unsigned int i, int errnum)
	SLP_INNER(fail_entering);
/* Fill err's level, its inode and the target's name; return -1. */
int fail_at(struct slp_error *err, struct slp_target *target, unsigned int i) SLP_INNER(fail_at);

/* nsfs.c: namespace files, thin ioctl wrappers; descriptors never 0, 1 or 2 */
int fd_off_stdio(int fd) SLP_INNER(fd_off_stdio);
/* Close *fd, if open, and make it -1. */
void fd_close(int *fd) SLP_INNER(fd_close);
int pipe_off_stdio(int fds[2]) SLP_INNER(pipe_off_stdio);
int ns_open(const char *path) SLP_INNER(ns_open);
int ns_type(int fd) SLP_INNER(ns_type);
int ns_parent(int fd) SLP_INNER(ns_parent);
int ns_owner(int fd) SLP_INNER(ns_owner);
uid_t ns_owner_uid(int userns_fd) SLP_INNER(ns_owner_uid);
bool ns_same(int fd_a, int fd_b) SLP_INNER(ns_same);
ino_t ns_inode(int fd) SLP_INNER(ns_inode);
/* The longest status line kept: NSpid at the deepest nest, and every field read, are shorter. */
#define STATUS_LINE_MAX 512
/* A /proc status file, less its longer lines, NUL-terminated: its length, or -1 with errno. */
ssize_t read_status(int dir_fd, const char *path, char *buf, size_t size) SLP_INNER(read_status);
/* The ids of a line FIELD ("\nNSpid:") of a /proc/PID/status's text: how many, or -1. */
int status_ids(const char *status, const char *field, pid_t *ids, int max) SLP_INNER(status_ids);
/* The NSpid line of a /proc/PID/status: outermost first. How many, or -1. */
int nspid_read(int dir_fd, const char *path, pid_t *nspid, int max) SLP_INNER(nspid_read);
/*
 * fn(arg) run by a child that shares the caller's memory and files, the
 * caller asleep meanwhile (CLONE_VFORK), then reaped: 0, or -1 with errno.
 */
int run_in_child(int (*fn)(void *arg), void *arg) SLP_INNER(run_in_child);

/*
 * procfs.c: /proc as this process finds it. proc_open() opens a file of
 * it, and says why it could not: /proc not mounted, another pid
 * namespace's, the file missing or refused.
 */
int proc_open(const char *path, int flags, struct slp_error *err) SLP_INNER(proc_open);
/* A file of /proc is missing (ENOENT): is /proc not there, or not this process's? */
int proc_fail_missing(const char *path, struct slp_error *err) SLP_INNER(proc_fail_missing);
/* Is fd procfs's own (a container masks a file by mounting over it: errno ENOTSUP)? */
bool is_procfs(int fd) SLP_INNER(is_procfs);
/* A number of /proc/self/status, its line FIELD ("\nThreads:"): it, or -1. */
int proc_self_number(const char *field) SLP_INNER(proc_self_number);
int read_pid_max(int *pid_max, struct slp_error *err) SLP_INNER(read_pid_max);
/* Linux 6.14 and later: a pid_max per pid namespace, read from inside it. */
bool pid_max_per_namespace(void) SLP_INNER(pid_max_per_namespace);
/*
 * The calling thread's pid_for_children, to put back after setns(): an
 * fd, or -1 with err. Taken before the first write, so that no want of a
 * descriptor can leave the caller's next child in a level.
 */
int pidns_save(struct slp_error *err) SLP_INNER(pidns_save);
/* Back to saved, which stays open; pidns_restore() closes it too. */
void pidns_back(int saved) SLP_INNER(pidns_back);
void pidns_restore(int saved) SLP_INNER(pidns_restore);

/* caps.c: the caller's capabilities, by the kernel's rules */
/*
 * Levels from..to - 1 of target: may the caller set each? Those in
 * `entered` (bit i) have a task born in them, which needs CAP_SYS_ADMIN
 * over their owner and in the caller's own user namespace; the rest,
 * written, CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE. SLP_E_DENIED if not.
 */
int caps_check_levels(struct slp_target *target, unsigned int from, unsigned int to,
		      uint32_t entered, struct slp_error *err) SLP_INNER(caps_check_levels);
/* need in the caller's own user namespace: SLP_E_DENIED for `what` if not. */
int caps_check_own(enum slp_cap need, const char *what, struct slp_error *err)
	SLP_INNER(caps_check_own);
/* CAP_SYS_ADMIN over the owner of the caller's mount namespace: may it unmount there? */
bool caps_may_admin_mounts(void) SLP_INNER(caps_may_admin_mounts);

/* lastpid.c: ns_last_pid, opened with flags; behind a read-only /proc/sys where the caller may. */
int last_pid_open(int flags, struct slp_error *err) SLP_INNER(last_pid_open);
/* Its value now, read from fd at 0 (no offset shared): 0, or -1 with errno. */
int last_pid_read(int fd, pid_t *counter) SLP_INNER(last_pid_read);

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
	unsigned int flags;		/* SLP_DRY_RUN, SLP_LOCK, SLP_EXACT, SLP_NEW_PIDNS, SLP_AT_LEAST */
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
	/* SLP_AT_LEAST: the vector raised to the counters found (vec), the levels left alone */
	struct slp_vector floor;
	uint32_t past;
};

/*
 * One way to set the counters. Nothing outside the planner asks which it
 * is; what a way has no need of is NULL.
 */
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

extern const struct method method_crew SLP_INNER(method_crew);
extern const struct method method_ioctl SLP_INNER(method_ioctl);
extern const struct method method_own SLP_INNER(method_own);
extern const struct method method_spin SLP_INNER(method_spin);

/* method-ioctl.c: does the kernel know NS_SET_LAST_PID_VEC? Asks, changing nothing. */
int kernel_has_ioctl(int fd) SLP_INNER(kernel_has_ioctl);

/* method-crew.c: each level's own pid_max, read by a helper in it. */
int crew_check_inside(struct plan *plan, struct slp_error *err) SLP_INNER(crew_check_inside);
/* The pid the crew's helper of level has there; 0 if none. */
pid_t crew_pid(const struct plan *plan, unsigned int level) SLP_INNER(crew_pid);

/* get.c: a report's 1.0 fields, the rest untouched: method, nr, no inode yet, no task. */
void report_start(struct slp_report *report, enum slp_method method, uint32_t nr)
	SLP_INNER(report_start);
/* Each of the first nr levels' counter, as a task created in level 0 moves it. */
int read_counters(struct slp_target *target, unsigned int nr, pid_t *counter,
		  struct slp_error *err) SLP_INNER(read_counters);

/* plan.c: the planner. A call's start: err (a local one if NULL) cleared, defaults, arguments checked. */
int call_begin(struct slp_error **err, struct slp_error *local, const struct slp_options **opts,
	       const struct slp_vector *vec) SLP_INNER(call_begin);
int plan_make(struct plan *plan, struct slp_target *target, const struct slp_vector *vec,
	      const struct slp_options *opts, char *const argv[], struct slp_error *err)
	SLP_INNER(plan_make);
/* A holder's plan: every level the caller sees, the method's resources kept. */
int plan_for_holder(struct plan *plan, struct slp_target *target, const struct slp_vector *all,
		    const struct slp_options *opts, struct slp_error *err)
	SLP_INNER(plan_for_holder);
/* A holder's request: its own decisions, the holder's resources. */
void plan_request(struct plan *plan, const struct slp_vector *vec, unsigned int flags)
	SLP_INNER(plan_request);
/*
 * SLP_AT_LEAST, after the checks and the lock: the counters read, the
 * levels at or past their values left alone. 1 if every one is (nothing
 * to write), 0 if some are to be raised (plan->vec), -1 with err.
 */
int plan_floor(struct plan *plan, struct slp_error *err) SLP_INNER(plan_floor);
/* After a failure: switch to the plan's fallback if err allows it (nothing changed). */
bool plan_fall_back(struct plan *plan, struct slp_error *err) SLP_INNER(plan_fall_back);
void plan_report(struct plan *plan, struct slp_report *report) SLP_INNER(plan_report);
/* Let go of what the plan holds; err, which may name the caller's own target, stays valid. */
void plan_release(struct plan *plan, struct slp_error *err) SLP_INNER(plan_release);

/* checks.c: the checks of mask, in order; plan_explain() names the rule a kernel refused by. */
int run_checks(struct plan *plan, unsigned int mask, struct slp_error *err) SLP_INNER(run_checks);
int plan_explain(struct plan *plan, struct slp_error *err) SLP_INNER(plan_explain);
/*
 * The kernel refused the act whole (errnum: call what, or the target)
 * and changed nothing: EINVAL and EPERM by a rule the checks name, else
 * a system error.
 */
int plan_refused(struct plan *plan, int errnum, const char *call, const char *what,
		 struct slp_error *err) SLP_INNER(plan_refused);
/* clone3() with set_tid here: 0, or -1 with err. */
int probe_clone3(struct slp_error *err) SLP_INNER(probe_clone3);
int fail_no_clone3(int errnum, struct slp_error *err) SLP_INNER(fail_no_clone3);

/* run.c: a plan carried out, or (SLP_DRY_RUN) checked */
int run_set(struct plan *plan, struct slp_error *err) SLP_INNER(run_set);
/* Its checks, then the lock: before anything is held or written. */
int run_begin(struct plan *plan, struct slp_error *err) SLP_INNER(run_begin);
/* What the method holds, then its write: after the checks and the lock. */
int run_write(struct plan *plan, struct slp_error *err) SLP_INNER(run_write);

/* lock.c: SLP_LOCK, an exclusive flock on ns_last_pid, waited for until interrupted. */
int lock_take(struct plan *plan, struct slp_error *err) SLP_INNER(lock_take);
void lock_release(struct plan *plan) SLP_INNER(lock_release);

/*
 * pidscan.c: every task /proc shows, threads too, in the first nr levels
 * of target or below: fn(arg, level, pid) for its pid at each of them.
 */
int scan_pids(struct slp_target *target, unsigned int nr,
	      void (*fn)(void *arg, unsigned int level, pid_t pid), void *arg,
	      struct slp_error *err) SLP_INNER(scan_pids);
/* The first level where vec->pid[i] + 1 is in use; vec->nr if none. */
unsigned int find_level_in_use(struct slp_target *target, const struct slp_vector *vec)
	SLP_INNER(find_level_in_use);

#endif
