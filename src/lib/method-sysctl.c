// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The way every kernel has: a task may write /proc/sys/kernel/ns_last_pid
 * only for its own active pid namespace, so each level gets a helper
 * created in it. A helper writes its level at once, then waits for the
 * verdict: commit, and it exits; roll back, and it writes back what it
 * replaced. So undoing needs no new process, and a failure anywhere
 * before the verdict leaves no level changed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "rawsys.h"

enum { VERDICT_PENDING, VERDICT_COMMIT, VERDICT_ROLL_BACK };

/* A helper's state word: the kernel clears it when the helper is gone. */
enum { JOB_GONE = 0, JOB_RUNNING = 1, JOB_DONE = 2 };

/* One level's write, in memory the helper shares with the caller (CLONE_VM). */
struct job {
	/* set by the caller before it runs */
	bool wanted;		/* this level is to be written */
	int sysctl_fd;		/* ns_last_pid, opened once */
	char text[16];		/* the value to write */
	size_t len;
	pid_t value;		/* the value, to check against the level's own pid_max */
	bool check_pid_max;	/* read the level's pid_max (its own, Linux 6.14+) */
	pid_t check_pid;	/* > 0: note whether this pid is in use in the level */
	bool dry_run;		/* check only: read and write nothing */
	int *verdict;		/* NULL: write and go, no verdict to wait for */
	/* set by whoever runs it */
	char old[16];		/* the value it replaced */
	size_t old_len;		/* 0 until it was read */
	bool written;
	bool pid_in_use;
	pid_t own_pid;		/* the helper's pid in its level */
	long pid_max;		/* its level's pid_max, if read */
	bool undone;
	const char *call;	/* the first failure, if any */
	int errnum;
	/* between the two */
	int state;		/* JOB_RUNNING, JOB_DONE, JOB_GONE */
	pid_t helper;		/* the helper's pid; 0 for none or reaped */
	bool killed;		/* it died of a signal */
};

/*
 * The cheapest task there is: it shares the caller's memory, files,
 * filesystem context and signal handlers, so creating it copies almost
 * nothing, and it signals nobody when it exits (waited for by __WCLONE).
 * The kernel clears its state word when it is gone, alive or killed.
 * Each level has its own small stack, as helpers run side by side.
 */
#define HELPER_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SYSVSEM | \
		      CLONE_IO | CLONE_CHILD_CLEARTID)
#define HELPER_STACK 2048

/* How many times a helper for an undo is tried when the kernel says EAGAIN. */
#define UNDO_TRIES 50

/* What a run of this method holds, all taken before the first write. */
struct sysctl_state {
	int fd;				/* ns_last_pid, read and write */
	char *stacks;			/* one helper stack per level */
	int verdict;			/* VERDICT_*, the helpers' futex */
	struct job jobs[SLP_VECTOR_MAX];
};

/* A pid in decimal, as ns_last_pid takes it: its length. No stdio here. */
static size_t format_pid(char *buf, pid_t pid)
{
	char digits[16];
	size_t n = 0, len;

	do {
		digits[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0);
	for (len = 0; n > 0; len++)
		buf[len] = digits[--n];
	return len;
}

static void job_failed(struct job *job, const char *call, int errnum)
{
	job->call = call;
	job->errnum = errnum;
}

/* The level's own pid_max, as a task in it reads it: -errno if it cannot be read. */
static long read_level_pid_max(void)
{
	char text[16];
	long fd = helper_open(PID_MAX), len, value = 0;

	if (fd < 0)
		return fd;
	len = helper_pread((int)fd, text, sizeof(text));
	helper_close((int)fd);
	if (len <= 0)
		return len < 0 ? len : -EIO;
	for (long i = 0; i < len && text[i] >= '0' && text[i] <= '9'; i++)
		value = value * 10 + (text[i] - '0');
	return value;
}

/*
 * One level: its checks (its own pid_max, whether the pid asked about is
 * in use), then read what is there and write the value. No libc call
 * that could set errno: see rawsys.h. pread and pwrite at 0, so the
 * shared offset never matters.
 */
static void write_job(struct job *job)
{
	long ret;

	if (job->check_pid_max) {
		job->pid_max = read_level_pid_max();
		if (job->pid_max < 0) {
			job_failed(job, "read pid_max", (int)-job->pid_max);
			return;
		}
		if (job->value > job->pid_max) {
			job_failed(job, "range", 0);
			return;
		}
	}
	if (job->check_pid > 0)
		job->pid_in_use = helper_pid_in_use(job->check_pid);
	if (job->dry_run)
		return;
	ret = helper_pread(job->sysctl_fd, job->old, sizeof(job->old) - 1);
	if (ret <= 0) {
		job_failed(job, "read", ret < 0 ? (int)-ret : EIO);
		return;
	}
	job->old_len = (size_t)ret;
	ret = helper_pwrite(job->sysctl_fd, job->text, job->len);
	if (ret < 0) {
		job_failed(job, "write", (int)-ret);
		return;
	}
	job->written = true;
}

static void undo_job(struct job *job)
{
	job->undone = helper_pwrite(job->sysctl_fd, job->old, job->old_len) >= 0;
}

/* A helper's whole life. */
static int run_helper(void *arg)
{
	struct job *job = arg;

	/* a helper never outlives the caller, nor starts after it is gone */
	if (!helper_die_with_creator())
		return 1;
	job->own_pid = (pid_t)raw_syscall4(SYS_getpid, 0, 0, 0, 0);
	write_job(job);
	__atomic_store_n(&job->state, JOB_DONE, __ATOMIC_RELEASE);
	futex_wake_all(&job->state);
	if (!job->verdict)
		return 0;
	while (__atomic_load_n(job->verdict, __ATOMIC_ACQUIRE) == VERDICT_PENDING)
		futex_wait(job->verdict, VERDICT_PENDING);
	if (*job->verdict == VERDICT_ROLL_BACK && job->written)
		undo_job(job);
	return 0;
}

static void reap_helper(struct job *job)
{
	int status = 0;
	pid_t got;

	if (!job->helper)
		return;
	while ((got = waitpid(job->helper, &status, __WCLONE)) < 0 && errno == EINTR)
		;
	/* killed, or gone unseen: nothing it did after its last word is sure */
	if (got < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		job->killed = true;
	job->helper = 0;
}

/* setns() moves only the thread's future children into the level. */
static int start_helper(int level_fd, struct job *job, char *stack)
{
	if (setns(level_fd, CLONE_NEWPID) < 0) {
		job_failed(job, "setns", errno);
		return -1;
	}
	job->state = JOB_RUNNING;
	job->helper = clone(run_helper, stack + HELPER_STACK, HELPER_FLAGS, job, NULL, NULL,
			    &job->state);
	if (job->helper < 0) {
		job->helper = 0;
		job->state = JOB_GONE;
		job_failed(job, "clone", errno);
		return -1;
	}
	if (!HELPERS_MAY_OVERLAP)
		reap_helper(job);
	return 0;
}

/*
 * Start the wanted jobs, one per level, creating helpers innermost
 * first. Creating the helper of level i takes a pid in level i and every
 * level above, and nothing created later touches level i: so helper i
 * may write as soon as it exists, while the caller creates the next one.
 * The caller's own level, the outermost, it writes itself, once all
 * helpers exist. Stops at the first that cannot be started.
 */
static void start_jobs(struct plan *plan, struct job *jobs)
{
	struct slp_target *target = plan->target;
	unsigned int nr = plan->vec->nr, i;
	int saved = pidns_save();

	for (i = 0; i < nr; i++) {
		if (!jobs[i].wanted)
			continue;
		if (target_is_callers(target, i))
			write_job(&jobs[i]);
		else if (start_helper(target->level[i].fd, &jobs[i],
				      plan->sysctl->stacks + (size_t)i * HELPER_STACK) < 0)
			break;
	}
	pidns_restore(saved);
}

/* Wait until each helper has written (or failed, or is gone). */
static void wait_written(unsigned int nr, struct job *jobs)
{
	for (unsigned int i = 0; i < nr; i++)
		while (__atomic_load_n(&jobs[i].state, __ATOMIC_ACQUIRE) == JOB_RUNNING)
			futex_wait(&jobs[i].state, JOB_RUNNING);
}

static void reap_all(unsigned int nr, struct job *jobs)
{
	for (unsigned int i = 0; i < nr; i++)
		reap_helper(&jobs[i]);
}

/* The first level whose write (or, in a dry run, whose checks) did not happen for sure. */
static int first_failure(unsigned int nr, const struct job *jobs)
{
	for (unsigned int i = 0; i < nr; i++) {
		if (!jobs[i].wanted)
			continue;
		if (jobs[i].call || (!jobs[i].written && !jobs[i].dry_run) ||
		    (jobs[i].dry_run && jobs[i].killed))
			return (int)i;
	}
	return -1;
}

/* May this level hold a value of ours not put back: written, or its helper gone unseen? */
static bool needs_undo(const struct job *job)
{
	return job->wanted && job->old_len > 0 && !job->undone && (job->written || job->killed);
}

/* Every level written is back as it was: 0, or -1 if some may not be. */
static int all_undone(unsigned int nr, const struct job *jobs)
{
	for (unsigned int i = 0; i < nr; i++)
		if (needs_undo(&jobs[i]))
			return -1;
	return 0;
}

/*
 * Write back, with new helpers, each level that may hold a value of
 * ours and was not put back: a helper gone without saying (killed), or
 * a later failure (COMMAND could not be created). EAGAIN is retried:
 * the helpers that just exited freed what they held.
 */
static int undo_by_new_helpers(struct plan *plan)
{
	struct job *jobs = plan->sysctl->jobs, back[SLP_VECTOR_MAX];
	unsigned int nr = plan->vec->nr, i;
	int tries;

	for (i = 0; i < nr; i++) {
		bool maybe = needs_undo(&jobs[i]);

		back[i] = (struct job){ .wanted = maybe, .sysctl_fd = jobs[i].sysctl_fd };
		if (maybe) {
			memcpy(back[i].text, jobs[i].old, jobs[i].old_len);
			back[i].len = jobs[i].old_len;
		}
	}
	for (tries = 0; tries < UNDO_TRIES; tries++) {
		for (i = 0; i < nr; i++) {
			back[i].call = NULL;
			back[i].written = back[i].killed = false;
			back[i].state = JOB_GONE;
		}
		start_jobs(plan, back);
		wait_written(nr, back);
		reap_all(nr, back);
		for (i = 0; i < nr; i++) {
			if (!back[i].wanted)
				continue;
			if (back[i].written && !back[i].killed) {
				jobs[i].undone = true;
				back[i].wanted = false;
			} else if (back[i].call && back[i].errnum != EAGAIN) {
				return -1;
			}
		}
		if (all_undone(nr, jobs) == 0)
			return 0;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return -1;
}

/* After a later failure (COMMAND could not be created): put every level back. */
static int undo(struct plan *plan)
{
	struct job *jobs = plan->sysctl->jobs;

	for (unsigned int i = 0; i < plan->vec->nr; i++)
		jobs[i].undone = !jobs[i].written;
	return undo_by_new_helpers(plan);
}

static enum slp_code code_of_write(int errnum)
{
	switch (errnum) {
	case EPERM:
	case EACCES:
		return SLP_E_DENIED;
	case EINVAL:
		return SLP_E_REFUSED;
	default:
		return SLP_E_SYSTEM;
	}
}

/* The pid in level `level` of the helper of level k, from its NSpid; -1 if unknown. */
static pid_t helper_pid_at(const struct job *job, unsigned int k, unsigned int level)
{
	pid_t nspid[SLP_VECTOR_MAX + 2];
	char path[32];
	int n, at;

	if (k == level)
		return job->own_pid;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)job->helper);
	n = nspid_read(AT_FDCWD, path, nspid, SLP_VECTOR_MAX + 2);
	/* nspid[n - 1] is its pid in level k, each one before it a level further out */
	at = n - 1 - (int)(level - k);
	return n > 0 && at >= 0 ? nspid[at] : -1;
}

/*
 * With COMMAND to create: a level whose pid is in use is no race to
 * retry but a refusal. In use by one of our helpers, which are about to
 * go, it is free for COMMAND.
 */
static int check_pids_free(struct plan *plan, struct slp_error *err)
{
	struct job *jobs = plan->sysctl->jobs;
	unsigned int nr = plan->vec->nr;

	for (unsigned int level = 0; level < nr; level++) {
		pid_t want = plan->vec->pid[level] + 1;
		bool ours = false;

		if (!jobs[level].pid_in_use)
			continue;
		for (unsigned int k = 0; k <= level && !ours; k++) {
			if (!jobs[k].helper && !(k == level && jobs[k].own_pid))
				continue;
			ours = target_is_callers(plan->target, level) ? jobs[k].helper == want
								       : helper_pid_at(&jobs[k], k, level) == want;
		}
		if (ours)
			continue;
		fail_code(err, SLP_E_PID_IN_USE, EEXIST, NULL, NULL);
		err->value = want;
		return fail_at(err, plan->target, level);
	}
	return 0;
}

/* A signal of the caller's interrupt set came while the levels were written. */
static int check_interrupt(struct plan *plan, struct slp_error *err)
{
	sigset_t pending;
	siginfo_t info;

	if (!plan->interrupt || sigpending(&pending) < 0)
		return 0;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction action;
		sigset_t only;

		if (sigismember(plan->interrupt, sig) != 1 || sigismember(&pending, sig) != 1)
			continue;
		/* taken, so that the caller hears it as this error, not by dying of it */
		sigemptyset(&only);
		sigaddset(&only, sig);
		(void)sigtimedwait(&only, &info, &(struct timespec){ 0, 0 });
		/* held, a signal the caller ignores is pending all the same: it stays ignored */
		if (sigaction(sig, NULL, &action) == 0 && action.sa_handler == SIG_IGN)
			continue;
		fail_code(err, SLP_E_INTERRUPTED, EINTR, NULL, NULL);
		err->signal = sig;
		err->target = plan->target->name;
		return -1;
	}
	return 0;
}

/* Why the levels cannot stay: a write that failed, or what the plan forbids. */
static int judge(struct plan *plan, int failed, struct slp_error *err)
{
	struct job *jobs = plan->sysctl->jobs;

	if (failed >= 0) {
		const struct job *job = &jobs[failed];

		if (job->call && strcmp(job->call, "range") == 0) {
			fail_code(err, SLP_E_RANGE, 0, NULL, NULL);
			err->value = job->value;
			err->limit = job->pid_max;
		} else if (job->call) {
			fail_code(err, code_of_write(job->errnum), job->errnum, job->call, NULL);
		} else {
			fail_code(err, SLP_E_SYSTEM, 0, "its helper died before it wrote", NULL);
		}
		return fail_at(err, plan->target, (unsigned int)failed);
	}
	if (plan->spawn && check_pids_free(plan, err) < 0)
		return -1;
	return check_interrupt(plan, err);
}

/*
 * Every level at once, all or nothing. Signals are held on this thread
 * while helpers live, and helpers inherit that: none dies of a signal
 * meant for the caller, and one that comes is acted on after.
 */
/* Does the plan create a helper, in a level that is not the caller's own? */
static bool has_helpers(struct plan *plan)
{
	return plan->vec->nr > 1 || !target_is_callers(plan->target, 0);
}

static int write_levels(struct plan *plan, struct slp_error *err)
{
	struct sysctl_state *state = plan->sysctl;
	const struct slp_vector *vec = plan->vec;
	struct job *jobs = state->jobs;
	sigset_t all, mask;
	/* helpers one at a time (see rawsys.h) write and go: no verdict to wait for */
	bool hold = HELPERS_MAY_OVERLAP;
	int failed, ret;

	bool dry_run = plan->flags & SLP_DRY_RUN, per_level = pid_max_per_namespace();

	/* A dry run checks in each level what only a task there can see, if any. */
	if (dry_run && !plan->spawn && !(per_level && has_helpers(plan)))
		return 0;
	for (uint32_t i = 0; i < vec->nr; i++) {
		jobs[i] = (struct job){
			.wanted = true, .sysctl_fd = state->fd, .value = vec->pid[i],
			.check_pid_max = per_level && !target_is_callers(plan->target, i),
			.check_pid = plan->spawn ? vec->pid[i] + 1 : 0, .dry_run = dry_run,
			.verdict = hold && !dry_run ? &state->verdict : NULL,
		};
		jobs[i].len = format_pid(jobs[i].text, vec->pid[i]);
	}
	state->verdict = VERDICT_PENDING;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	start_jobs(plan, jobs);
	wait_written(vec->nr, jobs);
	failed = first_failure(vec->nr, jobs);
	ret = judge(plan, failed, err);
	__atomic_store_n(&state->verdict, ret == 0 ? VERDICT_COMMIT : VERDICT_ROLL_BACK,
			 __ATOMIC_RELEASE);
	futex_wake_all(&state->verdict);
	/* the caller's own level is the caller's to put back */
	if (ret < 0 && target_is_callers(plan->target, vec->nr - 1) && jobs[vec->nr - 1].written)
		undo_job(&jobs[vec->nr - 1]);
	reap_all(vec->nr, jobs);
	if (ret < 0 && !dry_run)
		err->undo = all_undone(vec->nr, jobs) == 0 || undo_by_new_helpers(plan) == 0
				    ? SLP_UNDO_DONE : SLP_UNDO_FAILED;
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	return ret;
}

static void release(struct plan *plan)
{
	if (!plan->sysctl)
		return;
	close(plan->sysctl->fd);
	free(plan->sysctl->stacks);
	free(plan->sysctl);
	plan->sysctl = NULL;
}

/* ns_last_pid, opened once for every helper, and their stacks. */
static int prepare(struct plan *plan, struct slp_error *err)
{
	struct sysctl_state *state = calloc(1, sizeof(*state));

	if (!state)
		return fail_sys(err, ENOMEM, "allocate memory for", "the helpers");
	state->fd = open_ns_last_pid(O_RDWR, err);
	if (state->fd < 0) {
		free(state);
		return -1;
	}
	plan->sysctl = state;
	state->stacks = aligned_alloc(64, (size_t)plan->vec->nr * HELPER_STACK);
	if (!state->stacks) {
		release(plan);
		return fail_sys(err, ENOMEM, "allocate memory for", "the helpers");
	}
	return 0;
}

/*
 * Resolve, range, and the kernel's own check of every entry (which
 * also tells a level outside the caller's tree).
 */
static int check(struct plan *plan, struct slp_error *err)
{
	if (target_resolve(plan->target, plan->vec->nr, err) < 0 ||
	    check_range(plan, false, err) < 0)
		return -1;
	return check_entry(plan, err);
}

const struct method method_sysctl = {
	.id = SLP_METHOD_SYSCTL,
	.check = check,
	.prepare = prepare,
	.write = write_levels,
	.undo = undo,
	.release = release,
};

int write_own_last_pid(pid_t pid)
{
	char text[16];
	size_t len = format_pid(text, pid);
	int fd = open(NS_LAST_PID, O_WRONLY | O_CLOEXEC);
	int errnum;

	if (fd < 0)
		return -1;
	if (!is_procfs(fd) || write(fd, text, len) < 0) {
		errnum = errno;
		close(fd);
		errno = errnum;
		return -1;
	}
	close(fd);
	return 0;
}
