// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A plan carried out: its checks, the lock, what the method holds, its
 * write. A dry run carries out the same plan, every check made, with each
 * write replaced by what only acting would meet.
 */
#include "config.h"

#include "internal.h"

/* A dry run of a floor: the real run's checks first, the floor, then what the write meets. */
static bool floor_first(const struct plan *plan)
{
	return (plan->flags & (SLP_DRY_RUN | SLP_AT_LEAST)) == (SLP_DRY_RUN | SLP_AT_LEAST);
}

int run_write(struct plan *plan, struct slp_error *err)
{
	int floor = plan->flags & SLP_AT_LEAST ? plan_floor(plan, err) : 0;

	/* every level at its value or past it: nothing to write, nothing the write would meet */
	if (floor != 0)
		return floor < 0 ? -1 : 0;
	if (floor_first(plan) && run_checks(plan, plan->checks & ~plan->before, err) < 0)
		return -1;
	if (plan->method->prepare && plan->method->prepare(plan, err) < 0)
		return -1;
	return plan->method->write(plan, err);
}

/*
 * The checks a real run makes before it acts (on a failure, all of them,
 * in order, so that it names the same rule as the dry run), then the lock.
 */
int run_begin(struct plan *plan, struct slp_error *err)
{
	if ((plan->flags & SLP_DRY_RUN) && !floor_first(plan)) {
		if (run_checks(plan, plan->checks, err) < 0)
			return -1;
	} else if (run_checks(plan, plan->before, err) < 0) {
		return plan_explain(plan, err);
	}
	if ((plan->flags & SLP_LOCK) && plan->lock_fd < 0)
		return lock_take(plan, err);
	return 0;
}

int run_set(struct plan *plan, struct slp_error *err)
{
	int ret;

	do
		ret = run_begin(plan, err) < 0 ? -1 : run_write(plan, err);
	while (ret < 0 && plan_fall_back(plan, err));
	return ret;
}

SLP_EXPORT int slp_set(struct slp_target *target, const struct slp_vector *vec,
		       const struct slp_options *opts, struct slp_report *report,
		       struct slp_error *err)
{
	struct slp_error local = { .level = -1 };
	struct plan plan;
	int ret;

	if (call_begin(&err, &local, &opts, vec) < 0)
		return -1;
	ret = plan_make(&plan, target, vec, opts, NULL, err);
	if (ret == 0)
		ret = run_set(&plan, err);
	if (ret == 0 && report)
		plan_report(&plan, report);
	plan_release(&plan, err);
	return ret;
}
