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

#include "crew.h"
#include "rawsys.h"

/* How many times a helper for an undo is tried when the kernel says EAGAIN. */
#define UNDO_TRIES 50

/* What a run of this method holds, all taken before the first write. */
struct sysctl_state {
	int fd;			/* ns_last_pid, read and write */
	struct crew crew;	/* a helper per level, with their stacks */
	bool in_the_way;	/* a helper holds a pid COMMAND needs */
};

/*
 * Write back, with new helpers, each level that may hold a value of
 * ours and was not put back: a helper gone without saying (killed), or
 * a later failure (COMMAND could not be created). EAGAIN is retried:
 * the helpers that just exited freed what they held. One at a time.
 */
static int undo_by_new_helpers(struct plan *plan)
{
	struct crew *crew = &plan->sysctl->crew, back;
	unsigned int nr = crew->nr, i;
	int tries, ret = -1;

	/* the gone helpers' stacks and descriptors: nothing to acquire now */
	crew_open_borrowing(&back, crew);
	for (tries = 0; tries < UNDO_TRIES; tries++) {
		bool left = false;

		for (i = 0; i < nr; i++) {
			struct job *job = &back.jobs[i];

			job->wanted = job_needs_undo(&crew->jobs[i]);
			job->once = true;
			left |= job->wanted;
			if (job->wanted) {
				memcpy(job->text, crew->jobs[i].old, crew->jobs[i].old_len);
				job->len = crew->jobs[i].old_len;
				job->value = 0;
			}
		}
		if (!left) {
			ret = 0;
			break;
		}
		crew_start(&back, DO_WRITE);
		for (i = 0; i < nr; i++) {
			if (!back.jobs[i].wanted)
				continue;
			if (back.jobs[i].written && !back.jobs[i].killed)
				crew->jobs[i].undone = true;
			else if (back.jobs[i].call && back.jobs[i].errnum != EAGAIN)
				goto out;
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
out:
	crew_close(&back);
	return ret;
}

/*
 * After a later failure (COMMAND could not be created): put every level
 * back, by the helpers that wrote them where they are still there (kept
 * for this), else by new ones.
 */
static int undo(struct plan *plan)
{
	struct crew *crew = &plan->sysctl->crew;
	bool all = false;

	if (crew_alive(crew)) {
		crew_give(crew, DO_UNDO);
		all = crew_all_undone(crew);
		crew_stop(crew);
	}
	return all ? 0 : undo_by_new_helpers(plan);
}

/* COMMAND exists, with its pids: the helpers, kept for an undo, go. */
static void committed(struct plan *plan)
{
	crew_stop(&plan->sysctl->crew);
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
	struct job *jobs = plan->sysctl->crew.jobs;
	unsigned int nr = plan->vec->nr;

	for (unsigned int level = 0; level < nr; level++) {
		pid_t want = plan->vec->pid[level] + 1;
		bool ours = false;

		if (!jobs[level].pid_in_use)
			continue;
		for (unsigned int k = 0; k <= level && !ours; k++) {
			pid_t at;

			if (!jobs[k].helper && !(k == level && jobs[k].own_pid))
				continue;
			at = target_is_callers(plan->target, level) ? jobs[k].helper
								   : helper_pid_at(&jobs[k], k, level);
			/* not knowing is no reason to blame another process */
			if (at < 0) {
				fail_sys(err, errno, "tell whose is the pid COMMAND needs in",
					 plan->target->name);
				return fail_at(err, plan->target, level);
			}
			ours = at == want;
		}
		/* one of ours: gone before COMMAND is created, which it must not outlive */
		if (ours) {
			plan->sysctl->in_the_way = true;
			continue;
		}
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
	if (failed >= 0)
		return crew_fail(&plan->sysctl->crew, failed, err);
	if (plan->spawn && check_pids_free(plan, err) < 0)
		return -1;
	return check_interrupt(plan, err);
}

/* Does the plan create a helper, in a level that is not the caller's own? */
static bool has_helpers(struct plan *plan)
{
	return plan->vec->nr > 1 || !target_is_callers(plan->target, 0);
}

/*
 * Every level at once, all or nothing: each helper writes its level,
 * then waits for the verdict; a failure anywhere before it has each put
 * back what it replaced. Signals are held on this thread while helpers
 * live, and helpers inherit that: none dies of a signal meant for the
 * caller, and one that comes is acted on after.
 */
static int write_levels(struct plan *plan, struct slp_error *err)
{
	struct crew *crew = &plan->sysctl->crew;
	const struct slp_vector *vec = plan->vec;
	bool dry_run = plan->flags & SLP_DRY_RUN, per_level = pid_max_per_namespace();
	enum job_what what = dry_run ? DO_CHECK : DO_WRITE;
	sigset_t all, mask;
	int ret;

	/* A dry run checks in each level what only a task there can see, if any. */
	if (dry_run && !plan->spawn && !(per_level && has_helpers(plan)))
		return 0;
	for (uint32_t i = 0; i < vec->nr; i++) {
		struct job *job = &crew->jobs[i];

		crew_set_value(crew, i, vec->pid[i]);
		job->check_pid_max = per_level && !target_is_callers(plan->target, i);
		job->check_pid = plan->spawn ? vec->pid[i] + 1 : 0;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	plan->sysctl->in_the_way = false;
	if (plan->spawn && !dry_run) {
		/* every check before the first write: a pid COMMAND needs too */
		for (uint32_t i = 0; i < vec->nr; i++)
			crew->jobs[i].check_pid_max = false;
		crew_start(crew, DO_CHECK);
		ret = judge(plan, crew_first_failure(crew, DO_CHECK), err);
		if (ret < 0) {
			crew_stop(crew);
			pthread_sigmask(SIG_SETMASK, &mask, NULL);
			return ret;
		}
		for (uint32_t i = 0; i < vec->nr; i++)
			crew->jobs[i].check_pid_max = per_level && !target_is_callers(plan->target, i);
		/* helpers of one job each (see rawsys.h) are gone: new ones write */
		if (crew->stay)
			crew_give(crew, DO_WRITE);
		else
			crew_start(crew, DO_WRITE);
	} else {
		crew_start(crew, what);
	}
	ret = judge(plan, crew_first_failure(crew, what), err);
	if (ret < 0 && !dry_run)
		crew_give(crew, DO_UNDO);
	/*
	 * With COMMAND to create, the helpers stay for an undo should that
	 * fail (no process may be had then), unless one holds a pid it needs.
	 */
	if (ret < 0 || dry_run || !plan->spawn || plan->sysctl->in_the_way)
		crew_stop(crew);
	if (ret < 0 && !dry_run)
		err->undo = crew_all_undone(crew) || undo_by_new_helpers(plan) == 0 ? SLP_UNDO_DONE
										    : SLP_UNDO_FAILED;
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	return ret;
}

static void release(struct plan *plan)
{
	if (!plan->sysctl)
		return;
	crew_close(&plan->sysctl->crew);
	close(plan->sysctl->fd);
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
	if (crew_open(&state->crew, plan->target, plan->vec->nr, state->fd, true, err) < 0) {
		close(state->fd);
		free(state);
		return -1;
	}
	plan->sysctl = state;
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
	.committed = committed,
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
