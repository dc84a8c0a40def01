// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The caller's own level alone: one write of its own ns_last_pid, which
 * the kernel checks whole (range and privilege), so nothing comes before
 * it and its refusal changes nothing. With COMMAND to create after it,
 * what it replaces is read first, for an undo. A holder keeps the file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

/* The file, as the write will meet it: missing, masked, read-only. */
static int prepare(struct plan *plan, struct slp_error *err)
{
	if (plan->fd >= 0)
		return 0;
	plan->fd = last_pid_open(plan->argv || plan->kept || (plan->flags & SLP_AT_LEAST) ? O_RDWR
										     : O_WRONLY, err);
	return plan->fd < 0 ? -1 : 0;
}

static int write_level(struct plan *plan, struct slp_error *err)
{
	char text[16];
	size_t len = (size_t)snprintf(text, sizeof(text), "%d", plan->vec->pid[0]);
	ssize_t old;
	pid_t counter;
	int errnum;

	if (plan->flags & SLP_DRY_RUN)
		return 0;
	plan->old_len = 0;
	if (plan->argv || (plan->flags & SLP_AT_LEAST)) {
		old = pread(plan->fd, plan->old, sizeof(plan->old) - 1, 0);
		if (old <= 0)
			return fail_sys(err, old < 0 ? errno : EIO, "read", NS_LAST_PID);
		plan->old_len = (size_t)old;
		plan->old[old] = '\0';
	}
	/* a floor another process passed since it was read: never lowered, and told so */
	if ((plan->flags & SLP_AT_LEAST) && (counter = atoi(plan->old)) >= plan->vec->pid[0]) {
		plan->past |= 1;
		plan->floor.pid[0] = counter;
		return 0;
	}
	if (pwrite(plan->fd, text, len, 0) >= 0)
		return 0;
	/*
	 * the kernel said no, and nothing changed: the plan's checks name the
	 * rule, with the descriptors the dry run's had (a holder keeps its file)
	 */
	errnum = errno;
	if (!plan->kept)
		fd_close(&plan->fd);
	return plan_refused(plan, errnum, "write", NS_LAST_PID, err);
}

/* COMMAND could not be created: what the write replaced, back. */
static int undo(struct plan *plan)
{
	return plan->old_len > 0 && pwrite(plan->fd, plan->old, plan->old_len, 0) >= 0 ? 0 : -1;
}

const struct method method_own = {
	.id = SLP_METHOD_SYSCTL,
	.prepare = prepare,
	.write = write_level,
	.undo = undo,
};
