// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rules a write of the counters must pass: each value within range,
 * and the caller's capabilities over the user namespace owning each
 * level, by the kernel's own rule, or by asking the kernel itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/capability.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"

#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

#define OWN_USER_NS "/proc/self/ns/user"

int read_pid_max(int *pid_max, struct slp_error *err)
{
	char text[16];
	ssize_t len;
	int fd = open(PID_MAX, O_RDONLY | O_CLOEXEC), errnum;

	if (fd < 0) {
		errnum = errno;
		if (errnum == ENOENT && check_proc(err) < 0)
			return -1;
		return fail_sys(err, errnum, "open", PID_MAX);
	}
	len = read(fd, text, sizeof(text) - 1);
	errnum = errno;
	close(fd);
	if (len <= 0)
		return fail_sys(err, len < 0 ? errnum : 0, "read", PID_MAX);
	text[len] = '\0';
	*pid_max = atoi(text);
	return 0;
}

bool pid_max_per_namespace(void)
{
	/* the kernel's release, asked once: 0 not yet, 1 no, 2 yes */
	static int known;
	int answer = __atomic_load_n(&known, __ATOMIC_RELAXED);
	struct utsname u;
	unsigned int major, minor;

	if (answer)
		return answer == 2;
	/* Linux 6.14 gave every pid namespace a pid_max of its own */
	answer = uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
			 (major > 6 || (major == 6 && minor >= 14)) ? 2 : 1;
	__atomic_store_n(&known, answer, __ATOMIC_RELAXED);
	return answer == 2;
}

/*
 * Each value within the range its level takes: ns_last_pid 0..pid_max,
 * clone3() pids below pid_max. The caller's pid_max is that of its own
 * level, and of every level where pid_max is one for all; a level with
 * one of its own is bounded here by the most any can have, and its own
 * is read from inside it (a helper), or the kernel's answer tells.
 */
int check_range(struct plan *plan, bool exact, struct slp_error *err)
{
	const struct slp_vector *vec = plan->vec;
	bool per_level = pid_max_per_namespace();
	int pid_max;

	if (read_pid_max(&pid_max, err) < 0)
		return -1;
	for (uint32_t i = 0; i < vec->nr; i++) {
		int limit = per_level && !target_is_callers(plan->target, i) ? PID_MAX_LIMIT : pid_max;
		int most = exact ? limit - 2 : limit;

		if (vec->pid[i] <= most)
			continue;
		fail_code(err, SLP_E_RANGE, 0, NULL, NULL);
		err->level = (int)i;
		err->value = vec->pid[i];
		err->limit = most;
		err->exact = exact;
		return -1;
	}
	return 0;
}

/* What the caller holds: its user namespace and two effective capabilities. */
struct privs {
	int own_userns;
	bool admin, restore;
};

/* The two capabilities that matter, in the effective set: -1 with errno if unknown. */
static int read_caps(bool *admin, bool *restore)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t has_admin = CAP_CLEAR, has_restore = CAP_CLEAR;

	if (!caps)
		return -1;
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &has_admin);
	cap_get_flag(caps, CAP_CHECKPOINT_RESTORE, CAP_EFFECTIVE, &has_restore);
	cap_free(caps);
	*admin = has_admin == CAP_SET;
	*restore = has_restore == CAP_SET;
	return 0;
}

static int privs_read(struct privs *privs, struct slp_error *err)
{
	if (read_caps(&privs->admin, &privs->restore) < 0)
		return fail_sys(err, errno, "read the capabilities of", "this process");
	privs->own_userns = open(OWN_USER_NS, O_RDONLY | O_CLOEXEC);
	if (privs->own_userns < 0) {
		int errnum = errno;

		if (errnum == ENOENT && check_proc(err) < 0)
			return -1;
		return fail_sys(err, errnum, "open", OWN_USER_NS);
	}
	return 0;
}

static bool may_here(const struct privs *privs, enum slp_cap need)
{
	return privs->admin ||
	       (need == SLP_CAP_SYS_ADMIN_OR_CHECKPOINT_RESTORE && privs->restore);
}

/*
 * Does the caller hold need in the user namespace owner, by the kernel's
 * rule (cap_capable()): in its own user namespace its effective set
 * decides; over a descendant, so does the effective set, unless the
 * caller's euid owns a child user namespace on the way there.
 */
static bool may_over(const struct privs *privs, int owner, enum slp_cap need)
{
	int ns = owner, parent;
	bool may;

	if (ns_same(ns, privs->own_userns))
		return may_here(privs, need);
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
		if (ns_same(parent, privs->own_userns)) {
			may = ns_owner_uid(ns) == geteuid() || may_here(privs, need);
			break;
		}
		if (ns != owner)
			close(ns);
		ns = parent;
	}
	if (ns != owner)
		close(ns);
	if (parent >= 0)
		close(parent);
	return may;
}

/* setns() for a helper or for COMMAND; else the write or set_tid itself */
static enum slp_cap need_for(const struct plan *plan, unsigned int i)
{
	if (target_is_callers(plan->target, i))
		return SLP_CAP_SYS_ADMIN_OR_CHECKPOINT_RESTORE;
	if (plan->method == &method_sysctl || (i == 0 && plan->spawn))
		return SLP_CAP_SYS_ADMIN;
	return SLP_CAP_SYS_ADMIN_OR_CHECKPOINT_RESTORE;
}

/* Levels from..to - 1 by the rule: SLP_E_DENIED naming the first the caller may not set. */
static int check_levels(const struct plan *plan, const struct privs *privs, unsigned int from,
			unsigned int to, struct slp_error *err)
{
	for (unsigned int i = from; i < to; i++) {
		enum slp_cap need = need_for(plan, i);
		int owner = ns_owner(plan->target->level[i].fd);
		bool may;

		if (owner < 0 && errno != EPERM) {
			fail_sys(err, errno, "find the user namespace owning", NULL);
			return fail_at(err, plan->target, i);
		}
		/* EPERM: the owner is above the caller's own user namespace. */
		may = owner >= 0 && may_over(privs, owner, need);
		if (!may) {
			fail_code(err, SLP_E_DENIED, 0, NULL, NULL);
			err->cap = need;
			err->owner_ino = owner >= 0 ? ns_inode(owner) : 0;
			if (owner >= 0)
				close(owner);
			return fail_at(err, plan->target, i);
		}
		close(owner);
	}
	return 0;
}

int check_owners(const struct plan *plan, struct slp_error *err)
{
	struct privs privs;
	bool entering = false;
	int ret;

	if (privs_read(&privs, err) < 0)
		return -1;
	ret = check_levels(plan, &privs, 0, plan->vec->nr, err);
	for (unsigned int i = 0; i < plan->vec->nr; i++)
		entering |= need_for(plan, i) == SLP_CAP_SYS_ADMIN;
	/* setns() asks for CAP_SYS_ADMIN in the caller's own user namespace too. */
	if (ret == 0 && entering && !may_here(&privs, SLP_CAP_SYS_ADMIN)) {
		ret = fail_code(err, SLP_E_DENIED, 0, NULL, NULL);
		err->cap = SLP_CAP_SYS_ADMIN;
		err->target = plan->target->name;
	}
	close(privs.own_userns);
	return ret;
}

bool may_admin_own_mounts(void)
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

bool may_write_own_level(void)
{
	bool admin, restore;

	return read_caps(&admin, &restore) == 0 && (admin || restore);
}

int check_new_pidns(const struct plan *plan, struct slp_error *err)
{
	struct privs privs;
	bool may;

	/* below level 0, which the deepest nest already is */
	if (plan->vec->nr >= SLP_VECTOR_MAX)
		return fail_code(err, SLP_E_TOO_DEEP_NEW, ENOSPC, NULL, plan->target->name);
	if (privs_read(&privs, err) < 0)
		return -1;
	may = may_here(&privs, SLP_CAP_SYS_ADMIN);
	close(privs.own_userns);
	if (may)
		return 0;
	fail_code(err, SLP_E_DENIED, EPERM, "create a pid namespace below", NULL);
	err->cap = SLP_CAP_SYS_ADMIN;
	err->target = plan->target->name;
	return -1;
}

int explain_denial(const struct plan *plan, int errnum, struct slp_error *err)
{
	if (check_owners(plan, err) < 0)
		return -1;
	/* The rule allows it, yet the kernel said no: a security module, say. */
	fail_code(err, SLP_E_DENIED, errnum, NULL, NULL);
	err->target = plan->target->name;
	return -1;
}

static int fail_enter(const struct plan *plan, unsigned int i, int errnum,
		      struct slp_error *err)
{
	switch (errnum) {
	case EPERM:
		if (check_owners(plan, err) < 0)
			return -1;
		fail_code(err, SLP_E_DENIED, errnum, "enter", NULL);
		break;
	case EINVAL:
		fail_code(err, SLP_E_OUTSIDE, 0, NULL, NULL);
		break;
	default:
		fail_sys(err, errnum, "enter", NULL);
		break;
	}
	return fail_at(err, plan->target, i);
}

/*
 * setns() into every level a helper is to be born in is exactly the
 * check the helpers' creation will face (writing needs less), and it
 * changes nothing anyone sees: only where the thread's next child would
 * be born, and that is put back. The caller's own level needs no entry.
 */
int check_entry(const struct plan *plan, struct slp_error *err)
{
	struct slp_target *target = plan->target;
	unsigned int nr = plan->vec->nr, i;
	bool enters = !target_is_callers(target, 0);
	int saved = enters ? pidns_saved_or_fail(pidns_save(), err) : -1;

	if (enters && saved < 0)
		return -1;
	for (i = 0; i < nr; i++) {
		if (target_is_callers(target, i))
			continue;
		if (setns(target->level[i].fd, CLONE_NEWPID) < 0) {
			int errnum = errno;

			pidns_restore(saved);
			return fail_enter(plan, i, errnum, err);
		}
	}
	pidns_restore(saved);
	/* The caller's own level is written, not entered: its rule is the write's. */
	if (target_is_callers(target, nr - 1)) {
		struct privs privs;
		int ret;

		if (privs_read(&privs, err) < 0)
			return -1;
		ret = check_levels(plan, &privs, nr - 1, nr, err);
		close(privs.own_userns);
		return ret;
	}
	return 0;
}
