/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The caller's own privileges: never widened, checked before acting. */
#ifndef SETLASTPID_PRIVS_H
#define SETLASTPID_PRIVS_H

#include <stdbool.h>

/* Exit 77 if the tool runs set-user-ID or with file capabilities. */
void refuse_if_secure_exec(void);

/* What the kernel asks of the caller over one user namespace. */
enum cap_need {
	NEED_SYS_ADMIN,		/* setns() into a namespace it owns */
	NEED_CHECKPOINT_RESTORE	/* writing ns_last_pid: CAP_SYS_ADMIN or this */
};

/*
 * Does the caller hold what need names in the user namespace owner_fd,
 * by the kernel's rule (cap_capable()): in its own user namespace its
 * effective set decides; over a descendant, so does the effective set,
 * unless the caller's euid owns a child user namespace on the way there.
 */
bool caller_may(int owner_fd, enum cap_need need);

/* The same in the caller's own user namespace. */
bool caller_may_here(enum cap_need need);

/* "CAP_SYS_ADMIN" or "CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE". */
const char *cap_need_name(enum cap_need need);

#endif
