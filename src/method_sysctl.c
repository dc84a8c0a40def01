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
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "methods.h"

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

/* What a helper does, in memory it shares with the tool (CLONE_VM). */
struct job {
	int sysctl_fd;		/* ns_last_pid, opened once by the tool */
	char text[16];		/* the value to write */
	char old[16];		/* the value it replaced, to undo with */
	bool save_old;
	const char *call;	/* what failed, if anything */
	int errnum;
};

/*
 * The helper: the tool is suspended (CLONE_VFORK) until it exits, so it
 * may use the tool's memory, and one stack serves every helper. pread
 * and pwrite at 0: the shared file offset never matters.
 */
static int run_job(void *arg)
{
	struct job *job = arg;
	ssize_t len;

	if (job->save_old) {
		len = pread(job->sysctl_fd, job->old, sizeof(job->old) - 1, 0);
		if (len <= 0) {
			job->call = "read";
			job->errnum = len < 0 ? errno : EIO;
			return 0;
		}
		job->old[len] = '\0';
	}
	if (pwrite(job->sysctl_fd, job->text, strlen(job->text), 0) < 0) {
		job->call = "write";
		job->errnum = errno;
	}
	return 0;
}

static char helper_stack[16384] __attribute__((aligned(64)));

static int wait_helper(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Run job as a task of level's pid namespace: the only way to reach it. */
static int run_job_in(const struct level *level, struct job *job)
{
	pid_t pid;

	job->call = NULL;
	job->errnum = 0;
	if (level->is_callers) {
		run_job(job);
		return job->call ? -1 : 0;
	}
	/* setns() moves only the tool's future children into the level. */
	if (setns(level->fd, CLONE_NEWPID) < 0) {
		job->call = "setns";
		job->errnum = errno;
		return -1;
	}
	pid = clone(run_job, helper_stack + sizeof(helper_stack),
		    CLONE_VM | CLONE_VFORK | SIGCHLD, job);
	if (pid < 0 || wait_helper(pid) < 0) {
		job->call = pid < 0 ? "clone" : "waitpid";
		job->errnum = errno;
		return -1;
	}
	return job->call ? -1 : 0;
}

/* Write back levels[0..count-1] as they were, innermost first again. */
static bool undo(const struct levels *levels, struct job *jobs, unsigned int count)
{
	bool undone = true;
	unsigned int i;

	for (i = 0; i < count; i++) {
		memcpy(jobs[i].text, jobs[i].old, sizeof(jobs[i].text));
		jobs[i].save_old = false;
		if (run_job_in(&levels->level[i], &jobs[i]) < 0)
			undone = false;
	}
	return undone;
}

int set_by_sysctl(const struct levels *levels, const struct pid_vector *vec,
		  struct sysctl_failure *failure)
{
	struct job jobs[VECTOR_MAX];
	unsigned int i;
	int fd;

	fd = open(NS_LAST_PID, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*failure = (struct sysctl_failure){ "open", 0, errno, true };
		return -1;
	}
	/* An inherited SIG_IGN would reap the helpers before waitpid(). */
	signal(SIGCHLD, SIG_DFL);
	for (i = 0; i < vec->nr; i++) {
		/* Only a level written before a failure is undone: not the last. */
		jobs[i] = (struct job){ .sysctl_fd = fd, .save_old = i + 1 < vec->nr };
		snprintf(jobs[i].text, sizeof(jobs[i].text), "%d", vec->pid[i]);
	}
	for (i = 0; i < vec->nr; i++) {
		if (run_job_in(&levels->level[i], &jobs[i]) == 0)
			continue;
		*failure = (struct sysctl_failure){ jobs[i].call, i, jobs[i].errnum, false };
		failure->undone = undo(levels, jobs, i);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
