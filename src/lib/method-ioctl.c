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

/* The kernel sets every level or none: a refusal changed nothing, and the checks name its rule. */
static int write_levels(struct plan *plan, struct slp_error *err)
{
	int errnum;

	if ((plan->flags & SLP_DRY_RUN) ||
	    ioctl(plan->target->level[0].fd, NS_SET_LAST_PID_VEC, plan->vec) == 0)
		return 0;
	errnum = errno;
	switch (errnum) {
	case ENOTTY:
		fail_code(err, SLP_E_NO_IOCTL, errnum, NULL, NULL);
		err->target = plan->target->name;
		err->hint = SLP_HINT_SYSCTL;
		return -1;
	default:
		return plan_refused(plan, errnum, "issue NS_SET_LAST_PID_VEC on", NULL, err);
	}
}

/* Nothing to prepare, nor to undo with: the ioctl has no read side. */
const struct method method_ioctl = {
	.id = SLP_METHOD_IOCTL,
	.write = write_levels,
};
