// SPDX-License-Identifier: LGPL-2.1-or-later
/* NS_SET_LAST_PID_VEC: every level in one call, checked whole by the kernel. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <linux/nsfs.h>

#include "internal.h"

#ifndef NS_SET_LAST_PID_VEC
/* Proposed for Linux, not in mainline: see tests/kernel/. */
#define NS_SET_LAST_PID_VEC _IO(NSIO, 0x5)
#endif

/* struct slp_vector is struct ns_ioc_pid_vec with room for every level. */
_Static_assert(offsetof(struct slp_vector, pid) == 4 && sizeof(pid_t) == 4,
	       "struct slp_vector must match struct ns_ioc_pid_vec");

int kernel_has_ioctl(int fd)
{
	/* nr = 0 is refused (EINVAL) before anything else by a kernel that has it. */
	struct slp_vector empty = { .nr = 0 };

	if (ioctl(fd, NS_SET_LAST_PID_VEC, &empty) == 0 || errno == EINVAL)
		return 1;
	/* unknown to the kernel, or a seccomp filter's no to every unknown ioctl */
	if (errno == ENOTTY || errno == EPERM || errno == EACCES || errno == ENOSYS)
		return 0;
	return -1;
}

/*
 * The kernel checks the vector whole and sets every level or none, so
 * a plain run asks it first; with COMMAND or a dry run, the plan checks
 * in userspace what the kernel would.
 */
static int check(struct plan *plan, struct slp_error *err)
{
	if (target_resolve(plan->target, plan->vec->nr, err) < 0 ||
	    check_range(plan, false, err) < 0)
		return -1;
	return check_owners(plan, err);
}

/* The ioctl failed and nothing changed: find out why. */
static int explain(struct plan *plan, int errnum, struct slp_error *err)
{
	switch (errnum) {
	case ENOTTY:
		fail_code(err, SLP_E_NO_IOCTL, errnum, NULL, NULL);
		err->target = plan->target->name;
		return -1;
	case EINVAL:
		if (target_resolve(plan->target, plan->vec->nr, err) < 0 ||
		    check_range(plan, false, err) < 0)
			return -1;
		fail_code(err, SLP_E_REFUSED, errnum, NULL, NULL);
		err->target = plan->target->name;
		return -1;
	case EPERM:
	case EACCES:
		if (target_resolve(plan->target, plan->vec->nr, err) < 0 ||
		    check_range(plan, false, err) < 0)
			return -1;
		return explain_denial(plan, errnum, err);
	default:
		return fail_sys(err, errnum, "issue NS_SET_LAST_PID_VEC on", plan->target->name);
	}
}

static int write_levels(struct plan *plan, struct slp_error *err)
{
	if (plan->flags & SLP_DRY_RUN)
		return 0;
	if (ioctl(plan->target->level[0].fd, NS_SET_LAST_PID_VEC, plan->vec) < 0)
		return explain(plan, errno, err);
	return 0;
}

static int nothing_to_prepare(struct plan *plan, struct slp_error *err)
{
	(void)plan;
	(void)err;
	return 0;
}

/* The ioctl has no read side: what it replaced is not known. */
static int cannot_undo(struct plan *plan)
{
	(void)plan;
	return -1;
}

static void nothing_to_release(struct plan *plan)
{
	(void)plan;
}

const struct method method_ioctl = {
	.id = SLP_METHOD_IOCTL,
	.check = check,
	.prepare = nothing_to_prepare,
	.write = write_levels,
	.undo = cannot_undo,
	.release = nothing_to_release,
};

/* The counters set already, by a server: nothing to check, hold or write here. */
static int resolve_only(struct plan *plan, struct slp_error *err)
{
	return target_resolve(plan->target, plan->vec->nr, err);
}

static int nothing_to_write(struct plan *plan, struct slp_error *err)
{
	(void)plan;
	(void)err;
	return 0;
}

const struct method method_preset = {
	.id = SLP_METHOD_PRESET,
	.check = resolve_only,
	.prepare = nothing_to_prepare,
	.write = nothing_to_write,
	.undo = cannot_undo,
	.release = nothing_to_release,
};
