// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fallback for kernels without NS_SET_LAST_PID_VEC: a task may write
 * /proc/sys/kernel/ns_last_pid only for its own active pid namespace, so
 * each level gets a helper created in it, which writes and exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "methods.h"
#include "rawsys.h"

#define NS_LAST_PID "/proc/sys/kernel/ns_last_pid"

int lock_ns_last_pid_or_exit(void)
{
	int fd = open(NS_LAST_PID, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_errno(errno, "cannot open %s to lock it", NS_LAST_PID);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			fail_errno(errno, "cannot lock %s", NS_LAST_PID);
	return fd;
}

/* One level's write, in memory the helper shares with the tool (CLONE_VM). */
struct job {
	bool wanted;		/* this level is to be written */
	int sysctl_fd;		/* ns_last_pid, opened once by the tool */
	char text[16];		/* the value to write */
	size_t len;
	bool save_old;		/* read the value first, to undo with */
	char old[16];		/* the value it replaced */
	pid_t helper;		/* the helper running it; 0 for none or reaped */
	bool written;
	const char *call;	/* what failed, if anything */
	int errnum;
};

static struct job job_to_write(int sysctl_fd, const char *text, size_t len, bool save_old)
{
	struct job job = { .wanted = true, .sysctl_fd = sysctl_fd, .save_old = save_old };

	job.len = len < sizeof(job.text) ? len : sizeof(job.text) - 1;
	memcpy(job.text, text, job.len);
	return job;
}

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

static int job_failed(struct job *job, const char *call, int errnum)
{
	job->call = call;
	job->errnum = errnum;
	return -1;
}

/*
 * A helper's whole life; the tool runs it too for its own level. No
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

/*
 * The cheapest task there is: it shares the tool's memory, files,
 * filesystem context and signal handlers, so creating it copies almost
 * nothing, and it signals nobody when it exits (waited for by __WCLONE).
 * Each level has its own small stack, as helpers may run side by side.
 */
#define HELPER_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SYSVSEM | CLONE_IO)
#define HELPER_STACK 2048
static char helper_stacks[VECTOR_MAX][HELPER_STACK] __attribute__((aligned(64)));

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

/* setns() moves only the tool's future children into the level. */
static int start_helper(const struct level *level, struct job *job, char *stack)
{
	if (setns(level->fd, CLONE_NEWPID) < 0)
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
 * write as soon as it exists, while the tool creates the next one. The
 * caller's own level, the outermost, is written once all exist.
 */
static void run_jobs(const struct levels *levels, struct job *jobs)
{
	unsigned int i;

	for (i = 0; i < levels->nr; i++) {
		if (!jobs[i].wanted)
			continue;
		if (levels->level[i].is_callers)
			run_job(&jobs[i]);
		else if (start_helper(&levels->level[i], &jobs[i], helper_stacks[i]) < 0)
			break;
	}
	for (i = 0; i < levels->nr; i++)
		reap_helper(&jobs[i]);
}

static int first_failure(const struct levels *levels, const struct job *jobs)
{
	unsigned int i;

	for (i = 0; i < levels->nr; i++)
		if (jobs[i].call)
			return (int)i;
	return -1;
}

/* Write back the levels written, as they were. */
static bool undo(const struct levels *levels, const struct job *jobs)
{
	struct job back[VECTOR_MAX];
	unsigned int i;

	for (i = 0; i < levels->nr; i++)
		back[i] = jobs[i].written ? job_to_write(jobs[i].sysctl_fd, jobs[i].old,
							 strlen(jobs[i].old), false)
					  : (struct job){ .wanted = false };
	run_jobs(levels, back);
	return first_failure(levels, back) < 0;
}

int set_own_last_pid(pid_t pid)
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

int set_by_sysctl(const struct levels *levels, const struct pid_vector *vec,
		  struct sysctl_failure *failure)
{
	struct job jobs[VECTOR_MAX];
	char text[16];
	unsigned int i;
	int fd, failed;

	fd = open(NS_LAST_PID, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*failure = (struct sysctl_failure){ "open", 0, errno, true };
		return -1;
	}
	for (i = 0; i < vec->nr; i++) {
		/* One write alone needs no undo: the kernel takes it or not. */
		jobs[i] = job_to_write(fd, text, format_pid(text, vec->pid[i]), vec->nr > 1);
	}
	run_jobs(levels, jobs);
	failed = first_failure(levels, jobs);
	if (failed >= 0) {
		*failure = (struct sysctl_failure){ jobs[failed].call, (unsigned int)failed,
						    jobs[failed].errnum, false };
		failure->undone = undo(levels, jobs);
	}
	close(fd);
	return failed >= 0 ? -1 : 0;
}
