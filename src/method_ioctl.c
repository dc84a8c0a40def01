// SPDX-License-Identifier: GPL-2.0-or-later
/* NS_SET_LAST_PID_VEC: every level in one call, checked whole by the kernel. */
#include <errno.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <linux/nsfs.h>

#include "methods.h"

#ifndef NS_SET_LAST_PID_VEC
/* Proposed for Linux, not in mainline: see tests/kernel/. */
#define NS_SET_LAST_PID_VEC _IO(NSIO, 0x5)
#endif

/* struct pid_vector is struct ns_ioc_pid_vec with room for every level. */
_Static_assert(offsetof(struct pid_vector, pid) == 4 && sizeof(pid_t) == 4,
	       "struct pid_vector must match struct ns_ioc_pid_vec");

int set_by_ioctl(int fd, const struct pid_vector *vec)
{
	return ioctl(fd, NS_SET_LAST_PID_VEC, vec);
}

bool kernel_has_ioctl(int fd)
{
	/* nr = 0 is refused (EINVAL) before anything else by a kernel that has it. */
	struct pid_vector empty = { .nr = 0 };

	return ioctl(fd, NS_SET_LAST_PID_VEC, &empty) < 0 && errno != ENOTTY;
}
