// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A holder: a target held ready for many sets, as a server needs. It is
 * a plan whose method's resources are kept: with the sysctl method, a
 * crew made once, a helper in each level but the caller's own, so that a
 * set creates no process; with the ioctl, nothing but the target. Each
 * set is a request the planner decides, carried out as any other.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "internal.h"

struct slp_holder {
	struct plan plan;
	struct slp_vector all;		/* every level, for what is checked and made at the start */
};

SLP_EXPORT int slp_holder_open(struct slp_holder **out, struct slp_target *target,
			       const struct slp_options *opts, struct slp_error *err)
{
	struct slp_holder *holder;
	struct slp_target *own = NULL;
	struct slp_error local = { .level = -1 };

	err = err ? err : &local;
	error_clear(err);
	*out = NULL;
	holder = calloc(1, sizeof(*holder));
	if (!holder)
		return fail_sys(err, ENOMEM, "allocate memory for", "a holder");
	holder->plan = (struct plan){ .lock_fd = -1, .fd = -1 };
	if (target_or_own(&target, &own, err) < 0 || target_resolve_all(target, err) < 0)
		goto fail;
	holder->all.nr = target->nr;
	if (plan_for_holder(&holder->plan, target, &holder->all, opts, err) < 0)
		goto fail;
	if (run_checks(&holder->plan, holder->plan.before, err) < 0 ||
	    (holder->plan.method->prepare && holder->plan.method->prepare(&holder->plan, err) < 0))
		goto fail;
	holder->plan.own = own;
	*out = holder;
	return 0;
fail:
	holder->plan.own = own;
	plan_release(&holder->plan, err);
	free(holder);
	return -1;
}

SLP_EXPORT void slp_holder_free(struct slp_holder *holder)
{
	struct slp_error ignored;

	if (!holder)
		return;
	plan_release(&holder->plan, &ignored);
	free(holder);
}

SLP_EXPORT unsigned int slp_holder_levels(const struct slp_holder *holder)
{
	return holder->all.nr;
}

SLP_EXPORT enum slp_method slp_holder_method(const struct slp_holder *holder)
{
	return holder->plan.held->id;
}

SLP_EXPORT pid_t slp_holder_pid(const struct slp_holder *holder, unsigned int level)
{
	return crew_pid(&holder->plan, level);
}

SLP_EXPORT int slp_holder_set(struct slp_holder *holder, const struct slp_vector *vec,
			      unsigned int flags, struct slp_error *err)
{
	struct slp_error local = { .level = -1 };
	unsigned int taken = SLP_DRY_RUN | SLP_AT_LEAST;
	const struct slp_options *opts = &(struct slp_options){ .flags = flags & taken };

	if (call_begin(&err, &local, &opts, vec) < 0)
		return -1;
	if (flags & ~taken)
		return fail_code(err, SLP_E_INVALID, EINVAL,
				 "a holder takes SLP_DRY_RUN and SLP_AT_LEAST alone", NULL);
	plan_request(&holder->plan, vec, opts->flags);
	return run_set(&holder->plan, err);
}
