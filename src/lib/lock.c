// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SLP_LOCK: an exclusive flock() on /proc/sys/kernel/ns_last_pid, the
 * protocol of cooperating restorers (CRIU's too), held from before the
 * first write until the process to restore exists.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <time.h>

#include "internal.h"

/*
 * Another holds it: wait, until it is ours or a signal of the interrupt
 * set comes. Nothing may be created meanwhile (a task would take the
 * pid the holder is about to give), so the wait looks now and then,
 * signals held: a few milliseconds at first, 20 ms at most.
 */
static int wait_interruptible(struct plan *plan, struct slp_error *err)
{
	struct timespec nap = { 0, 1000 * 1000 };
	sigset_t none, mask;
	const sigset_t *interrupt = plan->interrupt;
	int ret = 0, sig;

	sigemptyset(&none);
	if (!interrupt)
		interrupt = &none;
	pthread_sigmask(SIG_BLOCK, interrupt, &mask);
	while (flock(plan->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			ret = fail_sys(err, errno, "lock", NS_LAST_PID);
			break;
		}
		sig = sigtimedwait(interrupt, NULL, &nap);
		if (sig > 0 && fail_signal(err, sig, "waiting for the lock on") < 0) {
			err->file = NS_LAST_PID;
			ret = -1;
			break;
		}
		nap.tv_nsec = nap.tv_nsec < 10 * 1000 * 1000 ? nap.tv_nsec * 2 : 20 * 1000 * 1000;
	}
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	return ret;
}

/* A dry run opens the file, the one thing that can fail, and waits for no lock. */
int lock_take(struct plan *plan, struct slp_error *err)
{
	plan->lock_fd = last_pid_open(O_RDONLY, err);
	if (plan->lock_fd < 0 || (plan->flags & SLP_DRY_RUN))
		return plan->lock_fd < 0 ? -1 : 0;
	return wait_interruptible(plan, err);
}

void lock_release(struct plan *plan)
{
	fd_close(&plan->lock_fd);
}
