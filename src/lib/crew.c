// SPDX-License-Identifier: LGPL-2.1-or-later
/* A crew: a helper in each level, taking jobs one after another. See crew.h. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crew.h"
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

size_t format_pid(char *buf, pid_t pid)
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

/* Is the value above the level's own pid_max? Then "range", with it. */
static bool above_pid_max(struct job *job)
{
	job->pid_max = read_level_pid_max();
	if (job->pid_max < 0) {
		job_failed(job, "read pid_max", (int)-job->pid_max);
		return true;
	}
	if (job->value > job->pid_max) {
		job_failed(job, "range", 0);
		return true;
	}
	return false;
}

/*
 * The level's checks: whether the pid asked about is in use; in a dry
 * run its own pid_max too (a write finds it out by the kernel's EINVAL,
 * and only then reads it, to say so).
 */
static bool check_job(struct job *job)
{
	if (job->check_pid_max && job->what == DO_CHECK && above_pid_max(job))
		return false;
	if (job->check_pid > 0)
		job->pid_in_use = helper_pid_in_use(job->check_pid);
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
		job->written = false;
		job->undone = false;
		if (!check_job(job))
			break;
		ret = helper_pread(job->sysctl_fd, job->old, sizeof(job->old) - 1);
		if (ret <= 0) {
			job_failed(job, "read", ret < 0 ? (int)-ret : EIO);
			break;
		}
		job->old_len = (size_t)ret;
		ret = helper_pwrite(job->sysctl_fd, job->text, job->len);
		if (ret < 0) {
			if (ret != -EINVAL || !job->check_pid_max || !above_pid_max(job))
				job_failed(job, "write", (int)-ret);
			break;
		}
		job->written = true;
		break;
	case DO_UNDO:
		if (job->written && !job->undone && job->old_len > 0)
			job->undone = helper_pwrite(job->sysctl_fd, job->old, job->old_len) >= 0;
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

/* setns() moves only the thread's future children into the level. */
static int start_helper(struct crew *crew, unsigned int i)
{
	struct job *job = &crew->jobs[i];
	char *stack = crew->stacks + (size_t)i * HELPER_STACK;

	if (setns(crew->target->level[i].fd, CLONE_NEWPID) < 0) {
		job_failed(job, "setns", errno);
		return -1;
	}
	job->killed = false;
	job->state = JOB_RUNNING;
	job->helper = clone(run_helper, stack + HELPER_STACK, HELPER_FLAGS, job, NULL, NULL,
			    &job->state);
	if (job->helper < 0) {
		job->helper = 0;
		job->state = JOB_GONE;
		job_failed(job, "clone", errno);
		return -1;
	}
	if (job->once)
		reap_helper(job);
	return 0;
}

static void init_jobs(struct crew *crew)
{
	for (unsigned int i = 0; i < crew->nr; i++)
		crew->jobs[i] = (struct job){ .wanted = true, .sysctl_fd = crew->sysctl_fd,
					      .gen = &crew->gen, .creator = &crew->creator,
					      .once = !crew->stay };
}

int crew_open(struct crew *crew, struct slp_target *target, unsigned int nr, int sysctl_fd,
	      bool stay, struct slp_error *err)
{
	*crew = (struct crew){ .target = target, .nr = nr, .sysctl_fd = sysctl_fd,
			       .stay = stay && HELPERS_MAY_OVERLAP, .creator = -1 };
	crew->back = pidns_saved_or_fail(pidns_save(), err);
	if (crew->back < 0)
		return -1;
	crew->stacks = aligned_alloc(64, (size_t)nr * HELPER_STACK);
	if (!crew->stacks) {
		close(crew->back);
		crew->back = -1;
		return fail_sys(err, ENOMEM, "allocate memory for", "the helpers");
	}
#ifdef SYS_pidfd_open
	/* before Linux 5.3, or no descriptor to spare: getppid() alone, which can miss it */
	crew->creator = fd_off_stdio((int)syscall(SYS_pidfd_open, getpid(), 0));
#endif
	init_jobs(crew);
	return 0;
}

void crew_open_borrowing(struct crew *crew, const struct crew *from)
{
	*crew = (struct crew){ .target = from->target, .nr = from->nr,
			       .sysctl_fd = from->sysctl_fd, .stacks = from->stacks,
			       .creator = from->creator, .back = from->back, .borrowed = true };
	init_jobs(crew);
}

void crew_close(struct crew *crew)
{
	crew_stop(crew);
	if (crew->borrowed)
		return;
	free(crew->stacks);
	crew->stacks = NULL;
	if (crew->creator >= 0)
		close(crew->creator);
	crew->creator = -1;
	if (crew->back >= 0)
		close(crew->back);
	crew->back = -1;
}

void crew_set_value(struct crew *crew, unsigned int i, pid_t value)
{
	struct job *job = &crew->jobs[i];

	job->value = value;
	job->len = format_pid(job->text, value);
}

bool crew_is_callers(const struct crew *crew, unsigned int i)
{
	return target_is_callers(crew->target, i);
}

void crew_start(struct crew *crew, enum job_what what)
{
	unsigned int i;

	for (i = 0; i < crew->nr; i++) {
		struct job *job = &crew->jobs[i];

		if (!job->wanted)
			continue;
		job->what = what;
		job->call = NULL;
		/* the caller's own level, the outermost: once every helper exists */
		if (crew_is_callers(crew, i))
			do_job(job);
		else if (start_helper(crew, i) < 0)
			break;
	}
	pidns_back(crew->back);
	for (i = 0; i < crew->nr; i++)
		wait_done(&crew->jobs[i]);
}

void crew_give(struct crew *crew, enum job_what what)
{
	unsigned int i;

	for (i = 0; i < crew->nr; i++) {
		struct job *job = &crew->jobs[i];

		if (crew_is_callers(crew, i) || !job->helper ||
		    __atomic_load_n(&job->state, __ATOMIC_ACQUIRE) == JOB_GONE)
			continue;
		job->what = job->wanted || what == DO_EXIT ? what : DO_NOTHING;
		job->state = JOB_RUNNING;
	}
	__atomic_add_fetch(&crew->gen, 1, __ATOMIC_RELEASE);
	futex_wake_all(&crew->gen);
	/* meanwhile, the caller's own level */
	for (i = 0; i < crew->nr; i++) {
		if (crew->jobs[i].wanted && crew_is_callers(crew, i)) {
			crew->jobs[i].what = what;
			do_job(&crew->jobs[i]);
		}
	}
	for (i = 0; i < crew->nr; i++)
		if (crew->jobs[i].helper && what != DO_EXIT)
			wait_done(&crew->jobs[i]);
}

bool crew_alive(const struct crew *crew)
{
	for (unsigned int i = 0; i < crew->nr; i++)
		if (crew->jobs[i].helper)
			return true;
	return false;
}

void crew_stop(struct crew *crew)
{
	if (crew_alive(crew))
		crew_give(crew, DO_EXIT);
	for (unsigned int i = 0; i < crew->nr; i++)
		reap_helper(&crew->jobs[i]);
}

int crew_mend(struct crew *crew)
{
	bool entered = false;
	int ret = 0;

	for (unsigned int i = 0; i < crew->nr; i++) {
		struct job *job = &crew->jobs[i];

		if (crew_is_callers(crew, i) || __atomic_load_n(&job->state, __ATOMIC_ACQUIRE))
			continue;
		/* setns() below moves our next children: back after */
		entered = true;
		/* gone: reaped, and another in its place, which waits for a job */
		reap_helper(job);
		job->what = DO_NOTHING;
		if (start_helper(crew, i) < 0) {
			ret = -1;
			break;
		}
		wait_done(job);
	}
	if (entered)
		pidns_back(crew->back);
	return ret;
}

int crew_first_failure(const struct crew *crew, enum job_what what)
{
	for (unsigned int i = 0; i < crew->nr; i++) {
		const struct job *job = &crew->jobs[i];

		if (!job->wanted)
			continue;
		if (job->call || job->killed || (what == DO_WRITE && !job->written))
			return (int)i;
	}
	return -1;
}

bool job_needs_undo(const struct job *job)
{
	return job->wanted && job->old_len > 0 && !job->undone && (job->written || job->killed);
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

int crew_fail(struct crew *crew, int failed, struct slp_error *err)
{
	const struct job *job = &crew->jobs[failed];

	if (job->call && strcmp(job->call, "range") == 0) {
		fail_code(err, SLP_E_RANGE, 0, NULL, NULL);
		err->value = job->value;
		err->limit = job->pid_max;
	} else if (job->call) {
		fail_code(err, code_of_write(job->errnum), job->errnum, job->call, NULL);
	} else {
		fail_code(err, SLP_E_SYSTEM, 0, "its helper died before it wrote", NULL);
	}
	return fail_at(err, crew->target, (unsigned int)failed);
}

int crew_write_alone(struct crew *crew, unsigned int i, pid_t value, struct slp_error *err)
{
	struct job *job = &crew->jobs[i];
	long ret;

	crew_set_value(crew, i, value);
	job->old_len = 0;
	job->undone = false;
	job->call = NULL;
	ret = helper_pwrite(job->sysctl_fd, job->text, job->len);
	job->written = ret >= 0;
	if (job->written)
		return 0;
	if (ret != -EINVAL || !above_pid_max(job))
		job_failed(job, "write", (int)-ret);
	return crew_fail(crew, (int)i, err);
}

bool crew_all_undone(const struct crew *crew)
{
	for (unsigned int i = 0; i < crew->nr; i++)
		if (job_needs_undo(&crew->jobs[i]))
			return false;
	return true;
}
