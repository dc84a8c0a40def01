// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The planner, the only place that decides: from what a call asks (the
 * method, the flags, the vector, COMMAND) and what the target and the
 * kernel offer, which way sets the counters, which checks come before
 * the first write, which the kernel makes itself, and what a refusal
 * that changed nothing falls back to. The real run and the dry run carry
 * out the same plan; the dry run writes nothing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "internal.h"

static int check_args(const struct slp_vector *vec, const struct slp_options *opts,
		      struct slp_error *err)
{
	const char *why = NULL;

	if (!vec || vec->nr < 1 || vec->nr > SLP_VECTOR_MAX)
		why = "the vector has no value, or more than 32";
	for (uint32_t i = 0; !why && i < vec->nr; i++)
		if (vec->pid[i] < 0)
			why = "a value of the vector is negative";
	if (!why && (unsigned int)opts->method > SLP_METHOD_PRESET)
		why = "unknown method";
	if (!why && (opts->flags & ~(unsigned int)(SLP_DRY_RUN | SLP_LOCK | SLP_EXACT | SLP_NEW_PIDNS |
							SLP_AT_LEAST)))
		why = "unknown flags";
	return why ? fail_code(err, SLP_E_INVALID, EINVAL, why, NULL) : 0;
}

int call_begin(struct slp_error **err, struct slp_error *local, const struct slp_options **opts,
	       const struct slp_vector *vec)
{
	static const struct slp_options defaults = { .method = SLP_METHOD_AUTO };

	*err = *err ? *err : local;
	error_clear(*err);
	*opts = *opts ? *opts : &defaults;
	return check_args(vec, *opts, *err);
}

/* The caller's own level alone: one value, and level 0 is the caller's. */
static bool own_alone(struct plan *plan)
{
	return plan->vec->nr == 1 && (!plan->target || target_is_callers(plan->target, 0));
}

/* A level seen from here has a pid_max of its own, readable only from inside it. */
static bool levels_inside(struct plan *plan)
{
	if (!plan->target || !pid_max_per_namespace())
		return false;
	for (unsigned int i = 0; i < plan->vec->nr; i++)
		if (!target_is_callers(plan->target, i))
			return true;
	return false;
}

/*
 * Which checks the plan makes, and which of them a real run makes before
 * it acts: those the act itself makes (the kernel checks an ioctl, one
 * write and clone3() whole, and a refusal changes nothing) are left to it,
 * and made only to name the rule it refused by.
 */
static void decide_checks(struct plan *plan)
{
	unsigned int checks = CHECK_RESOLVE | CHECK_RANGE, by_kernel = 0, inside = 0;
	bool spawn = plan->argv;

	/* a floor is for the pids after it: value + 1 below pid_max, as for COMMAND */
	plan->margin = spawn || (plan->flags & SLP_AT_LEAST) ? 2 : plan->method == &method_spin ? 1 : 0;
	plan->enter = spawn && plan->target && !target_is_callers(plan->target, 0);
	plan->maker = plan->enter && (plan->flags & SLP_NEW_PIDNS);
	plan->entered = plan->enter ? 1 : 0;
	if (plan->method == &method_own) {
		checks = CHECK_RANGE | CHECK_OWNERS;
		by_kernel = CHECK_OWNERS | (plan->margin ? 0 : CHECK_RANGE);
	} else if (plan->method == &method_ioctl) {
		inside = levels_inside(plan) ? CHECK_INSIDE : 0;
		checks |= CHECK_OWNERS | inside;
		/* the kernel's range has no margin */
		by_kernel = spawn ? 0 : plan->margin ? CHECK_OWNERS : checks;
	} else if (plan->method == &method_crew) {
		for (unsigned int i = 0; i < plan->vec->nr; i++)
			plan->entered |= target_is_callers(plan->target, i) ? 0 : 1u << i;
		/* a holder's helpers are in every level already */
		checks |= plan->kept ? 0 : CHECK_ENTRY;
	} else if (plan->method == &method_spin) {
		checks |= CHECK_SPIN;
	} else if (plan->flags & SLP_EXACT) {
		inside = levels_inside(plan) ? CHECK_INSIDE : 0;
		checks |= CHECK_OWNERS | CHECK_CLONE3 | CHECK_PIDS_FREE | inside;
		by_kernel = CHECK_RANGE | CHECK_OWNERS | CHECK_ENTRY | CHECK_PIDS_FREE | inside;
	} else {
		/*
		 * preset: a server set them. The child checks its own pids; a pid
		 * it did not get is then told in use (65) or taken (75) by the
		 * scan, made only to explain: a scan of /proc costs more than
		 * the rest of the process.
		 */
		checks |= CHECK_PIDS_FREE;
		by_kernel = CHECK_PIDS_FREE;
	}
	if (spawn)
		checks |= CHECK_OWN_PID | CHECK_COMMAND | (plan->enter ? CHECK_ENTRY : 0) |
			  (plan->flags & SLP_NEW_PIDNS ? CHECK_NEW_PIDNS : 0) |
			  (plan->method == &method_crew ? 0 : CHECK_PIDS_FREE);
	plan->checks = checks;
	plan->before = checks & ~by_kernel;
}

/* The way the counters are set, as asked and as the kernel offers. */
static int choose_method(struct plan *plan, enum slp_method asked, struct slp_error *err)
{
	int has;

	if (plan->flags & SLP_EXACT || asked == SLP_METHOD_PRESET) {
		plan->id = plan->flags & SLP_EXACT ? SLP_METHOD_EXACT : SLP_METHOD_PRESET;
	} else if (asked == SLP_METHOD_SPIN) {
		plan->method = &method_spin;
	} else if (!plan->kept && own_alone(plan) && asked != SLP_METHOD_IOCTL) {
		/* one write, the kernel's to check; not permitted, the counter can be spun to */
		plan->method = &method_own;
		plan->fallback = asked == SLP_METHOD_AUTO ? &method_spin : NULL;
	} else if (asked == SLP_METHOD_SYSCTL) {
		plan->method = &method_crew;
	} else {
		/* asked for by name, a kernel without it is told before any check */
		has = kernel_has_ioctl(plan->target->level[0].fd);
		if (has < 0)
			return fail_sys(err, errno, "ask for NS_SET_LAST_PID_VEC on", plan->target->name);
		if (!has && asked == SLP_METHOD_IOCTL) {
			fail_code(err, SLP_E_NO_IOCTL, ENOTTY, NULL, NULL);
			err->target = plan->target->name;
			err->hint = SLP_HINT_SYSCTL;
			return -1;
		}
		plan->method = has ? &method_ioctl : &method_crew;
	}
	if (plan->method)
		plan->id = plan->method->id;
	decide_checks(plan);
	return 0;
}

int plan_make(struct plan *plan, struct slp_target *target, const struct slp_vector *vec,
	      const struct slp_options *opts, char *const argv[], struct slp_error *err)
{
	bool exact = opts->method == SLP_METHOD_EXACT || (opts->flags & SLP_EXACT);
	const char *why = NULL;

	*plan = (struct plan){ .target = target, .vec = vec, .argv = argv,
			       .flags = opts->flags | (exact ? SLP_EXACT : 0),
			       .interrupt = opts->interrupt, .max_spin = opts->max_spin,
			       .progress = opts->progress, .progress_arg = opts->progress_arg,
			       .lock_fd = -1, .fd = -1 };
	if ((opts->flags & SLP_NEW_PIDNS) && !argv)
		why = "a new pid namespace has a first process: use slp_spawn()";
	else if ((opts->flags & SLP_AT_LEAST) && argv)
		why = "a floor raises counters and creates nothing: use slp_set()";
	else if (exact && !argv)
		why = "clone3() set_tid creates a process: use slp_spawn()";
	else if (opts->method == SLP_METHOD_PRESET && !argv)
		why = "counters set already have nothing to set: use slp_spawn()";
	if (why)
		return fail_code(err, SLP_E_INVALID, EINVAL, why, NULL);
	/*
	 * the caller's own level alone needs no target, nor /proc/self to name
	 * it; a process to create, /proc/self to check its pids
	 */
	if (!target && (vec->nr != 1 || argv || opts->method == SLP_METHOD_IOCTL) &&
	    target_or_own(&plan->target, &plan->own, err) < 0)
		return -1;
	return choose_method(plan, opts->method, err);
}

int plan_for_holder(struct plan *plan, struct slp_target *target, const struct slp_vector *all,
		    const struct slp_options *opts, struct slp_error *err)
{
	enum slp_method asked = opts ? opts->method : SLP_METHOD_AUTO;

	*plan = (struct plan){ .target = target, .vec = all, .kept = true, .lock_fd = -1, .fd = -1 };
	if ((asked != SLP_METHOD_AUTO && asked != SLP_METHOD_IOCTL && asked != SLP_METHOD_SYSCTL) ||
	    (opts && opts->flags))
		return fail_code(err, SLP_E_INVALID, EINVAL,
				 "a holder sets counters: the ioctl or sysctl method, no flags", NULL);
	/* the method for every level, though a request of the caller's own alone is one write */
	if (choose_method(plan, asked, err) < 0)
		return -1;
	plan->held = plan->method;
	/* what a holder checks once, when it is made: the kernel's own entry to each level */
	plan->before = plan->method == &method_crew ? CHECK_ENTRY : 0;
	return 0;
}

void plan_request(struct plan *plan, const struct slp_vector *vec, unsigned int flags)
{
	plan->vec = vec;
	plan->flags = flags;
	plan->method = plan->held == &method_crew && own_alone(plan) ? &method_own : plan->held;
	plan->id = plan->method->id;
	decide_checks(plan);
}

bool plan_fall_back(struct plan *plan, struct slp_error *err)
{
	if (!plan->fallback || err->undo != SLP_UNDO_NONE ||
	    (err->code != SLP_E_DENIED && err->code != SLP_E_READ_ONLY))
		return false;
	fd_close(&plan->fd);
	plan->method = plan->fallback;
	plan->fallback = NULL;
	plan->id = plan->method->id;
	decide_checks(plan);
	error_clear(err);
	return true;
}

/* The caller's own counter, read where it would be written. */
static int read_own_counter(pid_t *counter, struct slp_error *err)
{
	int fd = last_pid_open(O_RDONLY, err), ret = fd < 0 ? -1 : last_pid_read(fd, counter);

	if (ret < 0 && fd >= 0)
		fail_sys(err, errno, "read", NS_LAST_PID);
	fd_close(&fd);
	return ret;
}

int plan_floor(struct plan *plan, struct slp_error *err)
{
	const struct slp_vector *asked = plan->vec;
	pid_t counter[SLP_VECTOR_MAX];

	/* the caller's own level alone is read as written: no task created */
	if (own_alone(plan) ? read_own_counter(counter, err) < 0
			    : read_counters(plan->target, asked->nr, counter, err) < 0)
		return -1;
	plan->past = 0;
	for (unsigned int i = 0; i < asked->nr; i++) {
		plan->past |= counter[i] >= asked->pid[i] ? 1u << i : 0;
		plan->floor.pid[i] = counter[i] >= asked->pid[i] ? counter[i] : asked->pid[i];
	}
	plan->floor.nr = asked->nr;
	plan->vec = &plan->floor;
	return plan->past == ~0u >> (32 - asked->nr) ? 1 : 0;
}

void plan_report(struct plan *plan, struct slp_report *report)
{
	struct slp_error ignored;
	struct stat st;
	unsigned int nr = plan->vec->nr;

	report_start(report, plan->id, nr);
	report->tasks = plan->tasks;
	if (plan->flags & SLP_AT_LEAST) {
		report->past = plan->past;
		for (unsigned int i = 0; i < SLP_VECTOR_MAX; i++)
			report->value[i] = i < nr ? plan->vec->pid[i] : 0;
	}
	if (!plan->target) {
		report->level_ino[0] = stat(OWN_PID_NS, &st) == 0 ? st.st_ino : 0;
		return;
	}
	/* the counters are set: a level that cannot be named now is named 0 */
	(void)target_resolve(plan->target, nr, &ignored);
	for (unsigned int i = 0; i < nr; i++)
		report->level_ino[i] = target_level_ino(plan->target, i);
}

void plan_release(struct plan *plan, struct slp_error *err)
{
	lock_release(plan);
	method_crew.release(plan);
	method_spin.release(plan);
	fd_close(&plan->fd);
	target_free_own(plan->own, err);
	plan->own = NULL;
}
