// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * COMMAND at the pids: the plan's counters set, then a fork whose child
 * checks its own pids before it executes COMMAND; or clone3() with
 * set_tid, where the kernel gives those pids or fails. The child tells
 * why it did not execute COMMAND up a close-on-exec pipe.
 *
 * Where it can, the child is made as posix_spawn() makes one: in our
 * memory, on a stack of its own, we stopped until it executes COMMAND or
 * exits. No page table is copied, and no page copied on a write: a
 * process is made in three quarters of a fork's time.
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif

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
	const struct slp_spawn_attr *attr;
	int pipe[2];		/* the child's report */
	bool acquired;
	bool written;		/* the counters are set: undo on failure */
	sigset_t mask;		/* the caller's signal mask, for COMMAND */
	/* a new pid namespace below a level not the caller's own: the task there that makes COMMAND */
	pid_t maker;
	int go[2];		/* ours to it: make COMMAND now (or, closed, never) */
	int made[2];		/* its to us: ready (0 or -errno), then COMMAND's pidfd, or -errno */
	int room[2];		/* descriptors kept free until the word: the pidfd, and reading it */
	/* ours to COMMAND: what the method held for an undo is gone, exec (closed: never) */
	int helpers_gone[2];
	int back;		/* our pid_for_children, to come back to from level 0 */
	char *stack;		/* the child's, if it shares our memory (else NULL) */
	size_t stack_size;
};

static void __attribute__((noreturn)) report_and_exit(int report_fd,
						      const struct child_report *report,
						      int status)
{
	/* Should the pipe fail, the status alone still tells the parent. */
	(void)!write(report_fd, report, sizeof(*report));
	_exit(status);
}

/*
 * In the child: stop here if another process took one of our pids. In a
 * new pid namespace of its own, its first pid, there, is 1: the levels
 * come after it.
 */
static void check_pids_or_report(const struct slp_vector *vec, bool new_pidns, int report_fd)
{
	pid_t nspid[SLP_VECTOR_MAX + 3];
	unsigned int below = new_pidns ? 1 : 0;
	int n = nspid_read(AT_FDCWD, "/proc/self/status", nspid, SLP_VECTOR_MAX + 3);
	struct child_report report = { .kind = REPORT_OWN_PIDS, .errnum = errno };

	if (n < 0)
		report_and_exit(report_fd, &report, 71);
	for (unsigned int i = 0; i < vec->nr; i++) {
		/* nspid[n - 1] is its pid innermost, each one before it a level further out */
		int at = n - 1 - (int)(i + below);

		report = (struct child_report){ .kind = REPORT_STOLEN, .level = i,
						.want = vec->pid[i] + 1, .got = at >= 0 ? nspid[at] : -1 };
		if (report.got != report.want)
			report_and_exit(report_fd, &report, 75);
	}
}

/*
 * In the child, every signal blocked: the dispositions the caller asked
 * for, as posix_spawn() sets them; then the mask COMMAND starts with.
 */
static void apply_attr(const struct slp_spawn_attr *attr, const sigset_t *mask)
{
	struct sigaction sa = { 0 };

	if (!attr) {
		sigprocmask(SIG_SETMASK, mask, NULL);
		return;
	}
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		bool dfl = (attr->flags & SLP_SPAWN_SETSIGDEF) && sigismember(&attr->sigdefault, sig) == 1,
		     ign = (attr->flags & SLP_SPAWN_SETSIGIGN) && sigismember(&attr->sigignore, sig) == 1;

		sa.sa_handler = ign ? SIG_IGN : SIG_DFL;
		if (dfl || ign)
			sigaction(sig, &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, attr->flags & SLP_SPAWN_SETSIGMASK ? &attr->sigmask : mask, NULL);
}

static void __attribute__((noreturn)) run_child(const struct spawn *spawn)
{
	struct child_report report = { .kind = REPORT_EXEC };
	char *const *argv = spawn->plan.argv;
	int report_fd = spawn->pipe[1];
	char byte;

	close(spawn->pipe[0]);
	if (!(spawn->plan.flags & SLP_EXACT))
		check_pids_or_report(spawn->plan.vec, spawn->plan.flags & SLP_NEW_PIDNS, report_fd);
	/* no pid a helper holds may be taken by COMMAND's own children */
	if (spawn->helpers_gone[0] >= 0) {
		close(spawn->helpers_gone[1]);
		while (read(spawn->helpers_gone[0], &byte, 1) < 0 && errno == EINTR)
			;
		close(spawn->helpers_gone[0]);
	}
	/* the caller's mask, unless the caller gives COMMAND another: a signal comes no sooner */
	apply_attr(spawn->attr, &spawn->mask);
	execvp(argv[0], argv);
	report.errnum = errno;
	report_and_exit(report_fd, &report, report.errnum == ENOENT ? 127 : 126);
}

/* AddressSanitizer cannot follow a child onto a stack it was not told of (it warns there) */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_UNDER_ASAN 1
#endif
#endif

#if defined(__x86_64__) && !defined(SLP_GENERIC_HELPERS) && !defined(SPAWN_UNDER_ASAN)
/*
 * clone3() with args->stack: the child, in our memory, starts on that
 * stack in run_child(spawn) and never comes back; we go on once it has
 * executed COMMAND or exited (CLONE_VFORK). The child's pid, or -errno.
 * (In C, the child would return from syscall() to a frame of ours it
 * does not have.)
 */
#define SPAWN_SHARES_MEMORY 1
static long clone3_on_stack(clone3_args *args, const struct spawn *spawn)
{
	void (*fn)(const struct spawn *) = run_child;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov %[spawn], %%rdi\n\t"
			 "call *%[fn]\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone3), "D"(args), "S"(sizeof(*args)), [fn] "r"(fn),
			   [spawn] "r"(spawn)
			 : "rcx", "r11", "memory", "cc");
	return ret;
}
#else
#define SPAWN_SHARES_MEMORY 0
static long clone3_on_stack(clone3_args *args, const struct spawn *spawn)
{
	(void)args;
	(void)spawn;
	return -ENOSYS;
}
#endif

/*
 * The child made in our memory (see the top): its signal handlers the
 * defaults from the start (CLONE_CLEAR_SIGHAND), so that none of the
 * caller's runs there before exec resets them. Its pid; or -1: refused,
 * for whatever reason (a kernel before Linux 5.5, a seccomp filter, no
 * task to be had), a fork does it, and says what the kernel says of that.
 */
static pid_t clone_shared(struct spawn *spawn, clone3_args *args)
{
	clone3_args shared = *args;
	long ret;

	shared.flags |= CLONE_VM | CLONE_VFORK | CLONE_CLEAR_SIGHAND;
	shared.stack = (uint64_t)(uintptr_t)spawn->stack;
	shared.stack_size = spawn->stack_size;
	ret = clone3_on_stack(&shared, spawn);
	return ret >= 0 ? (pid_t)ret : -1;
}

/* COMMAND's process, from here or from the maker (pidfd): its pid, or -1 with errno. */
static pid_t make_command(struct spawn *spawn, int *pidfd)
{
	const struct slp_vector *vec = spawn->plan.vec;
	bool new_pidns = spawn->plan.flags & SLP_NEW_PIDNS;
	unsigned int below = new_pidns ? 1 : 0;
	pid_t set_tid[SLP_VECTOR_MAX + 1] = { 1 }, pid;
	clone3_args args = {
		.flags = (new_pidns ? CLONE_NEWPID : 0) | (pidfd ? CLONE_PARENT | CLONE_PIDFD : 0),
		/* made by the maker: our child, its exit signal the maker's; a pidfd says which */
		.exit_signal = pidfd ? 0 : SIGCHLD,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
	};

	if (spawn->plan.flags & SLP_EXACT) {
		/* the kernel gives these pids or fails; in a new pid namespace, 1 there first */
		for (unsigned int i = 0; i < vec->nr; i++)
			set_tid[i + below] = vec->pid[i] + 1;
		args.set_tid = (uint64_t)(uintptr_t)set_tid;
		args.set_tid_size = vec->nr + below;
	}
	if (spawn->stack && !pidfd && (pid = clone_shared(spawn, &args)) >= 0)
		return pid;
	if (spawn->plan.flags & SLP_EXACT) {
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	} else if (!new_pidns && !pidfd) {
		pid = fork();
	} else {
		pid = (pid_t)syscall(SYS_clone, args.flags | SIGCHLD, 0, pidfd, NULL, 0);
	}
	if (pid == 0)
		run_child(spawn);
	return pid;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void kill_and_reap(pid_t pid)
{
	if (pid > 0 && kill(pid, SIGKILL) == 0)
		reap(pid);
}

/*
 * The maker's whole life, in level 0, where a pid namespace below it can
 * be made (the kernel makes one only below the maker's own). Asked, it
 * sees whether one can and says so (0 or -errno); then, at the word, it
 * makes COMMAND and says which: the number of a pidfd in the descriptor
 * table it shares with us (its pid would be level 0's, not ours), or
 * -errno. Until asked it says nothing: one killed for being in the way
 * leaves no word behind.
 */
static void __attribute__((noreturn)) run_maker(struct spawn *spawn)
{
	int pidfd = -1, said = 0;
	sigset_t all;
	char word;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* the caller, in a level above, is no parent it sees: 0, until it is gone */
	if (getppid() != 0 || read(spawn->go[0], &word, 1) != 1)
		_exit(1);
	if (unshare(CLONE_NEWPID) < 0 || setns(spawn->plan.target->level[0].fd, CLONE_NEWPID) < 0)
		said = -errno;
	if (write(spawn->made[1], &said, sizeof(said)) != sizeof(said) || said < 0 ||
	    read(spawn->go[0], &word, 1) != 1)
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
	kill_and_reap(spawn->maker);
	spawn->maker = 0;
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

/* The maker, once made: can a pid namespace be made below level 0? */
static int maker_ready(struct spawn *spawn, struct slp_error *err)
{
	const char *name = spawn->plan.target->name;
	int said = -EIO;

	if (write(spawn->go[1], "c", 1) == 1)
		while (read(spawn->made[0], &said, sizeof(said)) < 0 && errno == EINTR)
			;
	if (said == 0)
		return 0;
	stop_maker(spawn);
	if (said == -ENOSPC)
		return fail_code(err, SLP_E_TOO_DEEP_NEW, ENOSPC, NULL, name);
	return fail_code(err, said == -EPERM ? SLP_E_DENIED : SLP_E_SYSTEM, -said,
			 "create a pid namespace below", name);
}

/*
 * SLP_NEW_PIDNS below a level that is not the caller's own: the maker,
 * made in level 0 before the first write. It holds a pid in each level
 * while it makes COMMAND: one that is COMMAND's is left for another.
 */
static int start_maker(struct spawn *spawn, struct slp_error *err)
{
	const struct plan *plan = &spawn->plan;
	pid_t in_the_way = 0, pid = 0;
	int errnum = 0;

	/* the pidfd's descriptors too are taken before the first write, and given back at the word */
	if (pipe_off_stdio(spawn->go) < 0 || pipe_off_stdio(spawn->made) < 0 ||
	    pipe_off_stdio(spawn->room) < 0)
		return fail_sys(err, errno, "make a pipe for", plan->argv[0]);
	if (setns(plan->target->level[0].fd, CLONE_NEWPID) < 0)
		return fail_code(err, errno == EPERM ? SLP_E_DENIED : SLP_E_SYSTEM, errno, "enter",
				 plan->target->name);
	for (int tries = 0; tries < 4 && !spawn->maker && !errnum; tries++) {
		/* a fork that shares our descriptors: the pidfd it makes is ours too */
		pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
		if (pid == 0)
			run_maker(spawn);
		errnum = pid < 0 ? errno : 0;
		/* the one in the way goes once the next has taken the pid after it */
		kill_and_reap(in_the_way);
		in_the_way = pid > 0 && maker_in_the_way(spawn, pid) ? pid : 0;
		spawn->maker = pid > 0 && !in_the_way ? pid : 0;
	}
	pidns_back(spawn->back);
	kill_and_reap(in_the_way);
	if (errnum)
		return fail_sys(err, errnum, "create a task in", plan->target->name);
	if (spawn->maker)
		return maker_ready(spawn, err);
	fail_sys(err, EBUSY, "make room for", plan->argv[0]);
	err->target = plan->target->name;
	return -1;
}

/* The word to the maker, and COMMAND's pid from it: -1 with errno if none. */
static pid_t command_from_maker(struct spawn *spawn)
{
	int said = -EIO;
	pid_t pid;

	fd_close(&spawn->room[0]);
	fd_close(&spawn->room[1]);
	if (write(spawn->go[1], "g", 1) == 1)
		while (read(spawn->made[0], &said, sizeof(said)) < 0 && errno == EINTR)
			;
	else
		kill(spawn->maker, SIGKILL);	/* it waits for a word that will never come */
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

/*
 * A stack for a child that shares our memory: what execvp() keeps on it
 * (a path, a script's arguments) and ample room. None (ENOMEM): a fork.
 */
static void stack_make(struct spawn *spawn)
{
	size_t argc = 0, page = (size_t)sysconf(_SC_PAGESIZE);
	void *stack;

	while (spawn->plan.argv[argc])
		argc++;
	spawn->stack_size = (65536 + (argc + 2) * sizeof(char *) + page - 1) / page * page;
	stack = mmap(NULL, spawn->stack_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	spawn->stack = stack == MAP_FAILED ? NULL : stack;
}

/* What a spawn needs that can fail, taken before the first write: pipes, the way back, the maker. */
static int acquire(struct spawn *spawn, struct slp_error *err)
{
	struct plan *plan = &spawn->plan;

	spawn->acquired = true;
	if (pipe_off_stdio(spawn->pipe) < 0 ||
	    (plan->method && plan->method->commit && pipe_off_stdio(spawn->helpers_gone) < 0))
		return fail_sys(err, errno, "make a pipe for", plan->argv[0]);
	if (plan->enter && (spawn->back = pidns_save(err)) < 0)
		return -1;
	if (plan->maker)
		return start_maker(spawn, err);
	/* a child that waits for the helpers to go cannot share our memory: we wait for it */
	if (SPAWN_SHARES_MEMORY && spawn->helpers_gone[0] < 0)
		stack_make(spawn);
	return 0;
}

/* Checks, lock, what is acquired and the write; a refusal that changed nothing may fall back. */
static int prepare_and_write(struct spawn *spawn, struct slp_error *err)
{
	struct plan *plan = &spawn->plan;
	int ret;

	do {
		ret = run_begin(plan, err);
		if (ret == 0 && !spawn->acquired)
			ret = acquire(spawn, err);
		if (ret == 0 && plan->method)
			ret = run_write(plan, err);
	} while (ret < 0 && plan_fall_back(plan, err));
	spawn->written = ret == 0 && plan->method && !(plan->flags & SLP_DRY_RUN);
	return ret;
}

static void release(struct spawn *spawn)
{
	stop_maker(spawn);
	for (int i = 0; i < 2; i++) {
		int *fds[] = { &spawn->pipe[i], &spawn->helpers_gone[i], &spawn->go[i], &spawn->made[i],
				&spawn->room[i] };

		for (size_t k = 0; k < sizeof(fds) / sizeof(fds[0]); k++)
			fd_close(fds[k]);
	}
	fd_close(&spawn->back);
	if (spawn->stack)
		munmap(spawn->stack, spawn->stack_size);
	spawn->stack = NULL;
}

/* clone3() set_tid refused: why, the plan's checks naming the rule where the kernel did not. */
static int fail_exact(struct plan *plan, int errnum, struct slp_error *err)
{
	switch (errnum) {
	case ENOSYS:
	case E2BIG:
		fail_no_clone3(errnum, err);
		err->file = plan->argv[0];
		return -1;
	case EEXIST:
		fail_code(err, SLP_E_PID_IN_USE, errnum, NULL, plan->argv[0]);
		err->target = plan->target->name;
		return plan_explain(plan, err);
	default:
		return plan_refused(plan, errnum, "create a process with clone3() set_tid in", NULL,
				    err);
	}
}

/* Enter level 0 (setns() moves only our next child there) and create the child. */
static pid_t create_child(struct spawn *spawn, struct slp_error *err)
{
	struct plan *plan = &spawn->plan;
	sigset_t all, mask;
	pid_t pid;
	int errnum;

	if (plan->enter && !spawn->maker && setns(plan->target->level[0].fd, CLONE_NEWPID) < 0) {
		fail_sys(err, errno, "enter", plan->target->name);
		return plan_explain(plan, err);
	}
	/* as posix_spawn(): no signal until the child has its checks behind it */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	pid = spawn->maker ? command_from_maker(spawn) : make_command(spawn, NULL);
	errnum = errno;
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	pidns_back(spawn->back);
	if (pid >= 0)
		return pid;
	if (errnum == ENOSPC && (plan->flags & SLP_NEW_PIDNS))
		return fail_code(err, SLP_E_TOO_DEEP_NEW, errnum, NULL, plan->target ?
				 plan->target->name : OWN_PID_NS);
	if (plan->flags & SLP_EXACT)
		return fail_exact(plan, errnum, err);
	fail_sys(err, errnum, "create", plan->argv[0]);
	err->target = plan->target ? plan->target->name : OWN_PID_NS;
	return -1;
}

/* A failure after the counters were set: put them back, and say so. */
static int fail_after_write(struct spawn *spawn, struct slp_error *err)
{
	if (spawn->written)
		err->undo = spawn->plan.method->undo && spawn->plan.method->undo(&spawn->plan) == 0
				    ? SLP_UNDO_DONE : SLP_UNDO_FAILED;
	return -1;
}

/* The child stopped before exec: what it said, as an error. */
static int fail_report(struct spawn *spawn, const struct child_report *report,
		       struct slp_error *err)
{
	struct plan *plan = &spawn->plan;

	switch (report->kind) {
	case REPORT_EXEC:
		fail_code(err, SLP_E_EXEC, report->errnum, "execute", plan->argv[0]);
		break;
	case REPORT_OWN_PIDS:
		/* unknown: /proc is not there, or not this process's, or what it was short of */
		if (report->errnum != ENOENT ||
		    (proc_fail_missing("/proc/self/status", err) < 0 && err->code == SLP_E_SYSTEM))
			fail_sys(err, report->errnum, "read the pids of the process from",
				 "/proc/self/status");
		break;
	default:
		fail_code(err, SLP_E_STOLEN, 0, NULL, plan->argv[0]);
		err->want = report->want;
		err->got = report->got;
		/*
		 * what would have prevented it: a truthful hint asks whether
		 * clone3() is to be had; counters set by another (no method
		 * here) leave nothing but trying again
		 */
		err->hint = !plan->method ? SLP_HINT_RETRY
			    : probe_clone3(&(struct slp_error){ 0 }) < 0
				    ? (plan->flags & SLP_LOCK ? SLP_HINT_RETRY : SLP_HINT_LOCK)
				    : (plan->flags & SLP_LOCK ? SLP_HINT_EXACT : SLP_HINT_SERIALIZE);
		fail_at(err, plan->target, report->level);
		/* preset: the pid in use all along (65) is told as the dry run tells it */
		if (!plan->method && (plan->checks & ~plan->before & CHECK_PIDS_FREE))
			plan_explain(plan, err);
		break;
	}
	return fail_after_write(spawn, err);
}

/* COMMAND exists: what an undo needed goes, then COMMAND may exec; the lock too. */
static int commit(struct spawn *spawn, pid_t child, pid_t *pid, struct slp_error *err)
{
	struct plan *plan = &spawn->plan;
	struct child_report report;
	ssize_t len;

	if (plan->method && plan->method->commit)
		plan->method->commit(plan);
	if (spawn->helpers_gone[1] >= 0) {
		(void)!write(spawn->helpers_gone[1], "g", 1);
		fd_close(&spawn->helpers_gone[1]);
	}
	lock_release(plan);
	fd_close(&spawn->pipe[1]);
	/* nothing to read means exec closed the pipe: COMMAND runs */
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
	struct spawn spawn = { .attr = attr, .pipe = { -1, -1 }, .go = { -1, -1 },
			       .made = { -1, -1 }, .helpers_gone = { -1, -1 }, .back = -1,
			       .room = { -1, -1 } };
	struct slp_error local = { .level = -1 };
	pid_t child;
	int ret;

	if (call_begin(&err, &local, &opts, vec) < 0)
		return -1;
	if (!argv || !argv[0] || !pid)
		return fail_code(err, SLP_E_INVALID, EINVAL, "no command to run", NULL);
	*pid = 0;
	pthread_sigmask(SIG_SETMASK, NULL, &spawn.mask);
	ret = plan_make(&spawn.plan, target, vec, opts, argv, err);
	if (ret == 0)
		ret = prepare_and_write(&spawn, err);
	if (ret == 0 && !(spawn.plan.flags & SLP_DRY_RUN)) {
		child = create_child(&spawn, err);
		ret = child < 0 ? fail_after_write(&spawn, err) : commit(&spawn, child, pid, err);
	}
	release(&spawn);
	if (ret == 0 && report)
		plan_report(&spawn.plan, report);
	plan_release(&spawn.plan, err);
	return ret;
}
