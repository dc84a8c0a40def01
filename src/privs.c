// SPDX-License-Identifier: GPL-2.0-or-later
/* The caller's own privileges: never widened, checked before acting. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/capability.h>
#include <unistd.h>

#include "diag.h"
#include "nsfs.h"
#include "privs.h"

#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

void refuse_if_secure_exec(void)
{
	if (getauxval(AT_SECURE))
		fail(EXIT_DENIED,
		     "refusing to run set-user-ID, set-group-ID or with file capabilities: "
		     "run it with the privileges it should use");
}

/* The two capabilities that matter here, read once from the effective set. */
static bool effective_has(cap_value_t cap)
{
	static int known = -1;	/* bit 0: CAP_SYS_ADMIN, bit 1: CAP_CHECKPOINT_RESTORE */

	if (known < 0) {
		cap_t caps = cap_get_proc();
		cap_flag_value_t admin = CAP_CLEAR, restore = CAP_CLEAR;

		if (caps) {
			cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &admin);
			cap_get_flag(caps, CAP_CHECKPOINT_RESTORE, CAP_EFFECTIVE, &restore);
			cap_free(caps);
		}
		known = (admin == CAP_SET) | (restore == CAP_SET) << 1;
	}
	return known & (cap == CAP_SYS_ADMIN ? 1 : 2);
}

bool caller_may_here(enum cap_need need)
{
	return effective_has(CAP_SYS_ADMIN) ||
	       (need == NEED_CHECKPOINT_RESTORE && effective_has(CAP_CHECKPOINT_RESTORE));
}

static int own_userns_fd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	return fd;
}

bool caller_may(int owner_fd, enum cap_need need)
{
	int own = own_userns_fd();
	int ns = owner_fd, parent;
	bool may;

	if (own < 0)
		return false;
	if (ns_same(ns, own))
		return caller_may_here(need);
	/*
	 * ns is below the caller's (NS_GET_USERNS hands out no other), so
	 * the walk up reaches it; NS_GET_PARENT fails only above it.
	 */
	for (;;) {
		parent = ns_parent(ns);
		if (parent < 0) {
			may = false;
			break;
		}
		if (ns_same(parent, own)) {
			may = ns_owner_uid(ns) == geteuid() || caller_may_here(need);
			break;
		}
		if (ns != owner_fd)
			close(ns);
		ns = parent;
	}
	if (ns != owner_fd)
		close(ns);
	if (parent >= 0)
		close(parent);
	return may;
}

const char *cap_need_name(enum cap_need need)
{
	return need == NEED_SYS_ADMIN ? "CAP_SYS_ADMIN"
				      : "CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE";
}
