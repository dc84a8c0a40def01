// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A holder: a target held ready for many sets, as a server needs. With
 * the sysctl method, its crew is made once, a helper in each level but
 * the caller's own, and kept: a set creates no process, and the levels
 * are written side by side, all or nothing. With the ioctl, nothing is
 * kept but the target.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "crew.h"
#include "rawsys.h"

struct slp_holder {
	struct slp_target *own;		/* the caller's own pid namespace, if no target was given */
	struct plan plan;		/* the target, the method, the request in hand */
	struct slp_vector all;		/* every level, for the checks at the start */
	int fd;				/* ns_last_pid, for the crew */
	struct crew crew;
	bool crewed;
};

static void crew_up_failed(struct slp_holder *holder, struct slp_error *err)
{
	int failed = crew_first_failure(&holder->crew, DO_NOTHING);

	if (failed >= 0)
		crew_fail(&holder->crew, failed, err);
	else
		fail_sys(err, EIO, "create the helpers of", holder->plan.target->name);
}

/* The crew, made at the start: each helper waits for a job (signals held, as in every set). */
static int start_crew(struct slp_holder *holder, struct slp_error *err)
{
	struct plan *plan = &holder->plan;
	sigset_t all, mask;

	holder->fd = open_ns_last_pid(O_RDWR, err);
	if (holder->fd < 0)
		return -1;
	if (crew_open(&holder->crew, plan->target, holder->all.nr, holder->fd, true, err) < 0)
		return -1;
	holder->crewed = true;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	crew_start(&holder->crew, DO_NOTHING);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (crew_first_failure(&holder->crew, DO_NOTHING) >= 0) {
		crew_up_failed(holder, err);
		return -1;
	}
	return 0;
}

SLP_EXPORT int slp_holder_open(struct slp_holder **out, struct slp_target *target,
			       const struct slp_options *opts, struct slp_error *err)
{
	struct slp_holder *holder;
	struct slp_error local = { .level = -1 }, above;
	unsigned int i;

	err = err ? err : &local;
	error_clear(err);
	*out = NULL;
	if (opts && ((opts->method != SLP_METHOD_AUTO && opts->method != SLP_METHOD_IOCTL &&
		      opts->method != SLP_METHOD_SYSCTL) || opts->flags))
		return fail_code(err, SLP_E_INVALID, EINVAL,
				 "a holder sets counters: the ioctl or sysctl method, no flags", NULL);
	holder = calloc(1, sizeof(*holder));
	if (!holder)
		return fail_sys(err, ENOMEM, "allocate memory for", "a holder");
	holder->fd = -1;
	if (target_or_own(&target, &holder->own, err) < 0)
		goto fail;
	/* every level the caller sees: the walk up stops at its own */
	error_clear(&above);
	if (target_resolve(target, SLP_VECTOR_MAX, &above) < 0 && above.code != SLP_E_TOO_DEEP) {
		*err = above;
		goto fail;
	}
	holder->all.nr = target->nr;
	for (i = 0; i < target->nr; i++)
		holder->all.pid[i] = 0;
	if (plan_make(&holder->plan, target, &holder->all,
		      opts ? opts : &(struct slp_options){ .method = SLP_METHOD_AUTO }, false,
		      err) < 0)
		goto fail;
	/*
	 * Helpers that wait for jobs share the caller's errno: they need the
	 * raw system calls of rawsys.h, which only some architectures have.
	 */
	if (holder->plan.method == &method_sysctl && !HELPERS_MAY_OVERLAP) {
		fail_sys(err, ENOSYS, "keep helpers", "waiting on this architecture (x86-64 and AArch64 only)");
		goto fail;
	}
	/* the checks of every level, before anything: the kernel's own, entering each */
	if (holder->plan.method == &method_sysctl &&
	    (check_entry(&holder->plan, err) < 0 || start_crew(holder, err) < 0))
		goto fail;
	*out = holder;
	return 0;
fail:
	target_free_own(holder->own, err);
	holder->own = NULL;
	slp_holder_free(holder);
	return -1;
}

SLP_EXPORT void slp_holder_free(struct slp_holder *holder)
{
	if (!holder)
		return;
	if (holder->crewed)
		crew_close(&holder->crew);
	if (holder->fd >= 0)
		close(holder->fd);
	slp_target_free(holder->own);
	free(holder);
}

SLP_EXPORT unsigned int slp_holder_levels(const struct slp_holder *holder)
{
	return holder->all.nr;
}

SLP_EXPORT enum slp_method slp_holder_method(const struct slp_holder *holder)
{
	return holder->plan.method->id;
}

SLP_EXPORT pid_t slp_holder_pid(const struct slp_holder *holder, unsigned int level)
{
	if (!holder->crewed || level >= holder->all.nr)
		return 0;
	return holder->crew.jobs[level].own_pid;
}

/* The crew writes each level of vec at once; a failure anywhere puts every one back. */
static int set_by_crew(struct slp_holder *holder, const struct slp_vector *vec, bool dry_run,
		       struct slp_error *err)
{
	struct crew *crew = &holder->crew;
	bool per_level = pid_max_per_namespace();
	enum job_what what = dry_run ? DO_CHECK : DO_WRITE;
	sigset_t all, mask;
	int failed, ret = 0;

	/* a helper found gone is replaced, where it can be */
	if (crew_mend(crew) < 0) {
		crew_up_failed(holder, err);
		return -1;
	}
	for (unsigned int i = 0; i < crew->nr; i++) {
		struct job *job = &crew->jobs[i];

		job->wanted = i < vec->nr;
		if (!job->wanted)
			continue;
		crew_set_value(crew, i, vec->pid[i]);
		job->check_pid_max = per_level && !crew_is_callers(crew, i);
		job->check_pid = 0;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	crew_give(crew, what);
	failed = crew_first_failure(crew, what);
	if (failed >= 0) {
		ret = crew_fail(crew, failed, err);
		if (!dry_run) {
			crew_give(crew, DO_UNDO);
			err->undo = crew_all_undone(crew) ? SLP_UNDO_DONE : SLP_UNDO_FAILED;
		}
	}
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	return ret;
}

SLP_EXPORT int slp_holder_set(struct slp_holder *holder, const struct slp_vector *vec,
			      unsigned int flags, struct slp_error *err)
{
	struct slp_error local = { .level = -1 };
	const struct slp_options *opts = &(struct slp_options){ .flags = flags & SLP_DRY_RUN };
	struct plan *plan = &holder->plan;

	if (call_begin(&err, &local, &opts, vec) < 0)
		return -1;
	if (flags & ~(unsigned int)SLP_DRY_RUN)
		return fail_code(err, SLP_E_INVALID, EINVAL, "a holder takes SLP_DRY_RUN alone",
				 NULL);
	if (vec->nr > holder->all.nr) {
		fail_code(err, SLP_E_TOO_DEEP, 0, NULL, NULL);
		err->target = plan->target->name;
		err->value = vec->nr;
		err->limit = holder->all.nr;
		return -1;
	}
	plan->vec = vec;
	plan->flags = opts->flags;
	/*
	 * The hot path of a server of its own namespace: the caller's own
	 * level alone is one write, whose range the kernel checks.
	 */
	if (plan->method == &method_sysctl && !(flags & SLP_DRY_RUN) && vec->nr == 1 &&
	    crew_is_callers(&holder->crew, 0) && vec->pid[0] <= PID_MAX_LIMIT)
		return crew_write_alone(&holder->crew, 0, vec->pid[0], err);
	if (check_range(plan, false, err) < 0)
		return -1;
	if (plan->method == &method_sysctl)
		return set_by_crew(holder, vec, flags & SLP_DRY_RUN, err);
	/* the ioctl: the kernel checks the vector whole; a dry run asks in userspace */
	return flags & SLP_DRY_RUN ? plan_check(plan, err) : plan_write(plan, err);
}
