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
#define check_entry(...) slp__check_entry(__VA_ARGS__)
#define check_new_pidns(...) slp__check_new_pidns(__VA_ARGS__)
#define check_owners(...) slp__check_owners(__VA_ARGS__)
#define check_proc(...) slp__check_proc(__VA_ARGS__)
#define check_range(...) slp__check_range(__VA_ARGS__)
#define error_clear(...) slp__error_clear(__VA_ARGS__)
#define explain_denial(...) slp__explain_denial(__VA_ARGS__)
#define fail_at(...) slp__fail_at(__VA_ARGS__)
#define fail_code(...) slp__fail_code(__VA_ARGS__)
#define fail_sys(...) slp__fail_sys(__VA_ARGS__)
#define fd_off_stdio(...) slp__fd_off_stdio(__VA_ARGS__)
#define pipe_off_stdio(...) slp__pipe_off_stdio(__VA_ARGS__)
#define find_level_in_use(...) slp__find_level_in_use(__VA_ARGS__)
#define is_procfs(...) slp__is_procfs(__VA_ARGS__)
#define kernel_has_ioctl(...) slp__kernel_has_ioctl(__VA_ARGS__)
#define lock_release(...) slp__lock_release(__VA_ARGS__)
#define may_admin_own_mounts(...) slp__may_admin_own_mounts(__VA_ARGS__)
#define may_write_own_level(...) slp__may_write_own_level(__VA_ARGS__)
#define lock_take(...) slp__lock_take(__VA_ARGS__)
#define method_ioctl slp__method_ioctl
#define method_sysctl slp__method_sysctl
#define method_spin slp__method_spin
#define method_preset slp__method_preset
#define ns_inode(...) slp__ns_inode(__VA_ARGS__)
#define ns_open(...) slp__ns_open(__VA_ARGS__)
#define ns_owner(...) slp__ns_owner(__VA_ARGS__)
#define ns_owner_uid(...) slp__ns_owner_uid(__VA_ARGS__)
#define ns_parent(...) slp__ns_parent(__VA_ARGS__)
#define ns_same(...) slp__ns_same(__VA_ARGS__)
#define ns_type(...) slp__ns_type(__VA_ARGS__)
#define nspid_read(...) slp__nspid_read(__VA_ARGS__)
#define read_text(...) slp__read_text(__VA_ARGS__)
#define open_ns_last_pid(...) slp__open_ns_last_pid(__VA_ARGS__)
#define pidns_restore(...) slp__pidns_restore(__VA_ARGS__)
#define pidns_back(...) slp__pidns_back(__VA_ARGS__)
#define pidns_saved_or_fail(...) slp__pidns_saved_or_fail(__VA_ARGS__)
#define pidns_save(...) slp__pidns_save(__VA_ARGS__)
#define pid_max_per_namespace(...) slp__pid_max_per_namespace(__VA_ARGS__)
#define plan_check(...) slp__plan_check(__VA_ARGS__)
#define proc_status_field(...) slp__proc_status_field(__VA_ARGS__)
#define plan_make(...) slp__plan_make(__VA_ARGS__)
#define plan_report(...) slp__plan_report(__VA_ARGS__)
#define plan_spin_instead(...) slp__plan_spin_instead(__VA_ARGS__)
#define plan_write(...) slp__plan_write(__VA_ARGS__)
#define read_pid_max(...) slp__read_pid_max(__VA_ARGS__)
#define target_free_own(...) slp__target_free_own(__VA_ARGS__)
#define target_is_callers(...) slp__target_is_callers(__VA_ARGS__)
#define target_level_ino(...) slp__target_level_ino(__VA_ARGS__)
#define target_or_own(...) slp__target_or_own(__VA_ARGS__)
#define target_resolve(...) slp__target_resolve(__VA_ARGS__)
#define write_own_last_pid(...) slp__write_own_last_pid(__VA_ARGS__)

#define NS_LAST_PID "/proc/sys/kernel/ns_last_pid"
#define PID_MAX "/proc/sys/kernel/pid_max"

/* Only what setlastpid.h declares leaves the library. */
#define SLP_EXPORT __attribute__((visibility("default")))

/* error.c: fill err and return -1, so that a failure is one line. */
void error_clear(struct slp_error *err);
int fail_code(struct slp_error *err, enum slp_code code, int errnum, const char *call,
	      const char *file);
int fail_sys(struct slp_error *err, int errnum, const char *call, const char *file);

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

/*
 * nsfs.c: fd, moved to 3 or above if it is 0, 1 or 2 (which the caller
 * had closed): the library's files never pose as standard streams.
 * -1 stays -1, with errno.
 */
int fd_off_stdio(int fd);
int pipe_off_stdio(int fds[2]);

/*
 * procfs.c: is fd a file of procfs? A container runtime masks a file by
 * mounting /dev/null over it (errno ENOTSUP when not).
 */
bool is_procfs(int fd);
/* Is /proc mounted, and this process's own (or an ancestor's)? Else SLP_E_*_PROC. */
int check_proc(struct slp_error *err);
/* A line "FIELD:\tVALUE" of /proc/self/status: its value, or -1. */
int proc_status_field(const char *field, char *value, size_t size);
/*
 * ns_last_pid opened with flags, off 0..2, and checked to be procfs's own;
 * if /proc/sys is read-only, from behind it where the caller may look.
 */
int open_ns_last_pid(int flags, struct slp_error *err);

/* nsfs.c: namespace files, thin ioctl wrappers */
int ns_open(const char *path);
int ns_type(int fd);
int ns_parent(int fd);
int ns_owner(int fd);
uid_t ns_owner_uid(int userns_fd);
bool ns_same(int fd_a, int fd_b);
ino_t ns_inode(int fd);
/* The NSpid line of a /proc/PID/status: outermost first. How many, or -1. */
int nspid_read(int dir_fd, const char *path, pid_t *nspid, int max);

/*
 * nsfs.c: a small file (of /proc) read into buf by one read(), then
 * NUL-terminated: its length (0: empty), or -1 with errno.
 */
ssize_t read_text(int dir_fd, const char *path, char *buf, size_t size);
/*
 * The calling thread's pid_for_children, to put back after setns():
 * an fd, or -1 with errno. Taken before the first write, so that no
 * want of a descriptor can leave the caller's next child in a level.
 */
int pidns_save(void);
/* Back to saved, which stays open. */
void pidns_back(int saved);
/* Back to saved, closed. */
void pidns_restore(int saved);
/* saved, or err (an "open" of pid_for_children that failed): -1. */
int pidns_saved_or_fail(int saved, struct slp_error *err);

/* What a run does, decided once, before anything: used by the real run and the dry run. */
struct method;

struct plan {
	struct slp_target *target;
	const struct slp_vector *vec;
	const struct method *method;
	unsigned int flags;		/* SLP_DRY_RUN, SLP_LOCK, SLP_EXACT */
	bool spawn;			/* COMMAND is created in level 0 */
	bool kernel_checks;		/* the kernel checks the whole write: nothing before it */
	const sigset_t *interrupt;	/* signals that abandon the set, or NULL */
	struct sysctl_state *sysctl;	/* the sysctl method's resources, once prepared */
	struct spin_state *spin;	/* the spin method's */
	uint64_t tasks;			/* the tasks it takes, counted up front */
	uint64_t max_spin;
	void (*progress)(const struct slp_progress *progress, void *arg);
	void *progress_arg;
};

struct method {
	enum slp_method id;
	/* The checks of this method before its first write, the kernel's own where it can. */
	int (*check)(struct plan *plan, struct slp_error *err);
	/* Everything that can fail, taken before the first write: the undo's too. */
	int (*prepare)(struct plan *plan, struct slp_error *err);
	/* Set every level; on failure, put back those written (err->undo says). */
	int (*write)(struct plan *plan, struct slp_error *err);
	/* After a later failure: put every level back; 0 if all are. */
	int (*undo)(struct plan *plan);
	/* COMMAND is created: let go of what an undo would have needed (or NULL). */
	void (*committed)(struct plan *plan);
	void (*release)(struct plan *plan);
};

extern const struct method method_ioctl;
extern const struct method method_sysctl;
extern const struct method method_spin;
extern const struct method method_preset;


/* method-ioctl.c: does the kernel know NS_SET_LAST_PID_VEC? Asks, changing nothing. */
int kernel_has_ioctl(int fd);

/* method-sysctl.c: the caller's own level alone, one write: 0, or -1 with errno. */
int write_own_last_pid(pid_t pid);

/* rules.c */
int read_pid_max(int *pid_max, struct slp_error *err);
/* Every value within its level's range, as far as the caller can tell: see rules.c. */
int check_range(struct plan *plan, bool exact, struct slp_error *err);
/* Linux 6.14 and later: a pid_max per pid namespace, read from inside it. */
bool pid_max_per_namespace(void);
/* The kernel's PID_MAX_LIMIT: no pid_max is above it. */
#define PID_MAX_LIMIT (4 * 1024 * 1024)
/* The kernel's capability rule for every level, walked in userspace. */
int check_owners(const struct plan *plan, struct slp_error *err);
/* setns() into every level a helper is to be born in: the kernel's own check. */
int check_entry(const struct plan *plan, struct slp_error *err);
/* CAP_SYS_ADMIN over the owner of the caller's mount namespace: may it unmount there? */
bool may_admin_own_mounts(void);
/* CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE in the caller's own user namespace. */
bool may_write_own_level(void);
/* SLP_NEW_PIDNS: CAP_SYS_ADMIN in the caller's own user namespace, and room below level 0. */
int check_new_pidns(const struct plan *plan, struct slp_error *err);
/* After the kernel refused a whole write with EPERM: name the level and the capability. */
int explain_denial(const struct plan *plan, int errnum, struct slp_error *err);

/* plan.c: an entry point's start: err (a local one if NULL) cleared, defaults, arguments checked */
int call_begin(struct slp_error **err, struct slp_error *local, const struct slp_options **opts,
	       const struct slp_vector *vec);
int plan_make(struct plan *plan, struct slp_target *target, const struct slp_vector *vec,
	      const struct slp_options *opts, bool spawn, struct slp_error *err);
int plan_check(struct plan *plan, struct slp_error *err);
int plan_write(struct plan *plan, struct slp_error *err);
/*
 * SLP_METHOD_AUTO, the caller's own level alone, and ns_last_pid may not
 * be written (no privilege, a read-only /proc/sys): switch the plan to
 * the spin method, err cleared, and say so.
 */
bool plan_spin_instead(struct plan *plan, const struct slp_options *opts,
		       struct slp_error *err);
void plan_report(const struct plan *plan, struct slp_report *report);

/* lock.c: SLP_LOCK, an exclusive flock on ns_last_pid: the fd, or -1. */
int lock_take(bool dry_run, struct slp_error *err);
void lock_release(int fd);

/* pidscan.c: the first level where vec->pid[i] + 1 is in use; vec->nr if none. */
unsigned int find_level_in_use(const struct slp_target *target, const struct slp_vector *vec);

#endif
