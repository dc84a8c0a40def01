// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The way every kernel has: a task may write /proc/sys/kernel/ns_last_pid
 * only for its own active pid namespace, so each level gets a helper
 * born in it, and the caller writes its own. The helpers are a crew: one
 * write protocol, whether the crew is made for one set or kept for many
 * (a holder's). Each helper writes its level at once, then waits for the
 * verdict: commit, and it goes; roll back, and it writes back what it
 * replaced. So an undo needs no new process, and a failure anywhere
 * before the verdict leaves no level changed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

/* How many times an undo is tried when the kernel says EAGAIN (no task to be had). */
#define UNDO_TRIES 50

enum job_what { DO_NOTHING, DO_CHECK, DO_WRITE, DO_UNDO, DO_EXIT };

/* One level's job, in memory its helper shares with the caller. */
struct job {
	/* set by the caller before each job */
	enum job_what what;
	bool wanted;		/* a level of the request */
	pid_t value;		/* to write, and to check against the level's pid_max */
	char text[16];
	size_t len;
	bool check_pid_max;	/* read the level's own pid_max (Linux 6.14+) */
	int margin;		/* DO_CHECK: the value is at most pid_max less this */
	pid_t check_pid;	/* > 0: note whether this pid is in use in the level */
	bool at_least;		/* DO_WRITE: not if the counter is at the value or past it */
	/* set by whoever does it */
	char old[16];		/* the value it replaced */
	size_t old_len;
	bool written;		/* ours is there, for sure (or a floor's level was past it) */
	bool left;		/* ...past it: left alone, at old */
	bool maybe_ours;	/* ours may be there: from just before the write until put back */
	bool pid_in_use;
	long pid_max;
	const char *call;	/* the first failure, if any */
	int errnum;
	/* between the two */
	int state;		/* JOB_RUNNING, JOB_DONE; the kernel clears it when the helper is gone */
	pid_t helper;		/* its pid, in our pid namespace; 0 for none */
	pid_t own_pid;		/* its pid in its level */
	bool killed;		/* it died of a signal, or went unseen */
	bool once;		/* one job, then gone (helpers one at a time: see rawsys.h) */
	int sysctl_fd;
	const int *gen;		/* the crew's job counter, which it waits on */
	const int *creator;	/* the crew's pidfd of the caller */
};

enum { JOB_GONE = 0, JOB_RUNNING = 1, JOB_DONE = 2 };

struct crew {
	struct slp_target *target;
	unsigned int nr;
	char *stacks;		/* one helper stack per level */
	int gen;		/* bumped for each job given: the helpers' futex */
	int creator;		/* a pidfd of the caller's process, for helpers to see it gone; or -1 */
	int back;		/* the caller's pid_for_children, to come back to after setns() */
	bool in_the_way;	/* a helper holds a pid COMMAND needs */
	struct job jobs[SLP_VECTOR_MAX];
};

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
 * Is the value above the level's own pid_max, less margin? Then "range",
 * with it. A check that wants a descriptor the write would not is left
 * to the write (the kernel's EINVAL), as no check may fail for want of
 * what the act does not need.
 */
static bool above_pid_max(struct job *job, int margin)
{
	job->pid_max = read_level_pid_max();
	if (job->pid_max == -EMFILE || job->pid_max == -ENFILE)
		return false;
	if (job->pid_max < 0) {
		job_failed(job, "read pid_max", (int)-job->pid_max);
		return true;
	}
	if (job->value > job->pid_max - margin) {
		job_failed(job, "range", 0);
		return true;
	}
	return false;
}

/* The counter the job read (old), as a number. */
static pid_t old_value(const struct job *job)
{
	pid_t counter = 0;

	for (size_t i = 0; i < job->old_len && job->old[i] >= '0' && job->old[i] <= '9'; i++)
		counter = counter * 10 + (job->old[i] - '0');
	return counter;
}

/* The level's checks: its own pid_max, and whether the pid asked about is in use. */
static bool check_job(struct job *job)
{
	long ret = 0;

	if (job->check_pid_max && job->what == DO_CHECK && above_pid_max(job, job->margin))
		return false;
	if (job->check_pid > 0 && (ret = helper_pid_in_use(job->sysctl_fd, job->check_pid)) < 0) {
		job_failed(job, "look up the pid it needs in", (int)-ret);
		return false;
	}
	job->pid_in_use = ret > 0;
	return true;
}

/*
 * A job, in a helper or in the caller. No libc call that could set errno:
 * see rawsys.h. pread and pwrite at 0, so the shared offset never matters.
 */
static void do_job(struct job *job)
{
	long ret;

	job->call = NULL;
	switch (job->what) {
	case DO_CHECK:
		check_job(job);
		break;
	case DO_WRITE:
		job->written = job->left = false;
		if (!check_job(job))
			break;
		ret = helper_pread(job->sysctl_fd, job->old, sizeof(job->old) - 1);
		if (ret <= 0) {
			job_failed(job, "read", ret < 0 ? (int)-ret : EIO);
			break;
		}
		job->old_len = (size_t)ret;
		/* a floor another process passed since it was read: left so */
		job->written = job->left = job->at_least && old_value(job) >= job->value;
		if (job->written)
			break;
		job->maybe_ours = true;
		ret = helper_pwrite(job->sysctl_fd, job->text, job->len);
		job->written = job->maybe_ours = ret >= 0;
		if (ret < 0 && (ret != -EINVAL || !job->check_pid_max || !above_pid_max(job, 0)))
			job_failed(job, "write", (int)-ret);
		break;
	case DO_UNDO:
		if (!job->maybe_ours || job->old_len == 0)
			break;
		ret = helper_pwrite(job->sysctl_fd, job->old, job->old_len);
		job->maybe_ours = ret < 0;
		if (ret < 0)
			job_failed(job, "write back", (int)-ret);
		break;
	default:
		break;
	}
}

/* A helper's whole life: a job, then the next, until DO_EXIT. */
static int run_helper(void *arg)
{
	struct job *job = arg;
	int seen = __atomic_load_n(job->gen, __ATOMIC_ACQUIRE);

	/* a helper never outlives the caller, nor starts after it is gone */
	if (!helper_die_with_creator(*job->creator))
		return 1;
	job->own_pid = (pid_t)raw_syscall4(SYS_getpid, 0, 0, 0, 0);
	for (;;) {
		if (job->what == DO_EXIT)
			return 0;
		do_job(job);
		__atomic_store_n(&job->state, JOB_DONE, __ATOMIC_RELEASE);
		futex_wake_all(&job->state);
		if (job->once)
			return 0;
		while (__atomic_load_n(job->gen, __ATOMIC_ACQUIRE) == seen)
			futex_wait((int *)job->gen, seen);
		seen = __atomic_load_n(job->gen, __ATOMIC_ACQUIRE);
	}
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

/* Wait until the job is done, or its helper gone without a word: killed. */
static void wait_done(struct job *job)
{
	while (__atomic_load_n(&job->state, __ATOMIC_ACQUIRE) == JOB_RUNNING)
		futex_wait(&job->state, JOB_RUNNING);
	if (job->helper && __atomic_load_n(&job->state, __ATOMIC_ACQUIRE) == JOB_GONE && !job->once)
		job->killed = true;
}

/* A helper born in level i, doing its job at once: setns() moves only our next child. */
static void start_helper(struct crew *crew, unsigned int i)
{
	struct job *job = &crew->jobs[i];
	char *stack = crew->stacks + (size_t)i * HELPER_STACK;

	reap_helper(job);
	if (setns(crew->target->level[i].fd, CLONE_NEWPID) < 0)
		return job_failed(job, "setns", errno);
	job->killed = false;
	job->state = JOB_RUNNING;
	job->helper = clone(run_helper, stack + HELPER_STACK, HELPER_FLAGS, job, NULL, NULL,
			    &job->state);
	if (job->helper < 0) {
		job->helper = 0;
		job->state = JOB_GONE;
		return job_failed(job, "clone", errno);
	}
	if (job->once)
		reap_helper(job);
}

static bool alive(const struct job *job)
{
	return job->helper && __atomic_load_n(&job->state, __ATOMIC_ACQUIRE) != JOB_GONE;
}

/* One wake-up for every helper that waits: each does its job, `what` or nothing. */
static void wake_all(struct crew *crew, enum job_what what)
{
	for (unsigned int i = 0; i < crew->nr; i++) {
		struct job *job = &crew->jobs[i];
		int done = JOB_DONE;

		if (!alive(job) || target_is_callers(crew->target, i))
			continue;
		job->what = job->wanted ? what : DO_NOTHING;
		/* one gone since is left so: the kernel's word is not written over */
		__atomic_compare_exchange_n(&job->state, &done, JOB_RUNNING, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE);
	}
	__atomic_add_fetch(&crew->gen, 1, __ATOMIC_RELEASE);
	futex_wake_all(&crew->gen);
}

/*
 * Every level of the request does `what`, the caller its own level's,
 * last; then wait for them all. A level without a helper gets one: a
 * task born in a level moves the counters of that level and each above,
 * so where helpers wait already (a kept crew, an undo), the missing are
 * made first, doing nothing, and then one wake-up gives every helper its
 * job; a crew of none makes each born doing its job at once, innermost
 * first, which moves only counters still to be written.
 */
static void crew_round(struct crew *crew, enum job_what what)
{
	unsigned int i, own = crew->nr;
	bool waiting = false, entered = false;

	for (i = 0; i < crew->nr; i++) {
		crew->jobs[i].call = NULL;
		if (target_is_callers(crew->target, i))
			own = i;
		else
			waiting |= alive(&crew->jobs[i]);
	}
	for (i = 0; i < crew->nr; i++) {
		struct job *job = &crew->jobs[i];

		if (!job->wanted || i == own || alive(job))
			continue;
		job->what = waiting ? DO_NOTHING : what;
		entered = true;
		start_helper(crew, i);
		if (job->call)
			break;	/* the first helper that cannot be had: its job says why */
	}
	if (entered)
		pidns_back(crew->back);
	if (waiting) {
		for (i = 0; i < crew->nr; i++)
			if (crew->jobs[i].helper)
				wait_done(&crew->jobs[i]);
		wake_all(crew, what);
	}
	if (own < crew->nr && crew->jobs[own].wanted) {
		crew->jobs[own].what = what;
		do_job(&crew->jobs[own]);
	}
	for (i = 0; i < crew->nr; i++)
		if (crew->jobs[i].helper)
			wait_done(&crew->jobs[i]);
}

/* Every helper gone (DO_EXIT) and reaped. */
static void crew_stop(struct crew *crew)
{
	for (unsigned int i = 0; i < crew->nr; i++)
		crew->jobs[i].wanted = alive(&crew->jobs[i]);
	wake_all(crew, DO_EXIT);
	for (unsigned int i = 0; i < crew->nr; i++)
		reap_helper(&crew->jobs[i]);
}

/* The first wanted level whose job did not happen for sure; -1 if none. */
static int first_failure(const struct crew *crew, enum job_what what)
{
	for (unsigned int i = 0; i < crew->nr; i++) {
		const struct job *job = &crew->jobs[i];

		if (job->wanted && (job->call || job->killed || (what == DO_WRITE && !job->written)))
			return (int)i;
	}
	return -1;
}

/* err from the job of level failed: what it met there; -1. */
static int fail_job(struct crew *crew, int failed, struct slp_error *err)
{
	const struct job *job = &crew->jobs[failed];

	if (job->call && strcmp(job->call, "range") == 0)
		fail_range(err, failed, job->value, job->pid_max,
			   job->what == DO_CHECK ? job->margin : 0);
	else if (job->call)
		fail_code(err, job->errnum == EPERM || job->errnum == EACCES ? SLP_E_DENIED
			  : job->errnum == EINVAL ? SLP_E_REFUSED : SLP_E_SYSTEM,
			  job->errnum, job->call, NULL);
	else
		fail_code(err, SLP_E_SYSTEM, 0, "its helper died before it wrote", NULL);
	return fail_at(err, crew->target, (unsigned int)failed);
}

/*
 * Every level that may hold a value of ours, written back: by its helper,
 * or by a new one where it is gone. EAGAIN is retried: the helpers that
 * just went freed what they held. 0 if every level is back.
 */
static int crew_undo(struct crew *crew)
{
	for (int tries = 0; tries < UNDO_TRIES; tries++) {
		bool left = false;

		for (unsigned int i = 0; i < crew->nr; i++) {
			crew->jobs[i].wanted = crew->jobs[i].maybe_ours;
			left |= crew->jobs[i].wanted;
		}
		if (!left)
			return 0;
		crew_round(crew, DO_UNDO);
		for (unsigned int i = 0; i < crew->nr; i++)
			if (crew->jobs[i].wanted && crew->jobs[i].call &&
			    crew->jobs[i].errnum != EAGAIN)
				return -1;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return -1;
}

/*
 * The pid in level `level` of the helper of level k, from its NSpid; -1
 * if unknown. job->helper is its pid in our namespace, and /proc may be
 * an ancestor's (nsenter --pid leaves it so): a pidfd's fdinfo, read
 * through /proc/self, names the helper whatever /proc numbers from.
 */
static pid_t helper_pid_at(const struct job *job, unsigned int k, unsigned int level)
{
	pid_t nspid[SLP_VECTOR_MAX + 3];
	char path[48];
	int n = -1, at, pidfd = -1;

	if (k == level)
		return job->own_pid;
	errno = ENOSYS;
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, job->helper, 0);
#endif
	if (pidfd >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
		n = nspid_read(AT_FDCWD, path, nspid, SLP_VECTOR_MAX + 3);
		close(pidfd);
	} else if (errno == ENOSYS) {
		/* before Linux 5.3: right where /proc is our own namespace's */
		snprintf(path, sizeof(path), "/proc/%d/status", (int)job->helper);
		n = nspid_read(AT_FDCWD, path, nspid, SLP_VECTOR_MAX + 3);
	}
	/* nspid[n - 1] is its pid in level k, each one before it a level further out */
	at = n - 1 - (int)(level - k);
	if (n > 0 && at < 0)
		errno = ESRCH;
	return n > 0 && at >= 0 ? nspid[at] : -1;
}

/*
 * With COMMAND to create: a level whose pid is in use is no race to
 * retry but a refusal. In use by one of our helpers, which are about to
 * go, it is free for COMMAND.
 */
static int check_pids_free(struct plan *plan, struct slp_error *err)
{
	struct job *jobs = plan->crew->jobs;

	for (unsigned int level = 0; level < plan->vec->nr; level++) {
		pid_t want = plan->vec->pid[level] + 1, at;
		bool ours = false;

		if (!jobs[level].pid_in_use)
			continue;
		for (unsigned int k = 0; k <= level && !ours; k++) {
			if (!jobs[k].helper && !(k == level && jobs[k].own_pid))
				continue;
			at = target_is_callers(plan->target, level) ? jobs[k].helper
								   : helper_pid_at(&jobs[k], k, level);
			/* not knowing is no reason to blame another process */
			if (at < 0) {
				fail_sys(err, errno, "tell whose is a pid wanted in", plan->target->name);
				return fail_at(err, plan->target, level);
			}
			ours = at == want;
		}
		/* one of ours: gone before COMMAND is created, which it must not outlive */
		plan->crew->in_the_way |= ours;
		if (ours)
			continue;
		fail_code(err, SLP_E_PID_IN_USE, EEXIST, NULL, plan->argv[0]);
		err->value = want;
		return fail_at(err, plan->target, level);
	}
	return 0;
}

/* Why the levels cannot stay: a job that failed, a pid COMMAND needs, a signal. */
static int judge(struct plan *plan, enum job_what what, struct slp_error *err)
{
	int failed = first_failure(plan->crew, what);

	if (failed >= 0)
		return fail_job(plan->crew, failed, err);
	if (plan->argv && check_pids_free(plan, err) < 0)
		return -1;
	if (fail_interrupted(err, plan->interrupt, "setting") < 0) {
		err->target = plan->target->name;
		return -1;
	}
	return 0;
}

/* The request's jobs: its levels, their values, what each checks. */
static void set_jobs(struct plan *plan)
{
	struct crew *crew = plan->crew;
	bool per_level = pid_max_per_namespace();

	crew->in_the_way = false;
	for (unsigned int i = 0; i < crew->nr; i++) {
		struct job *job = &crew->jobs[i];

		job->wanted = i < plan->vec->nr;
		job->maybe_ours = false;
		job->killed = false;
		if (!job->wanted)
			continue;
		job->value = plan->vec->pid[i];
		job->len = (size_t)snprintf(job->text, sizeof(job->text), "%d", job->value);
		job->check_pid_max = per_level && !target_is_callers(plan->target, i);
		job->margin = plan->margin;
		job->check_pid = plan->argv ? job->value + 1 : 0;
		job->at_least = plan->flags & SLP_AT_LEAST;
	}
}

/*
 * Every level at once, all or nothing. With COMMAND to create, a round
 * of checks first (a pid it needs in use, each level's own pid_max),
 * which is all a dry run does. Signals are held on this thread while
 * helpers live, and helpers inherit that: none dies of a signal meant
 * for the caller, and one that comes is acted on after.
 */
static int write_levels(struct plan *plan, struct slp_error *err)
{
	struct crew *crew = plan->crew;
	bool dry_run = plan->flags & SLP_DRY_RUN, inside = false;
	sigset_t all, mask;
	int ret = 0;

	set_jobs(plan);
	for (unsigned int i = 0; i < plan->vec->nr; i++)
		inside |= crew->jobs[i].check_pid_max;
	if (dry_run && !plan->argv && !inside)
		return 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	/* each level's own pid_max less a margin, which the kernel's write does not know */
	if (dry_run || plan->argv || (inside && plan->margin)) {
		crew_round(crew, DO_CHECK);
		ret = judge(plan, DO_CHECK, err);
	}
	if (ret == 0 && !dry_run) {
		crew_round(crew, DO_WRITE);
		ret = judge(plan, DO_WRITE, err);
		if (ret < 0)
			err->undo = crew_undo(crew) == 0 ? SLP_UNDO_DONE : SLP_UNDO_FAILED;
		for (unsigned int i = 0; ret == 0 && i < plan->vec->nr; i++)
			if (crew->jobs[i].left) {
				plan->past |= 1u << i;
				plan->floor.pid[i] = old_value(&crew->jobs[i]);
			}
	}
	/* with COMMAND to create, the helpers stay for an undo, unless one holds a pid it needs */
	if (!plan->kept && (ret < 0 || dry_run || !plan->argv || crew->in_the_way))
		crew_stop(crew);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	return ret;
}

/* After a later failure (COMMAND could not be created): every level back. */
static int undo(struct plan *plan)
{
	sigset_t all, mask;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	ret = crew_undo(plan->crew);
	crew_stop(plan->crew);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	return ret;
}

/* COMMAND exists, with its pids: the helpers, kept for an undo, go. */
static void commit(struct plan *plan)
{
	crew_stop(plan->crew);
}

static void release(struct plan *plan)
{
	struct crew *crew = plan->crew;

	if (!crew)
		return;
	crew_stop(crew);
	free(crew->stacks);
	fd_close(&crew->creator);
	fd_close(&crew->back);
	free(crew);
	plan->crew = NULL;
}

/* The stacks, and what every job needs: nothing is created yet. */
static int crew_open(struct plan *plan, int sysctl_fd, unsigned int nr, struct slp_error *err)
{
	struct crew *crew = calloc(1, sizeof(*crew));

	if (!crew)
		return fail_sys(err, ENOMEM, "allocate memory for", "the helpers");
	*crew = (struct crew){ .target = plan->target, .nr = nr, .creator = -1, .back = -1 };
	plan->crew = crew;
	crew->stacks = aligned_alloc(64, (size_t)nr * HELPER_STACK);
	if (!crew->stacks)
		return fail_sys(err, ENOMEM, "allocate memory for", "the helpers");
	if ((crew->back = pidns_save(err)) < 0)
		return -1;
#ifdef SYS_pidfd_open
	/* before Linux 5.3, or no descriptor to spare: getppid() alone, which can miss it */
	crew->creator = fd_off_stdio((int)syscall(SYS_pidfd_open, getpid(), 0));
#endif
	for (unsigned int i = 0; i < nr; i++)
		crew->jobs[i] = (struct job){ .sysctl_fd = sysctl_fd, .gen = &crew->gen,
					      .creator = &crew->creator,
					      .once = !HELPERS_MAY_OVERLAP };
	return 0;
}

/*
 * ns_last_pid, opened once for every helper, and their stacks; a kept
 * crew's helpers are made now, each waiting for a job, so that a set
 * creates no process.
 */
static int prepare(struct plan *plan, struct slp_error *err)
{
	sigset_t all, mask;
	int failed;

	if (plan->crew)
		return 0;
	if (plan->fd < 0 && (plan->fd = last_pid_open(O_RDWR, err)) < 0)
		return -1;
	if (crew_open(plan, plan->fd, plan->vec->nr, err) < 0)
		return -1;
	if (!plan->kept)
		return 0;
	for (unsigned int i = 0; i < plan->crew->nr; i++)
		plan->crew->jobs[i].wanted = true;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	crew_round(plan->crew, DO_NOTHING);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	failed = first_failure(plan->crew, DO_NOTHING);
	return failed < 0 ? 0 : fail_job(plan->crew, failed, err);
}

const struct method method_crew = {
	.id = SLP_METHOD_SYSCTL,
	.prepare = prepare,
	.write = write_levels,
	.undo = undo,
	.commit = commit,
	.release = release,
};

/*
 * Each level's own pid_max, read by a helper in it, for a way that has
 * no helpers of its own (clone3() set_tid, the ioctl): in a dry run, and
 * to name the level the kernel refused.
 */
int crew_check_inside(struct plan *plan, struct slp_error *err)
{
	struct plan inside = *plan;
	int ret;

	inside.crew = NULL;
	inside.argv = NULL;
	inside.interrupt = NULL;
	inside.flags |= SLP_DRY_RUN;
	ret = crew_open(&inside, -1, plan->vec->nr, err) < 0 || !inside.crew ? -1
										 : write_levels(&inside, err);
	release(&inside);
	return ret;
}

pid_t crew_pid(const struct plan *plan, unsigned int level)
{
	return plan->crew && level < plan->crew->nr && alive(&plan->crew->jobs[level])
	       ? plan->crew->jobs[level].own_pid : 0;
}
