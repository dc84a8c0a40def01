/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsetlastpid: set the last pid of a pid namespace and of the
 * namespaces above it, and start a process at exactly the pids after.
 *
 * Every function returns 0 on success, or -1 and fills *err, when err
 * is not NULL, with what failed: see struct slp_error. Nothing here
 * prints, exits, installs a signal handler or keeps global state.
 * Every descriptor the library opens is closed before the call returns,
 * or belongs to a struct slp_target, closed by slp_target_free().
 *
 * Threads: distinct targets may be used from distinct threads at once;
 * one target is not to be shared by two calls at a time. Setting the
 * counters through ns_last_pid (the sysctl method) moves the calling
 * thread's pid_for_children for the length of the call, and puts it
 * back; its helpers are reaped with waitpid(__WCLONE), so another thread
 * that waits for any child with __WALL or __WCLONE may take them.
 *
 * It needs POSIX.1-2008 declarations (sigset_t): compile with the
 * compiler's GNU dialect, or define _POSIX_C_SOURCE 200809L (or
 * _GNU_SOURCE) before any header.
 *
 * See setlastpid(3).
 */
#ifndef SETLASTPID_H
#define SETLASTPID_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel's MAX_PID_NS_LEVEL: the most levels a vector may name. */
#define SLP_VECTOR_MAX 32

/*
 * Last pids, innermost namespace first: pid[0] for the target, pid[1]
 * for its parent, and so on. The layout of the NS_SET_LAST_PID_VEC
 * ioctl's struct ns_ioc_pid_vec, with room for every level.
 */
struct slp_vector {
	uint32_t nr;
	pid_t pid[SLP_VECTOR_MAX];
};

/* How the counters are set. */
enum slp_method {
	SLP_METHOD_AUTO,	/* the ioctl where the kernel has it, else sysctl */
	SLP_METHOD_IOCTL,	/* NS_SET_LAST_PID_VEC only */
	SLP_METHOD_SYSCTL,	/* /proc/sys/kernel/ns_last_pid, a helper per level */
	SLP_METHOD_EXACT,	/* no counter: clone3() set_tid (SLP_EXACT) */
	SLP_METHOD_SPIN,	/* no privilege: create and end tasks up to the value */
	SLP_METHOD_PRESET,	/* set already (by a server): slp_spawn() creates and checks */
};

/* The most tasks the spin method creates, unless told otherwise. */
#define SLP_MAX_SPIN_DEFAULT 1000000

/* How a spin is going, now and then. */
struct slp_progress {
	uint64_t done, total;	/* tasks */
	double rate;		/* tasks per second */
	double seconds_left;
	int last;		/* the spin is over */
};

/* struct slp_options.flags */
enum {
	SLP_DRY_RUN = 1 << 0,	/* every check, no change */
	SLP_LOCK = 1 << 1,	/* flock ns_last_pid until set (or COMMAND exists) */
	SLP_EXACT = 1 << 2,	/* slp_spawn(): clone3() set_tid, no counter */
	SLP_NEW_PIDNS = 1 << 3,	/* slp_spawn(): COMMAND is pid 1 of a new pid namespace */
	/*
	 * slp_set(), slp_holder_set(): a floor. Each level is raised to its
	 * value; one whose counter is there or past it already is left alone
	 * (the report says which). Never lowered, never wrapped. Since 1.1.
	 */
	SLP_AT_LEAST = 1 << 4,
};

struct slp_options {
	enum slp_method method;
	unsigned int flags;
	/*
	 * Signals that abandon a set: if one comes while the levels are being
	 * written, each is put back and the call fails with SLP_E_INTERRUPTED,
	 * the signal taken (err->signal). NULL: none does. Every signal is held
	 * on the calling thread while the levels are written, whatever this is.
	 */
	const sigset_t *interrupt;
	/* The spin method: refuse more tasks than this (0: SLP_MAX_SPIN_DEFAULT). */
	uint64_t max_spin;
	/* The spin method: called now and then from the calling thread. */
	void (*progress)(const struct slp_progress *progress, void *arg);
	void *progress_arg;
};

/* What failed: each has its exit status in setlastpid(8), slp_exit_status(). */
enum slp_code {
	SLP_OK,
	SLP_E_INVALID,		/* a bad argument to this library */
	SLP_E_SYSTEM,		/* a system call failed: call, errnum */
	SLP_E_TARGET_MISSING,	/* the target does not exist */
	SLP_E_NOT_PIDNS,	/* the target is no pid namespace: ns_type */
	SLP_E_TOO_DEEP,		/* more values (value) than levels visible (limit) */
	SLP_E_OUTSIDE,		/* a level outside the caller's pid namespace tree */
	SLP_E_RANGE,		/* value of level is above limit */
	SLP_E_REFUSED,		/* the kernel refused a value the checks allowed */
	SLP_E_PID_IN_USE,	/* COMMAND's pid value is in use in level */
	SLP_E_DENIED,		/* not permitted: level, cap, owner_ino; or call */
	SLP_E_NO_IOCTL,		/* the kernel lacks NS_SET_LAST_PID_VEC */
	SLP_E_NO_SYSCTL,	/* no /proc/sys/kernel/ns_last_pid */
	SLP_E_NO_CLONE3,	/* the kernel lacks clone3() with set_tid */
	SLP_E_STOLEN,		/* COMMAND got got, not want, in level: not run */
	SLP_E_EXEC,		/* COMMAND could not be executed: errnum */
	SLP_E_INTERRUPTED,	/* signal of opts->interrupt came: levels put back */
	SLP_E_MASKED,		/* file is not procfs's own (a container's mask) */
	SLP_E_READ_ONLY,	/* /proc/sys is read-only, and no way behind it */
	SLP_E_FILTERED,		/* a seccomp filter refuses call (clone3) */
	SLP_E_NO_PROC,		/* /proc is not mounted */
	SLP_E_FOREIGN_PROC,	/* /proc shows a pid namespace where the caller has no pid */
	SLP_E_SPIN_OWN_ONLY,	/* spinning reaches the caller's own level alone */
	SLP_E_UNREACHABLE,	/* value below 300 behind the counter (got): never again */
	SLP_E_TOO_FAR,		/* value tasks to spin, more than limit (max_spin) */
	SLP_E_OVERSHOT,		/* the counter went past want while spinning: at got */
	SLP_E_OWN_PID,		/* value + 1 in level is the caller's own pid */
	SLP_E_TOO_DEEP_NEW,	/* SLP_NEW_PIDNS: level 0 is as deep as a nest goes */
};

/* The capability the kernel asks for over the user namespace owning a level. */
enum slp_cap {
	SLP_CAP_NONE,
	SLP_CAP_SYS_ADMIN,
	SLP_CAP_SYS_ADMIN_OR_CHECKPOINT_RESTORE,
};

/* After a failure: were the levels already written put back? */
enum slp_undo {
	SLP_UNDO_NONE,		/* nothing had been written */
	SLP_UNDO_DONE,		/* every level written is back as it was */
	SLP_UNDO_FAILED,	/* some may not be */
};

/*
 * What might help, in the library's terms; a front end words it (the
 * command names its options). Set with the code, from what the call asked.
 */
enum slp_hint {
	SLP_HINT_NONE,
	SLP_HINT_RETRY,		/* another process was quicker: the same call may do */
	SLP_HINT_SERIALIZE,	/* ...and SLP_LOCK among restorers, or SLP_EXACT, prevents it */
	SLP_HINT_EXACT,		/* SLP_EXACT (clone3() set_tid) does without what failed */
	SLP_HINT_NO_EXACT,	/* the counters, without SLP_EXACT, do without what failed */
	SLP_HINT_SYSCTL,	/* SLP_METHOD_SYSCTL (or AUTO) sets the same counters */
	SLP_HINT_LOWER,		/* a value of at most limit */
	SLP_HINT_FEWER,		/* a vector of at most limit values */
	SLP_HINT_PIDNS_FILE,	/* a pid namespace file, /proc/PID/ns/pid */
	SLP_HINT_OUTER,		/* a caller in a pid namespace that contains the level */
	SLP_HINT_ORDER,		/* pids restored in descending order, or from the parent level */
	SLP_HINT_UNMASK,	/* a writable /proc/sys, or CAP_SYS_ADMIN to reach behind it */
	SLP_HINT_NO_MASK,	/* no mask over the file */
	SLP_HINT_PROC,		/* a /proc of the caller's own pid namespace or an ancestor's */
	SLP_HINT_PRIVILEGE,	/* the privilege to write ns_last_pid there, not spinning */
	SLP_HINT_MAX_SPIN,	/* a larger max_spin, or a lower pid_max there */
	SLP_HINT_EARLIER,	/* a caller in the parent level, or before the counter passed it */
	SLP_HINT_LOCK,		/* ...and SLP_LOCK among restorers prevents it (clone3() is not to be had) */
};

struct slp_error {
	enum slp_code code;
	int errnum;		/* the errno, or 0 */
	const char *call;	/* what was being done: "open", "write", ... */
	const char *target;	/* the target's name (as given to slp_target_open()) */
	const char *file;	/* a file involved, or the command for SLP_E_EXEC and its kin */
	int level;		/* the level, 0 being the target; -1 if none */
	uint64_t level_ino;	/* its inode: pid:[level_ino] */
	int64_t value;		/* the value (or the vector's length) at fault */
	int64_t limit;		/* the most it may be */
	enum slp_cap cap;	/* SLP_E_DENIED: what is needed */
	uint64_t owner_ino;	/* user:[owner_ino] owns the level; 0: above the caller's */
	int ns_type;		/* SLP_E_NOT_PIDNS: CLONE_NEW* of the file; 0: none */
	pid_t want, got;	/* SLP_E_STOLEN; spinning: the counter (got) */
	enum slp_undo undo;
	int signal;		/* SLP_E_INTERRUPTED: the signal */
	uint32_t hint;		/* enum slp_hint: what might help */
	int64_t pid_max;	/* SLP_E_RANGE: the level's pid_max, if known; else 0 */
	uint64_t reserved[5];
};

/*
 * A pid namespace and the levels above it, as seen by the caller. The
 * pointers in an error filled by a call on it stay valid while it lives.
 */
struct slp_target;

/* Open a pid namespace file, /proc/PID/ns/pid or the like. */
int slp_target_open(struct slp_target **target, const char *path, struct slp_error *err);

/* The same from an open descriptor, which is duplicated; name is for messages. */
int slp_target_open_fd(struct slp_target **target, int fd, const char *name,
		       struct slp_error *err);

/* Close its descriptors and free it; NULL is ignored. */
void slp_target_free(struct slp_target *target);

/* What a successful call did (or, with SLP_DRY_RUN, would do). */
struct slp_report {
	enum slp_method method;	/* the way the levels were (or would be) set */
	uint32_t nr;
	uint64_t level_ino[SLP_VECTOR_MAX];	/* pid:[level_ino[i]] is level i */
	uint64_t tasks;		/* the spin method: tasks it took (or would take) */
	/*
	 * Filled with SLP_AT_LEAST alone (1.0's report ends above): bit i of
	 * past, level i was at or past its value and is left alone; value[i],
	 * its last pid after the call: the value set, or the counter found.
	 */
	uint32_t past;
	pid_t value[SLP_VECTOR_MAX];
};

/*
 * Set the last pids of target (NULL: the caller's own pid namespace) and
 * the levels above it to vec. Every check comes before the first write;
 * on failure no level is changed (err->undo says if one was put back).
 * opts may be NULL (SLP_METHOD_AUTO, no flags); report may be NULL.
 */
int slp_set(struct slp_target *target, const struct slp_vector *vec,
	    const struct slp_options *opts, struct slp_report *report, struct slp_error *err);

/* What a child gets before it executes COMMAND, as posix_spawnattr_t has it. */
struct slp_spawn_attr {
	unsigned int flags;	/* SLP_SPAWN_* */
	sigset_t sigmask;	/* its signal mask */
	sigset_t sigdefault;	/* signals set to SIG_DFL */
	sigset_t sigignore;	/* signals set to SIG_IGN */
};

enum {
	SLP_SPAWN_SETSIGMASK = 1 << 0,
	SLP_SPAWN_SETSIGDEF = 1 << 1,
	SLP_SPAWN_SETSIGIGN = 1 << 2,
};

/*
 * Create argv as the next process of target (NULL: the caller's own pid
 * namespace) with the pids vec + 1 at every level named: set the
 * counters and fork, checking the pids before exec (SLP_E_STOLEN if
 * another process took one), or, with SLP_EXACT, clone3() with set_tid.
 * On success argv runs as *pid, a child of the caller, which must wait
 * for it. On failure nothing runs and no child is left. With SLP_LOCK
 * the lock is held until the child exists. attr may be NULL.
 */
int slp_spawn(struct slp_target *target, const struct slp_vector *vec,
	      const struct slp_options *opts, char *const argv[],
	      const struct slp_spawn_attr *attr, pid_t *pid, struct slp_report *report,
	      struct slp_error *err);

/*
 * A holder: a target held ready for many sets, as a server needs. With
 * the sysctl method, a helper is made now in each of the target's levels
 * but the caller's own, and kept: each holds one pid, in its level and in
 * each above. Then a set creates no process; its levels are written side
 * by side, all or nothing. With the ioctl, nothing is made. The target
 * (NULL: the caller's own pid namespace) must outlive the holder; opts
 * may name the method (auto, ioctl, sysctl), no flags. One set at a time.
 */
struct slp_holder;

int slp_holder_open(struct slp_holder **holder, struct slp_target *target,
		    const struct slp_options *opts, struct slp_error *err);

/* Set vec, at most slp_holder_levels() values; flags: SLP_DRY_RUN, SLP_AT_LEAST. As slp_set(). */
int slp_holder_set(struct slp_holder *holder, const struct slp_vector *vec, unsigned int flags,
		   struct slp_error *err);

/* The levels it holds: the target's and each above it the caller sees. */
unsigned int slp_holder_levels(const struct slp_holder *holder);

/* Its method: SLP_METHOD_IOCTL or SLP_METHOD_SYSCTL. */
enum slp_method slp_holder_method(const struct slp_holder *holder);

/* The pid its helper holds in level (0: none, as in the caller's own level). */
pid_t slp_holder_pid(const struct slp_holder *holder, unsigned int level);

/* Its helpers gone, its files closed; NULL is ignored. */
void slp_holder_free(struct slp_holder *holder);

/*
 * Read the counters back: vec gets, for the target (NULL: the caller's
 * own pid namespace) and every level above it the caller sees, innermost
 * first, the pid the next process would get there, less one: the vector
 * that, set, changes nothing. It creates one short-lived task in the
 * target, which needs what entering it needs (CAP_SYS_ADMIN over its
 * owner, unless it is the caller's own); nothing is written.
 */
int slp_get(struct slp_target *target, struct slp_vector *vec, struct slp_report *report,
	    struct slp_error *err);

/*
 * The pid_max of level (0: the target, NULL: the caller's own pid
 * namespace): pids there are below it. Linux 6.14
 * and later give each pid namespace its own, which only a task in it
 * reads: one short-lived task is created there, as slp_get() does, unless
 * the level is the caller's own. Since 1.1.
 */
int slp_get_pid_max(struct slp_target *target, unsigned int level, int *pid_max,
		    struct slp_error *err);

/*
 * Parse VECTOR text, "100,50,7": 1 to SLP_VECTOR_MAX decimal values from
 * 0 to INT_MAX separated by single commas, no sign, space or leading
 * zero. On error return -1 and put why in why (why_size bytes).
 */
int slp_vector_parse(const char *text, struct slp_vector *vec, char *why, size_t why_size);

/* Format vec as VECTOR text; the length it needs, as snprintf() returns. */
int slp_vector_format(const struct slp_vector *vec, char *buf, size_t size);

/* err as one line of text, without a trailing newline: buf. */
char *slp_strerror(const struct slp_error *err, char *buf, size_t size);

/* The exit status setlastpid(8) gives err: 64 to 77 (sysexits.h), 75, 126, 127. */
int slp_exit_status(const struct slp_error *err);

/* "auto", "ioctl", "sysctl", "clone3 set_tid (VECTOR + 1)", "spin", "preset". */
const char *slp_method_name(enum slp_method method);

/*
 * Which level of target (0: the target itself, 1: its parent...) the pid
 * namespace of process pid (as the caller numbers processes) is: that
 * level, or -1 with err: SLP_E_SYSTEM with errnum ESRCH if the process is
 * gone, ENOENT if its namespace is none of the target's levels the caller
 * sees, or why it cannot be told. err->level_ino is that namespace's inode,
 * found or not (ENOENT). Since 1.1.
 */
int slp_target_level_of(struct slp_target *target, pid_t pid, struct slp_error *err);

#ifdef __cplusplus
}
#endif

#endif
