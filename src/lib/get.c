// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading the counters back. A task may read ns_last_pid only of its own
 * pid namespace, and any task created moves every counter above it: so
 * one task is created in the innermost level, and its own pids, one per
 * level, are the pids the next process would have got there. Each less
 * one is the value that, set, changes nothing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "internal.h"

/* What the probe found, in memory it shares with the caller. */
struct probe {
	pid_t nspid[SLP_VECTOR_MAX + 2];
	int n;
	int errnum;	/* why there is no NSpid */
};

/* The probe's whole life: its own pids, from /proc. The caller sleeps meanwhile (CLONE_VFORK). */
static int probe(void *arg)
{
	struct probe *p = arg;

	p->n = nspid_read(AT_FDCWD, "/proc/self/status", p->nspid, SLP_VECTOR_MAX + 2);
	p->errnum = p->n < 0 ? errno : 0;
	return 0;
}

/* One task, created in level 0 and gone: its pids, outermost first. */
static int create_probe(struct slp_target *target, struct probe *p, struct slp_error *err)
{
	bool enter = !target_is_callers(target, 0);
	int saved = enter ? pidns_save(err) : -1, errnum, ret;

	if (enter && saved < 0)
		return -1;
	if (enter && setns(target->level[0].fd, CLONE_NEWPID) < 0) {
		errnum = errno;
		pidns_restore(saved);
		return fail_entering(err, target, 0, errnum);
	}
	p->n = -1;
	p->errnum = 0;
	ret = run_in_child(probe, p);
	errnum = errno;
	pidns_restore(saved);
	return ret < 0 ? fail_sys(err, errnum, "create a task in", target->name) : 0;
}

SLP_EXPORT int slp_get(struct slp_target *target, struct slp_vector *vec,
		       struct slp_report *report, struct slp_error *err)
{
	struct slp_target *own = NULL;
	struct slp_error local = { .level = -1 };
	struct probe p;
	int ret = -1;

	err = err ? err : &local;
	error_clear(err);
	if (!vec)
		return fail_code(err, SLP_E_INVALID, EINVAL, "no vector to fill", NULL);
	if (target_or_own(&target, &own, err) < 0)
		return -1;
	if (target_resolve_all(target, err) < 0)
		goto out;
	if (create_probe(target, &p, err) < 0)
		goto out;
	if (p.n < (int)target->nr) {
		/* its pids unknown: /proc is not there, or not this process's */
		if (p.errnum != ENOENT ||
		    (proc_fail_missing("/proc/self/status", err) < 0 && err->code == SLP_E_SYSTEM))
			fail_sys(err, p.errnum ? p.errnum : EIO, "read the pids of a task in",
				 target->name);
		goto out;
	}
	vec->nr = target->nr;
	for (unsigned int i = 0; i < target->nr; i++)
		vec->pid[i] = p.nspid[p.n - 1 - (int)i] - 1;
	if (report) {
		*report = (struct slp_report){ .method = SLP_METHOD_SYSCTL, .nr = vec->nr };
		for (unsigned int i = 0; i < vec->nr; i++)
			report->level_ino[i] = target_level_ino(target, i);
	}
	ret = 0;
out:
	target_free_own(own, err);
	return ret;
}
