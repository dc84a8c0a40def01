// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading the counters back. A task may read ns_last_pid only of its own
 * pid namespace, and any task created moves every counter above it: so
 * one task is created in the innermost level, and its own pids, one per
 * level, are the pids the next process would have got there. Each less
 * one is the value that, set, changes nothing. A level's own pid_max
 * (Linux 6.14) is read the same way, by a task created in it.
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
	int pid_max;
	int errnum;	/* why there is no NSpid (or pid_max) */
};

/* The probe's whole life: its own pids, from /proc. The caller sleeps meanwhile (CLONE_VFORK). */
static int probe_pids(void *arg)
{
	struct probe *p = arg;

	p->n = nspid_read(AT_FDCWD, "/proc/self/status", p->nspid, SLP_VECTOR_MAX + 2);
	p->errnum = p->n < 0 ? errno : 0;
	return 0;
}

/* ...or its level's pid_max, as a task in it reads it. */
static int probe_pid_max(void *arg)
{
	struct probe *p = arg;
	struct slp_error err;

	p->n = read_pid_max(&p->pid_max, &err);
	p->errnum = p->n < 0 ? (err.errnum ? err.errnum : EIO) : 0;
	return 0;
}

/* One task, created in level i and gone, doing fn. */
static int create_probe(struct slp_target *target, unsigned int i, int (*fn)(void *),
			struct probe *p, struct slp_error *err)
{
	bool enter = !target_is_callers(target, i);
	int saved = enter ? pidns_save(err) : -1, errnum, ret;

	if (enter && saved < 0)
		return -1;
	if (enter && setns(target->level[i].fd, CLONE_NEWPID) < 0) {
		errnum = errno;
		pidns_restore(saved);
		return fail_entering(err, target, i, errnum);
	}
	p->n = -1;
	p->errnum = 0;
	ret = run_in_child(fn, p);
	errnum = errno;
	pidns_restore(saved);
	return ret < 0 ? fail_sys(err, errnum, "create a task in", target->name) : 0;
}

void report_start(struct slp_report *report, enum slp_method method, uint32_t nr)
{
	/* field by field: a caller of 1.0 has no room for past and value[] */
	report->method = method;
	report->nr = nr;
	report->tasks = 0;
	for (unsigned int i = 0; i < SLP_VECTOR_MAX; i++)
		report->level_ino[i] = 0;
}

int read_counters(struct slp_target *target, unsigned int nr, pid_t *counter,
		  struct slp_error *err)
{
	struct probe p;

	if (target_resolve(target, nr, err) < 0 || create_probe(target, 0, probe_pids, &p, err) < 0)
		return -1;
	if (p.n < (int)nr) {
		/* its pids unknown: /proc is not there, or not this process's */
		if (p.errnum != ENOENT ||
		    (proc_fail_missing("/proc/self/status", err) < 0 && err->code == SLP_E_SYSTEM))
			fail_sys(err, p.errnum ? p.errnum : EIO, "read the pids of a task in",
				 target->name);
		return -1;
	}
	for (unsigned int i = 0; i < nr; i++)
		counter[i] = p.nspid[p.n - 1 - (int)i];
	return 0;
}

SLP_EXPORT int slp_get(struct slp_target *target, struct slp_vector *vec,
		       struct slp_report *report, struct slp_error *err)
{
	struct slp_target *own = NULL;
	struct slp_error local = { .level = -1 };
	int ret = -1;

	err = err ? err : &local;
	error_clear(err);
	if (!vec)
		return fail_code(err, SLP_E_INVALID, EINVAL, "no vector to fill", NULL);
	if (target_or_own(&target, &own, err) < 0)
		return -1;
	if (target_resolve_all(target, err) < 0 || read_counters(target, target->nr, vec->pid, err) < 0)
		goto out;
	vec->nr = target->nr;
	for (unsigned int i = 0; i < target->nr; i++)
		vec->pid[i]--;
	if (report) {
		report_start(report, SLP_METHOD_SYSCTL, vec->nr);
		for (unsigned int i = 0; i < vec->nr; i++)
			report->level_ino[i] = target_level_ino(target, i);
	}
	ret = 0;
out:
	target_free_own(own, err);
	return ret;
}

SLP_EXPORT int slp_get_pid_max(struct slp_target *target, unsigned int level, int *pid_max,
			       struct slp_error *err)
{
	struct slp_target *own = NULL;
	struct slp_error local = { .level = -1 };
	struct probe p;
	int ret = -1;

	err = err ? err : &local;
	error_clear(err);
	if (!pid_max || level >= SLP_VECTOR_MAX)
		return fail_code(err, SLP_E_INVALID, EINVAL, "no pid_max to fill, or no such level",
				 NULL);
	if (target_or_own(&target, &own, err) < 0)
		return -1;
	if (target_resolve(target, level + 1, err) < 0)
		goto out;
	/* one pid_max for all before Linux 6.14; the caller's own level's, read here */
	if (!pid_max_per_namespace() || target_is_callers(target, level)) {
		ret = read_pid_max(pid_max, err);
		goto out;
	}
	if (create_probe(target, level, probe_pid_max, &p, err) < 0)
		goto out;
	if (p.n < 0) {
		fail_sys(err, p.errnum, "read", PID_MAX);
		fail_at(err, target, level);
		goto out;
	}
	*pid_max = p.pid_max;
	ret = 0;
out:
	target_free_own(own, err);
	return ret;
}
