// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * COMMAND at the pids: set the counters and fork, the child checking its
 * own pids before it executes COMMAND; or clone3() with set_tid, where
 * the kernel gives those pids or fails. The child tells why it did not
 * execute COMMAND up a close-on-exec pipe.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#include "internal.h"

#ifdef HAVE_STRUCT_CLONE_ARGS_SET_TID
typedef struct clone_args clone3_args;
#else
/* Headers older than Linux 5.5: clone3()'s arguments as the kernel takes them. */
typedef struct {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size;
} clone3_args;
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
/* clone3()'s arguments up to set_tid_size, Linux 5.5 */
#define CLONE_ARGS_SIZE_VER1 80

/* Why the child did not execute COMMAND. */
struct child_report {
	enum { REPORT_STOLEN, REPORT_EXEC, REPORT_OWN_PIDS } kind;
	unsigned int level;
	pid_t want, got;
	int errnum;
};

/* What a spawn holds from before the first write until COMMAND runs. */
struct spawn {
	struct plan plan;
	const struct slp_options *opts;
	char *const *argv;
	const struct slp_spawn_attr *attr;
	int pipe[2];		/* the child's report */
	int lock_fd;
	bool written;		/* the counters are set: undo on failure */
	sigset_t mask;		/* the caller's signal mask, for COMMAND */
	/* SLP_NEW_PIDNS from outside level 0: the task there that makes COMMAND */
	pid_t maker;
	int go[2];		/* ours to it: make COMMAND now (or, closed, never) */
	int made[2];		/* its to us: COMMAND's pid, or -errno */
	/* ours to COMMAND: the helpers kept for an undo are gone, exec (closed: never) */
	int helpers_gone[2];
	int back;		/* our pid_for_children, to come back to from level 0 */
};

/* The pids of this process, innermost first, from NSpid; -1 if unknown. */
static int read_own_pids(pid_t *pids, unsigned int max)
{
	pid_t outer_first[SLP_VECTOR_MAX + 3];
	int n = nspid_read(AT_FDCWD, "/proc/self/status", outer_first, SLP_VECTOR_MAX + 3);

	for (int i = 0; i < n && i < (int)max; i++)
		pids[i] = outer_first[n - 1 - i];
	return n;
}

static void __attribute__((noreturn)) report_and_exit(int report_fd,
						      const struct child_report *report,
						      int status)
{
	/* Should the pipe fail, the status alone still tells the parent. */
	if (write(report_fd, report, sizeof(*report)) != sizeof(*report))
		_exit(status);
	_exit(status);
}

/*
 * In the child: stop here if another process took one of our pids. In a
 * new pid namespace of its own, its first pid, there, is 1: the levels
 * come after it.
 */
static void check_pids_or_report(const struct slp_vector *vec, bool new_pidns, int report_fd)
{
	pid_t pids[SLP_VECTOR_MAX + 1];
	unsigned int below = new_pidns ? 1 : 0;
	int known = read_own_pids(pids, vec->nr + below);

	/* unknown for want of memory or a descriptor: no race, no retry */
	if (known < 0 && errno != ENOENT) {
		struct child_report report = { .kind = REPORT_OWN_PIDS, .errnum = errno };

		report_and_exit(report_fd, &report, 71);
	}

	for (unsigned int i = 0; i < vec->nr; i++) {
		struct child_report report = {
			.kind = REPORT_STOLEN,
			.level = i,
			.want = vec->pid[i] + 1,
			.got = (int)(i + below) < known ? pids[i + below] : -1,
		};

		if (report.got != report.want)
			report_and_exit(report_fd, &report, 75);
	}
}

/* In the child: the signal state the caller asked for, as posix_spawn() sets it. */
static void apply_attr(const struct slp_spawn_attr *attr)
{
	struct sigaction sa = { 0 };

	if (!attr)
		return;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if ((attr->flags & SLP_SPAWN_SETSIGDEF) && sigismember(&attr->sigdefault, sig) == 1) {
			sa.sa_handler = SIG_DFL;
			sigaction(sig, &sa, NULL);
		}
		if ((attr->flags & SLP_SPAWN_SETSIGIGN) && sigismember(&attr->sigignore, sig) == 1) {
			sa.sa_handler = SIG_IGN;
			sigaction(sig, &sa, NULL);
		}
	}
	if (attr->flags & SLP_SPAWN_SETSIGMASK)
		sigprocmask(SIG_SETMASK, &attr->sigmask, NULL);
}

static void __attribute__((noreturn)) run_child(const struct spawn *spawn)
{
	struct child_report report = { .kind = REPORT_EXEC };
	int report_fd = spawn->pipe[1];

	close(spawn->pipe[0]);
	if (!(spawn->plan.flags & SLP_EXACT))
		check_pids_or_report(spawn->plan.vec, spawn->plan.flags & SLP_NEW_PIDNS, report_fd);
	/* no pid of a helper may be taken from COMMAND's own children */
	if (spawn->helpers_gone[0] >= 0) {
		char byte;

		close(spawn->helpers_gone[1]);
		while (read(spawn->helpers_gone[0], &byte, 1) < 0 && errno == EINTR)
			;
		close(spawn->helpers_gone[0]);
	}
	/* the caller's mask, unless the caller gives COMMAND another */
	sigprocmask(SIG_SETMASK, &spawn->mask, NULL);
	apply_attr(spawn->attr);
	execvp(spawn->argv[0], spawn->argv);
	report.errnum = errno;
	report_and_exit(report_fd, &report, report.errnum == ENOENT ? 127 : 126);
}

/*
 * clone3() with set_tid: the kernel gives these pids or fails. In a new
 * pid namespace, pid 1 there comes first.
 */
static pid_t clone_exact(const struct slp_vector *vec, bool new_pidns, int *pidfd)
{
	pid_t set_tid[SLP_VECTOR_MAX + 1];
	unsigned int below = new_pidns ? 1 : 0;
	clone3_args args = {
		.flags = new_pidns ? CLONE_NEWPID : 0,
		.exit_signal = SIGCHLD,
		.set_tid = (uint64_t)(uintptr_t)set_tid,
		.set_tid_size = vec->nr + below,
	};

	/* made by the maker: our child, its exit signal the maker's; a pidfd says which */
	if (pidfd) {
		args.flags |= CLONE_PARENT | CLONE_PIDFD;
		args.pidfd = (uint64_t)(uintptr_t)pidfd;
		args.exit_signal = 0;
	}
	set_tid[0] = 1;
	for (unsigned int i = 0; i < vec->nr; i++)
		set_tid[i + below] = vec->pid[i] + 1;
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/*
 * COMMAND's process: a fork, or the init of a new pid namespace below
 * level 0; made by the maker, our child (CLONE_PARENT) all the same,
 * with a pidfd to say which.
 */
static pid_t fork_command(bool new_pidns, int *pidfd)
{
	unsigned long flags = SIGCHLD | (new_pidns ? CLONE_NEWPID : 0) |
			      (pidfd ? CLONE_PARENT | CLONE_PIDFD : 0);

	if (!new_pidns && !pidfd)
		return fork();
	return (pid_t)syscall(SYS_clone, flags, 0, pidfd, NULL, 0);
}

/*
 * Why clone3() with set_tid cannot be had: a kernel before Linux 5.5
 * (5.3 and 5.4 have clone3() without set_tid), or a seccomp filter that
 * answers for the kernel (Docker's default profile says ENOSYS).
 */
static int fail_no_clone3(int errnum, struct slp_error *err)
{
	char mode[16] = "";
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (uname(&u) == 0)
		(void)sscanf(u.release, "%u.%u", &major, &minor);
	if (errnum != E2BIG && (major > 5 || (major == 5 && minor >= 5)) &&
	    proc_status_field("Seccomp", mode, sizeof(mode)) == 0 && strcmp(mode, "2") == 0)
		return fail_code(err, SLP_E_FILTERED, errnum, "clone3()", NULL);
	return fail_code(err, SLP_E_NO_CLONE3, errnum, NULL, NULL);
}

/*
 * Can clone3() with set_tid be used here? It is asked with a set_tid
 * the kernel refuses before it creates anything: EINVAL is yes.
 */
static int probe_clone3(struct slp_error *err)
{
	clone3_args args = { .set_tid = 0, .set_tid_size = 1 };
	long ret = syscall(SYS_clone3, &args, CLONE_ARGS_SIZE_VER1);
	int errnum = errno;

	if (ret == 0)
		_exit(127);	/* a kernel that took it: never here */
	if (ret > 0) {
		waitpid((pid_t)ret, NULL, 0);
		return 0;
	}
	return errnum == EINVAL ? 0 : fail_no_clone3(errnum, err);
}

static int fail_exact(const struct plan *plan, int errnum, struct slp_error *err)
{
	unsigned int level;

	switch (errnum) {
	case EEXIST:
		fail_code(err, SLP_E_PID_IN_USE, errnum, NULL, NULL);
		err->target = plan->target->name;
		err->exact = true;
		level = find_level_in_use(plan->target, plan->vec);
		if (level >= plan->vec->nr)
			return -1;
		err->value = plan->vec->pid[level] + 1;
		return fail_at(err, plan->target, level);
	case ENOSYS:
	case E2BIG:
		return fail_no_clone3(errnum, err);
	case EPERM:
	case EACCES:
		if (probe_clone3(err) < 0)
			return -1;
		return fail_code(err, SLP_E_DENIED, errnum, "create COMMAND with clone3() set_tid in",
				 plan->target->name);
	default:
		return fail_sys(err, errnum, "create COMMAND with clone3() set_tid in",
				plan->target->name);
	}
}

/* A pid in use is no race to retry: COMMAND could never have it. */
static int check_pids_free_in_proc(struct plan *plan, struct slp_error *err)
{
	unsigned int level = find_level_in_use(plan->target, plan->vec);

	if (level >= plan->vec->nr)
		return 0;
	fail_code(err, SLP_E_PID_IN_USE, EEXIST, NULL, NULL);
	err->value = plan->vec->pid[level] + 1;
	return fail_at(err, plan->target, level);
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* A failure after the counters were set: put them back, and say so. */
static int fail_after_write(struct spawn *spawn, struct slp_error *err)
{
	if (spawn->written)
		err->undo = spawn->plan.method->undo(&spawn->plan) == 0 ? SLP_UNDO_DONE
									: SLP_UNDO_FAILED;
	return -1;
}

/* The child stopped before exec: what it said, as an error. */
static int fail_report(struct spawn *spawn, const struct child_report *report,
		       struct slp_error *err)
{
	struct slp_error ignored;

	if (report->kind == REPORT_EXEC)
		return fail_code(err, SLP_E_EXEC, report->errnum, "execute", spawn->argv[0]);
	if (report->kind == REPORT_OWN_PIDS && check_proc(err) == 0)
		fail_sys(err, report->errnum, "read COMMAND's own pids from", "/proc/self/status");
	if (report->kind == REPORT_OWN_PIDS)
		return fail_after_write(spawn, err);
	/* its own pids unknown: /proc is not there, or not this process's */
	if (report->got < 0 && check_proc(err) < 0)
		return -1;
	fail_code(err, SLP_E_STOLEN, 0, NULL, spawn->argv[0]);
	err->want = report->want;
	err->got = report->got;
	error_clear(&ignored);
	err->exact_usable = probe_clone3(&ignored) == 0;
	return fail_at(err, spawn->plan.target, report->level);
}

/* COMMAND's process, from here or from the maker (pidfd): its pid, or -1 with errno. */
static pid_t make_command(struct spawn *spawn, int *pidfd)
{
	const struct plan *plan = &spawn->plan;
	bool new_pidns = plan->flags & SLP_NEW_PIDNS;
	pid_t pid = plan->flags & SLP_EXACT ? clone_exact(plan->vec, new_pidns, pidfd)
					    : fork_command(new_pidns, pidfd);

	if (pid == 0)
		run_child(spawn);
	return pid;
}

/*
 * The maker's whole life: in level 0, where a new pid namespace below
 * it can be made (the kernel makes one only below the maker's own),
 * it waits for the word, makes COMMAND and says which: the number of a
 * pidfd in the descriptor table it shares with us (its pid would be
 * level 0's, not ours), or -errno.
 */
static void __attribute__((noreturn)) run_maker(struct spawn *spawn)
{
	int pidfd = -1, said;
	sigset_t all;
	char word;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* the caller, in a level above, is no parent it sees: 0, until it is gone */
	if (getppid() != 0)
		_exit(1);
	if (read(spawn->go[0], &word, 1) != 1)
		_exit(0);
	said = make_command(spawn, &pidfd) < 0 ? -errno : pidfd;
	_exit(write(spawn->made[1], &said, sizeof(said)) == sizeof(said) ? 0 : 1);
}

/* The pid in our own pid namespace of the process a pidfd refers to, from its fdinfo. */
static pid_t pid_of_pidfd(int pidfd)
{
	pid_t own[SLP_VECTOR_MAX + 3], its[SLP_VECTOR_MAX + 3];
	char path[48];
	int depth, n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	/* both NSpid lines start at /proc's pid namespace: ours is at our depth there */
	depth = nspid_read(AT_FDCWD, "/proc/self/status", own, SLP_VECTOR_MAX + 3) - 1;
	n = nspid_read(AT_FDCWD, path, its, SLP_VECTOR_MAX + 3);
	return depth >= 0 && n > depth ? its[depth] : -1;
}

static void stop_maker(struct spawn *spawn)
{
	for (int i = 0; i < 2; i++) {
		if (spawn->go[i] >= 0)
			close(spawn->go[i]);
		if (spawn->made[i] >= 0)
			close(spawn->made[i]);
		spawn->go[i] = spawn->made[i] = -1;
	}
	if (spawn->maker > 0) {
		kill(spawn->maker, SIGKILL);
		reap(spawn->maker);
		spawn->maker = 0;
	}
}

/* Does the maker hold a pid COMMAND is to have? Then COMMAND could never have it. */
static bool maker_in_the_way(const struct spawn *spawn, pid_t maker)
{
	const struct slp_vector *vec = spawn->plan.vec;
	pid_t nspid[SLP_VECTOR_MAX + 2];
	char path[32];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)maker);
	n = nspid_read(AT_FDCWD, path, nspid, SLP_VECTOR_MAX + 2);
	for (unsigned int i = 0; i < vec->nr && (int)i < n; i++)
		if (nspid[n - 1 - (int)i] == vec->pid[i] + 1)
			return true;
	return false;
}

/*
 * SLP_NEW_PIDNS below a level that is not the caller's own: the maker,
 * made in level 0 before the first write. It holds a pid in each level
 * while it makes COMMAND: one that is COMMAND's is left for another.
 */
static int start_maker(struct spawn *spawn, struct slp_error *err)
{
	const struct plan *plan = &spawn->plan;
	pid_t in_the_way = 0;

	if (pipe_off_stdio(spawn->go) < 0 || pipe_off_stdio(spawn->made) < 0)
		return fail_sys(err, errno, "make a pipe for", "COMMAND");
	if (setns(plan->target->level[0].fd, CLONE_NEWPID) < 0) {
		int errnum = errno;

		pidns_back(spawn->back);
		return fail_code(err, errnum == EPERM ? SLP_E_DENIED : SLP_E_SYSTEM, errnum,
				 "enter", plan->target->name);
	}
	for (int tries = 0; tries < 4; tries++) {
		/* a fork that shares our descriptors: the pidfd it makes is ours too */
		pid_t pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);

		if (pid == 0)
			run_maker(spawn);
		if (pid < 0) {
			int errnum = errno;

			pidns_back(spawn->back);
			if (in_the_way > 0) {
				kill(in_the_way, SIGKILL);
				reap(in_the_way);
			}
			return fail_sys(err, errnum, "create a task in", plan->target->name);
		}
		/* the one in the way goes once the next has taken the pid after it */
		if (in_the_way > 0) {
			kill(in_the_way, SIGKILL);
			reap(in_the_way);
			in_the_way = 0;
		}
		if (!maker_in_the_way(spawn, pid)) {
			spawn->maker = pid;
			break;
		}
		in_the_way = pid;
	}
	pidns_back(spawn->back);
	if (in_the_way > 0) {
		kill(in_the_way, SIGKILL);
		reap(in_the_way);
	}
	if (!spawn->maker)
		return fail_sys(err, EBUSY, "make room for COMMAND in", plan->target->name);
	return 0;
}

/* The word to the maker, and COMMAND's pid from it: -1 with errno if none. */
static pid_t command_from_maker(struct spawn *spawn)
{
	int said = -EIO;
	pid_t pid;

	if (write(spawn->go[1], "g", 1) == 1)
		while (read(spawn->made[0], &said, sizeof(said)) < 0 && errno == EINTR)
			;
	reap(spawn->maker);
	spawn->maker = 0;
	if (said < 0) {
		errno = -said;
		return -1;
	}
	pid = pid_of_pidfd(said);
	close(said);
	if (pid < 0)
		errno = ESRCH;
	return pid;
}

/* The pipe for the child's report and the lock: taken before the first write. */
static int acquire(struct spawn *spawn, struct slp_error *err)
{
	bool dry_run = spawn->plan.flags & SLP_DRY_RUN;

	if (pipe_off_stdio(spawn->pipe) < 0 ||
	    (spawn->plan.method == &method_sysctl && pipe_off_stdio(spawn->helpers_gone) < 0))
		return fail_sys(err, errno, "make a pipe for", "COMMAND");
	/* level 0 entered to create COMMAND (or its maker), and left */
	if (!target_is_callers(spawn->plan.target, 0) &&
	    (spawn->back = pidns_saved_or_fail(pidns_save(), err)) < 0)
		return -1;
	if ((spawn->plan.flags & SLP_LOCK) && (spawn->lock_fd = lock_take(dry_run, err)) < 0)
		return -1;
	return 0;
}

/*
 * The plan's checks, then what the method holds and its write; with
 * SLP_EXACT, whether clone3() set_tid is there. A dry run's write checks
 * what only a task in a level can see, and writes nothing.
 */
static int check_and_write(struct spawn *spawn, struct slp_error *err)
{
	struct plan *plan = &spawn->plan;

	if (plan_check(plan, err) < 0)
		return -1;
	if ((plan->flags & SLP_EXACT) && probe_clone3(err) < 0)
		return -1;
	/* a new pid namespace below a level not the caller's own: its maker, before any write */
	if ((plan->flags & SLP_NEW_PIDNS) && !(plan->flags & SLP_DRY_RUN) &&
	    !target_is_callers(plan->target, 0) && !spawn->maker && start_maker(spawn, err) < 0)
		return -1;
	if (plan->flags & SLP_EXACT)
		return 0;
	/* the ioctl has no helper in each level to look: /proc tells (the sysctl method's look) */
	if ((plan->method == &method_ioctl || plan->method == &method_preset) &&
	    check_pids_free_in_proc(plan, err) < 0)
		return -1;
	if (plan->method->prepare(plan, err) < 0 || plan_write(plan, err) < 0)
		return -1;
	spawn->written = !(plan->flags & SLP_DRY_RUN);
	return 0;
}

static void release(struct spawn *spawn)
{
	stop_maker(spawn);
	if (spawn->plan.method)
		spawn->plan.method->release(&spawn->plan);
	lock_release(spawn->lock_fd);
	spawn->lock_fd = -1;
	for (int i = 0; i < 2; i++) {
		if (spawn->pipe[i] >= 0)
			close(spawn->pipe[i]);
		if (spawn->helpers_gone[i] >= 0)
			close(spawn->helpers_gone[i]);
	}
	spawn->pipe[0] = spawn->pipe[1] = -1;
	spawn->helpers_gone[0] = spawn->helpers_gone[1] = -1;
	if (spawn->back >= 0)
		close(spawn->back);
	spawn->back = -1;
}

/* Enter level 0 (setns() moves only our next child there) and create the child. */
static pid_t create_child(struct spawn *spawn, struct slp_error *err)
{
	const struct plan *plan = &spawn->plan;
	bool enter = !target_is_callers(plan->target, 0) && !spawn->maker;
	pid_t pid;

	if (enter && setns(plan->target->level[0].fd, CLONE_NEWPID) < 0) {
		int errnum = errno;

		pidns_back(spawn->back);
		return fail_code(err, errnum == EPERM ? SLP_E_DENIED : SLP_E_SYSTEM, errnum,
				 "enter", plan->target->name);
	}
	pid = spawn->maker ? command_from_maker(spawn) : make_command(spawn, NULL);
	if (pid < 0) {
		int errnum = errno;

		pidns_back(spawn->back);
		if (errnum == ENOSPC && (plan->flags & SLP_NEW_PIDNS))
			return fail_code(err, SLP_E_TOO_DEEP_NEW, errnum, NULL, plan->target->name);
		if (plan->flags & SLP_EXACT)
			return fail_exact(plan, errnum, err);
		return fail_sys(err, errnum, "create COMMAND in", plan->target->name);
	}
	pidns_back(spawn->back);
	return pid;
}

static int spawn_target(struct spawn *spawn, pid_t *pid, struct slp_error *err)
{
	struct child_report report;
	ssize_t len;
	pid_t child;

	if (acquire(spawn, err) < 0)
		return -1;
	if (check_and_write(spawn, err) < 0 &&
	    /* not permitted to write: the caller's own level can still be spun to */
	    (!plan_spin_instead(&spawn->plan, spawn->opts, err) || check_and_write(spawn, err) < 0))
		return -1;
	if (spawn->plan.flags & SLP_DRY_RUN)
		return 0;
	child = create_child(spawn, err);
	if (child < 0)
		return fail_after_write(spawn, err);
	/* COMMAND exists: what an undo would have needed goes, then COMMAND may */
	if (spawn->plan.method && spawn->plan.method->committed)
		spawn->plan.method->committed(&spawn->plan);
	if (spawn->helpers_gone[1] >= 0) {
		(void)!write(spawn->helpers_gone[1], "g", 1);
		close(spawn->helpers_gone[1]);
		spawn->helpers_gone[1] = -1;
	}
	/* COMMAND has its pids: the next restorer may go on. */
	lock_release(spawn->lock_fd);
	spawn->lock_fd = -1;
	close(spawn->pipe[1]);
	spawn->pipe[1] = -1;
	/* Nothing to read means exec closed the pipe: COMMAND runs. */
	while ((len = read(spawn->pipe[0], &report, sizeof(report))) < 0 && errno == EINTR)
		;
	if (len == sizeof(report)) {
		reap(child);
		return fail_report(spawn, &report, err);
	}
	*pid = child;
	return 0;
}

SLP_EXPORT int slp_spawn(struct slp_target *target, const struct slp_vector *vec,
			 const struct slp_options *opts, char *const argv[],
			 const struct slp_spawn_attr *attr, pid_t *pid, struct slp_report *report,
			 struct slp_error *err)
{
	struct spawn spawn = { .argv = argv, .attr = attr, .pipe = { -1, -1 }, .lock_fd = -1,
			       .go = { -1, -1 }, .made = { -1, -1 },
			       .helpers_gone = { -1, -1 }, .back = -1 };
	struct slp_target *own = NULL;
	struct slp_error local = { .level = -1 };
	int ret;

	if (call_begin(&err, &local, &opts, vec) < 0)
		return -1;
	spawn.opts = opts;
	pthread_sigmask(SIG_SETMASK, NULL, &spawn.mask);
	if (!argv || !argv[0] || !pid)
		return fail_code(err, SLP_E_INVALID, EINVAL, "no COMMAND to run", NULL);
	*pid = 0;
	if (target_or_own(&target, &own, err) < 0)
		return -1;
	ret = plan_make(&spawn.plan, target, vec, opts, true, err);
	if (ret == 0)
		ret = spawn_target(&spawn, pid, err);
	err->spawn = true;
	err->lock = (opts->flags & SLP_LOCK) != 0;
	release(&spawn);
	if (ret == 0 && report)
		plan_report(&spawn.plan, report);
	target_free_own(own, err);
	return ret;
}
