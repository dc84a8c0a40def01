// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The way every kernel has: a task may write /proc/sys/kernel/ns_last_pid
 * only for its own active pid namespace, so each level gets a helper
 * created in it, which writes and exits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "rawsys.h"

/* One level's write, in memory the helper shares with the caller (CLONE_VM). */
struct job {
	bool wanted;		/* this level is to be written */
	int sysctl_fd;		/* ns_last_pid, opened once */
	char text[16];		/* the value to write */
	size_t len;
	bool save_old;		/* read the value first, to undo with */
	char old[16];		/* the value it replaced */
	pid_t helper;		/* the helper running it; 0 for none or reaped */
	bool written;
	const char *call;	/* what failed, if anything */
	int errnum;
};

/*
 * The cheapest task there is: it shares the caller's memory, files,
 * filesystem context and signal handlers, so creating it copies almost
 * nothing, and it signals nobody when it exits (waited for by __WCLONE).
 * Each level has its own small stack, as helpers may run side by side.
 */
#define HELPER_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SYSVSEM | CLONE_IO)
#define HELPER_STACK 2048

/* What a run of this method holds, all taken before the first write. */
struct sysctl_state {
	int fd;				/* ns_last_pid, read and write */
	char *stacks;			/* one helper stack per level */
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

static struct job job_to_write(int sysctl_fd, const char *text, size_t len, bool save_old)
{
	struct job job = { .wanted = true, .sysctl_fd = sysctl_fd, .save_old = save_old };

	job.len = len < sizeof(job.text) ? len : sizeof(job.text) - 1;
	memcpy(job.text, text, job.len);
	return job;
}

static int job_failed(struct job *job, const char *call, int errnum)
{
	job->call = call;
	job->errnum = errnum;
	return -1;
}

/*
 * A helper's whole life; the caller runs it too for its own level. No
 * libc call that could set errno: see rawsys.h. pread and pwrite at 0,
 * so the shared file offset never matters.
 */
static int run_job(void *arg)
{
	struct job *job = arg;
	long ret;

	if (job->save_old) {
		ret = helper_pread(job->sysctl_fd, job->old, sizeof(job->old) - 1);
		if (ret <= 0)
			return job_failed(job, "read", ret < 0 ? (int)-ret : EIO);
		job->old[ret] = '\0';
	}
	ret = helper_pwrite(job->sysctl_fd, job->text, job->len);
	if (ret < 0)
		return job_failed(job, "write", (int)-ret);
	job->written = true;
	return 0;
}

static void reap_helper(struct job *job)
{
	int status;

	if (!job->helper)
		return;
	while (waitpid(job->helper, &status, __WCLONE) < 0)
		if (errno != EINTR) {
			if (!job->call)
				job_failed(job, "waitpid", errno);
			break;
		}
	job->helper = 0;
}

/* setns() moves only the thread's future children into the level. */
static int start_helper(int level_fd, struct job *job, char *stack)
{
	if (setns(level_fd, CLONE_NEWPID) < 0)
		return job_failed(job, "setns", errno);
	job->helper = clone(run_job, stack + HELPER_STACK, HELPER_FLAGS, job);
	if (job->helper < 0) {
		job->helper = 0;
		return job_failed(job, "clone", errno);
	}
	if (!HELPERS_MAY_OVERLAP)
		reap_helper(job);
	return 0;
}

/*
 * Run the wanted jobs, one per level, creating helpers innermost first.
 * Creating the helper of level i takes a pid in level i and every level
 * above, and nothing created later touches level i: so helper i may
 * write as soon as it exists, while the caller creates the next one.
 * The caller's own level, the outermost, is written once all exist.
 */
static void run_jobs(const struct plan *plan, struct job *jobs)
{
	struct slp_target *target = plan->target;
	unsigned int nr = plan->vec->nr, i;
	int saved = pidns_save();

	for (i = 0; i < nr; i++) {
		if (!jobs[i].wanted)
			continue;
		if (target_is_callers(target, i))
			run_job(&jobs[i]);
		else if (start_helper(target->level[i].fd, &jobs[i],
				      plan->sysctl->stacks + (size_t)i * HELPER_STACK) < 0)
			break;
	}
	for (i = 0; i < nr; i++)
		reap_helper(&jobs[i]);
	pidns_restore(saved);
}

static int first_failure(unsigned int nr, const struct job *jobs)
{
	for (unsigned int i = 0; i < nr; i++)
		if (jobs[i].call)
			return (int)i;
	return -1;
}

/* Write back the levels written, as they were: 0 if every one is. */
static int undo(struct plan *plan)
{
	struct job *jobs = plan->sysctl->jobs, back[SLP_VECTOR_MAX];
	unsigned int nr = plan->vec->nr, i;

	for (i = 0; i < nr; i++)
		back[i] = jobs[i].written ? job_to_write(jobs[i].sysctl_fd, jobs[i].old,
							 strlen(jobs[i].old), false)
					  : (struct job){ .wanted = false };
	run_jobs(plan, back);
	return first_failure(nr, back) < 0 ? 0 : -1;
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

static int write_levels(struct plan *plan, struct slp_error *err)
{
	struct sysctl_state *state = plan->sysctl;
	const struct slp_vector *vec = plan->vec;
	char text[16];
	int failed;

	for (uint32_t i = 0; i < vec->nr; i++) {
		/* One write alone, with nothing after it, needs no undo. */
		state->jobs[i] = job_to_write(state->fd, text, format_pid(text, vec->pid[i]),
					      vec->nr > 1 || plan->spawn);
	}
	run_jobs(plan, state->jobs);
	failed = first_failure(vec->nr, state->jobs);
	if (failed < 0)
		return 0;
	fail_code(err, code_of_write(state->jobs[failed].errnum), state->jobs[failed].errnum,
		  state->jobs[failed].call, NULL);
	err->undo = undo(plan) == 0 ? SLP_UNDO_DONE : SLP_UNDO_FAILED;
	return fail_at(err, plan->target, (unsigned int)failed);
}

static int open_failed(int errnum, struct slp_error *err)
{
	switch (errnum) {
	case ENOENT:
		return fail_code(err, SLP_E_NO_SYSCTL, errnum, "open", NS_LAST_PID);
	case EACCES:
	case EPERM:
		return fail_code(err, SLP_E_DENIED, errnum, "open", NS_LAST_PID);
	default:
		return fail_sys(err, errnum, "open", NS_LAST_PID);
	}
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
	state->fd = open(NS_LAST_PID, O_RDWR | O_CLOEXEC);
	if (state->fd < 0) {
		int errnum = errno;

		free(state);
		return open_failed(errnum, err);
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
	    check_range(plan->vec, false, err) < 0)
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
	if (write(fd, text, len) < 0) {
		errnum = errno;
		close(fd);
		errno = errnum;
		return -1;
	}
	close(fd);
	return 0;
}
