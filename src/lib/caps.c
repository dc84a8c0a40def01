// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The caller's capabilities, and the kernel's rule for them over the
 * user namespace that owns a pid namespace (cap_capable()): what a write
 * of ns_last_pid, the ioctl, set_tid and setns() ask for.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/capability.h>
#include <unistd.h>

#include "internal.h"

#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

/* What the caller holds: its user namespace and two effective capabilities. */
struct privs {
	int own_userns;
	bool admin, restore;
};

/* The two capabilities that matter, in the effective set: -1 with errno if unknown. */
static int read_caps(struct privs *privs)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t admin = CAP_CLEAR, restore = CAP_CLEAR;

	if (!caps)
		return -1;
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &admin);
	cap_get_flag(caps, CAP_CHECKPOINT_RESTORE, CAP_EFFECTIVE, &restore);
	cap_free(caps);
	privs->admin = admin == CAP_SET;
	privs->restore = restore == CAP_SET;
	return 0;
}

static int privs_read(struct privs *privs, struct slp_error *err)
{
	if (read_caps(privs) < 0)
		return fail_sys(err, errno, "read the capabilities of", "this process");
	privs->own_userns = proc_open("/proc/self/ns/user", O_RDONLY, err);
	return privs->own_userns < 0 ? -1 : 0;
}

static bool may_here(const struct privs *privs, enum slp_cap need)
{
	return privs->admin ||
	       (need == SLP_CAP_SYS_ADMIN_OR_CHECKPOINT_RESTORE && privs->restore);
}

/*
 * Does the caller hold need in the user namespace owner: in its own user
 * namespace its effective set decides; over a descendant, so does the
 * effective set, unless the caller's euid owns a child user namespace on
 * the way there.
 */
static bool may_over(const struct privs *privs, int owner, enum slp_cap need)
{
	int ns = owner, parent;
	bool may;

	if (ns_same(ns, privs->own_userns))
		return may_here(privs, need);
	/* ns is below the caller's (NS_GET_USERNS hands out no other): the walk up reaches it */
	while ((parent = ns_parent(ns)) >= 0 && !ns_same(parent, privs->own_userns)) {
		if (ns != owner)
			close(ns);
		ns = parent;
	}
	may = parent >= 0 && (ns_owner_uid(ns) == geteuid() || may_here(privs, need));
	if (ns != owner)
		close(ns);
	if (parent >= 0)
		close(parent);
	return may;
}

/* Level i by the rule: SLP_E_DENIED, with what it needs and who owns it, if not. */
static int check_level(const struct privs *privs, struct slp_target *target, unsigned int i,
		       enum slp_cap need, struct slp_error *err)
{
	int owner = ns_owner(target->level[i].fd);
	/* EPERM: the owner is above the caller's own user namespace */
	bool may = owner >= 0 && may_over(privs, owner, need);

	if (owner < 0 && errno != EPERM) {
		fail_sys(err, errno, "find the user namespace owning", NULL);
		return fail_at(err, target, i);
	}
	if (!may) {
		fail_code(err, SLP_E_DENIED, 0, NULL, NULL);
		err->cap = need;
		err->owner_ino = owner >= 0 ? ns_inode(owner) : 0;
	}
	if (owner >= 0)
		close(owner);
	return may ? 0 : fail_at(err, target, i);
}

int caps_check_levels(struct slp_target *target, unsigned int from, unsigned int to,
		      uint32_t entered, struct slp_error *err)
{
	struct privs privs;
	int ret = 0;

	if (privs_read(&privs, err) < 0)
		return -1;
	for (unsigned int i = from; i < to && ret == 0; i++)
		ret = check_level(&privs, target, i,
				  entered & (1u << i) ? SLP_CAP_SYS_ADMIN
						      : SLP_CAP_SYS_ADMIN_OR_CHECKPOINT_RESTORE, err);
	/* setns() asks for CAP_SYS_ADMIN in the caller's own user namespace too */
	if (ret == 0 && entered && !may_here(&privs, SLP_CAP_SYS_ADMIN)) {
		ret = fail_code(err, SLP_E_DENIED, 0, NULL, NULL);
		err->cap = SLP_CAP_SYS_ADMIN;
		err->target = target->name;
	}
	close(privs.own_userns);
	return ret;
}

int caps_check_own(enum slp_cap need, const char *what, struct slp_error *err)
{
	struct privs privs;

	if (read_caps(&privs) < 0)
		return fail_sys(err, errno, "read the capabilities of", "this process");
	if (may_here(&privs, need))
		return 0;
	fail_code(err, SLP_E_DENIED, EPERM, what, NULL);
	err->cap = need;
	return -1;
}

bool caps_may_admin_mounts(void)
{
	struct slp_error ignored;
	struct privs privs;
	int mnt, owner;
	bool may = false;

	error_clear(&ignored);
	if (privs_read(&privs, &ignored) < 0)
		return false;
	mnt = privs.admin ? ns_open("/proc/self/ns/mnt") : -1;
	owner = mnt >= 0 ? ns_owner(mnt) : -1;
	if (owner >= 0) {
		may = may_over(&privs, owner, SLP_CAP_SYS_ADMIN);
		close(owner);
	}
	if (mnt >= 0)
		close(mnt);
	close(privs.own_userns);
	return may;
}
