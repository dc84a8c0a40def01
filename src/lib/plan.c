// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One plan, made once: which method, which checks, which levels. The
 * real run and the dry run make it alike, so they make the same checks.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define OWN_PID_NS "/proc/self/ns/pid"

static int check_args(const struct slp_vector *vec, const struct slp_options *opts,
		      struct slp_error *err)
{
	if (!vec || vec->nr < 1 || vec->nr > SLP_VECTOR_MAX)
		return fail_code(err, SLP_E_INVALID, EINVAL,
				 "a vector has 1 to 32 values", NULL);
	for (uint32_t i = 0; i < vec->nr; i++)
		if (vec->pid[i] < 0)
			return fail_code(err, SLP_E_INVALID, EINVAL,
					 "a value of a vector is not negative", NULL);
	if (opts && (unsigned int)opts->method > SLP_METHOD_PRESET)
		return fail_code(err, SLP_E_INVALID, EINVAL, "unknown method", NULL);
	if (opts && (opts->flags & ~(unsigned int)(SLP_DRY_RUN | SLP_LOCK | SLP_EXACT | SLP_NEW_PIDNS)))
		return fail_code(err, SLP_E_INVALID, EINVAL, "unknown flags", NULL);
	return 0;
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

static bool exact_asked(const struct slp_options *opts)
{
	return opts->method == SLP_METHOD_EXACT || (opts->flags & SLP_EXACT);
}

int plan_make(struct plan *plan, struct slp_target *target, const struct slp_vector *vec,
	      const struct slp_options *opts, bool spawn, struct slp_error *err)
{
	int fd = target->level[0].fd;

	if ((opts->flags & SLP_NEW_PIDNS) && !spawn)
		return fail_code(err, SLP_E_INVALID, EINVAL,
				 "a new pid namespace has a first process: use slp_spawn()", NULL);
	*plan = (struct plan){ .target = target, .vec = vec, .flags = opts->flags, .spawn = spawn,
			       .interrupt = opts->interrupt, .max_spin = opts->max_spin,
			       .progress = opts->progress, .progress_arg = opts->progress_arg };
	if (exact_asked(opts)) {
		if (!spawn)
			return fail_code(err, SLP_E_INVALID, EINVAL,
					 "clone3() set_tid creates a process: use slp_spawn()", NULL);
		plan->flags |= SLP_EXACT;
		return 0;
	}
	switch (opts->method) {
	case SLP_METHOD_IOCTL:
		plan->method = &method_ioctl;
		break;
	case SLP_METHOD_SYSCTL:
		plan->method = &method_sysctl;
		break;
	case SLP_METHOD_SPIN:
		plan->method = &method_spin;
		return 0;
	case SLP_METHOD_PRESET:
		if (!spawn)
			return fail_code(err, SLP_E_INVALID, EINVAL,
					 "counters set already have nothing to set: use slp_spawn()",
					 NULL);
		plan->method = &method_preset;
		return 0;
	default:
		switch (kernel_has_ioctl(fd)) {
		case 1:
			plan->method = &method_ioctl;
			break;
		case 0:
			plan->method = &method_sysctl;
			break;
		default:
			return fail_sys(err, errno, "ask for NS_SET_LAST_PID_VEC on", target->name);
		}
		break;
	}
	/*
	 * The kernel checks the ioctl whole, and one write of the caller's
	 * own ns_last_pid: nothing needs checking before them, and their
	 * refusal changes nothing. Creating COMMAND after them does.
	 */
	if (!spawn)
		plan->kernel_checks = plan->method == &method_ioctl ||
				      (vec->nr == 1 && target_is_callers(target, 0));
	/*
	 * Asked for the ioctl by name: a kernel without it is told before any
	 * check (a real run without checks learns it from the ioctl itself).
	 */
	if (opts->method == SLP_METHOD_IOCTL &&
	    (!plan->kernel_checks || (opts->flags & SLP_DRY_RUN))) {
		int has = kernel_has_ioctl(fd);

		if (has < 0)
			return fail_sys(err, errno, "ask for NS_SET_LAST_PID_VEC on", target->name);
		if (!has) {
			fail_code(err, SLP_E_NO_IOCTL, ENOTTY, NULL, NULL);
			err->target = target->name;
			return -1;
		}
	}
	return 0;
}

static int check_exact(struct plan *plan, struct slp_error *err)
{
	if (target_resolve(plan->target, plan->vec->nr, err) < 0 ||
	    check_range(plan, true, err) < 0)
		return -1;
	return check_owners(plan, err);
}

/*
 * COMMAND is to have a pid that is setlastpid's own (restoring 99 and
 * 100 from one shell, the second setlastpid born at 101): it never
 * can, and no retry helps.
 */
static int check_own_pid(struct plan *plan, struct slp_error *err)
{
	pid_t self = getpid();

	for (unsigned int i = 0; i < plan->vec->nr; i++) {
		struct slp_error ignored;

		if (plan->vec->pid[i] + 1 != self)
			continue;
		/* a level that cannot be resolved is the later checks' to report */
		if (target_resolve(plan->target, i + 1, &ignored) < 0 ||
		    !target_is_callers(plan->target, i))
			continue;
		fail_code(err, SLP_E_OWN_PID, 0, NULL, NULL);
		err->value = self;
		return fail_at(err, plan->target, i);
	}
	return 0;
}

/* Every check before the first write; a dry run makes them all. */
int plan_check(struct plan *plan, struct slp_error *err)
{
	if (plan->spawn && check_own_pid(plan, err) < 0)
		return -1;
	if ((plan->flags & SLP_NEW_PIDNS) && check_new_pidns(plan, err) < 0)
		return -1;
	/* SLP_EXACT: no method, clone3() alone */
	if (!plan->method)
		return check_exact(plan, err);
	if (plan->kernel_checks && !(plan->flags & SLP_DRY_RUN))
		return 0;
	return plan->method->check(plan, err);
}

/*
 * Write; where the kernel alone checked, a refusal changed nothing, and
 * the checks it made in place of ours say which rule it was.
 */
int plan_write(struct plan *plan, struct slp_error *err)
{
	struct slp_error why;

	if (plan->method->write(plan, err) == 0)
		return 0;
	if (!plan->kernel_checks || (err->code != SLP_E_DENIED && err->code != SLP_E_REFUSED))
		return -1;
	error_clear(&why);
	if (plan->method->check(plan, &why) < 0)
		*err = why;
	return -1;
}

void plan_report(const struct plan *plan, struct slp_report *report)
{
	struct slp_error ignored;
	unsigned int nr = plan->vec->nr;

	report->method = plan->flags & SLP_EXACT ? SLP_METHOD_EXACT : plan->method->id;
	report->nr = nr;
	report->tasks = plan->tasks;
	/* The counters are set: a level that cannot be named now is named 0. */
	(void)target_resolve(plan->target, nr, &ignored);
	for (unsigned int i = 0; i < nr; i++)
		report->level_ino[i] = target_level_ino(plan->target, i);
}

/* Open, write, close: nothing before, the kernel checks the write whole. */
static bool set_own_level_alone(const struct slp_vector *vec, const struct slp_options *opts,
				struct slp_report *report)
{
	struct stat st;

	if (vec->nr != 1 || (opts->method != SLP_METHOD_AUTO && opts->method != SLP_METHOD_SYSCTL) ||
	    opts->flags ||
	    write_own_last_pid(vec->pid[0]) < 0)
		return false;
	if (report) {
		*report = (struct slp_report){ .method = SLP_METHOD_SYSCTL, .nr = 1 };
		if (stat(OWN_PID_NS, &st) == 0)
			report->level_ino[0] = st.st_ino;
	}
	return true;
}

bool plan_spin_instead(struct plan *plan, const struct slp_options *opts,
		       struct slp_error *err)
{
	if (opts->method != SLP_METHOD_AUTO || plan->method != &method_sysctl ||
	    plan->vec->nr != 1 || !target_is_callers(plan->target, 0) ||
	    err->undo != SLP_UNDO_NONE ||
	    (err->code != SLP_E_DENIED && err->code != SLP_E_READ_ONLY))
		return false;
	plan->method->release(plan);
	plan->method = &method_spin;
	plan->kernel_checks = false;
	error_clear(err);
	return true;
}

/* What the plan's method holds, then its write (a dry run's: what only a task in a level can see). */
static int prepare_and_write(struct plan *plan, struct slp_error *err)
{
	if (plan->method->prepare(plan, err) < 0)
		return -1;
	return plan_write(plan, err);
}

/*
 * Where /proc is another pid namespace's, the caller's own level alone
 * is still one write of its ns_last_pid, which needs no /proc/self: a
 * dry run of it checks what that write meets, as far as it can be told
 * (its user namespace is taken to own its pid namespace).
 */
static int dry_run_blind(const struct slp_vector *vec, const struct slp_options *opts,
			 struct slp_report *report, struct slp_error *err)
{
	struct slp_error why;
	int pid_max, fd;

	if (!(opts->flags & SLP_DRY_RUN) || vec->nr != 1 || opts->method == SLP_METHOD_IOCTL ||
	    opts->method == SLP_METHOD_SPIN || (opts->flags & ~(unsigned int)SLP_DRY_RUN))
		return -1;
	error_clear(&why);
	if ((fd = open_ns_last_pid(O_WRONLY, &why)) < 0 || read_pid_max(&pid_max, &why) < 0) {
		*err = why;
		return -1;
	}
	close(fd);
	if (vec->pid[0] > pid_max) {
		error_clear(err);
		fail_code(err, SLP_E_RANGE, 0, NULL, NULL);
		err->level = 0;
		err->value = vec->pid[0];
		err->limit = pid_max;
		return -1;
	}
	if (!may_write_own_level())
		return -1;	/* the error is the /proc one: nothing better is known */
	error_clear(err);
	if (report)
		*report = (struct slp_report){ .method = SLP_METHOD_SYSCTL, .nr = 1 };
	return 0;
}

static int set_target(struct slp_target *target, const struct slp_vector *vec,
		      const struct slp_options *opts, struct slp_report *report,
		      struct slp_error *err)
{
	struct plan plan;
	int lock_fd = -1, ret;

	if (plan_make(&plan, target, vec, opts, false, err) < 0)
		return -1;
	ret = plan_check(&plan, err);
	if (ret == 0 && (opts->flags & SLP_LOCK) &&
	    (lock_fd = lock_take(opts->flags & SLP_DRY_RUN, err)) < 0)
		ret = -1;
	if (ret == 0)
		ret = prepare_and_write(&plan, err);
	/* not permitted to write: the caller's own level can still be spun to */
	if (ret < 0 && plan_spin_instead(&plan, opts, err) &&
	    (ret = plan_check(&plan, err)) == 0)
		ret = prepare_and_write(&plan, err);
	plan.method->release(&plan);
	lock_release(lock_fd);
	if (ret == 0 && report)
		plan_report(&plan, report);
	return ret;
}

SLP_EXPORT int slp_set(struct slp_target *target, const struct slp_vector *vec,
		       const struct slp_options *opts, struct slp_report *report,
		       struct slp_error *err)
{
	struct slp_target *own = NULL;
	struct slp_error local = { .level = -1 };
	int ret;

	if (call_begin(&err, &local, &opts, vec) < 0)
		return -1;
	/*
	 * "setlastpid N" in a script. If the kernel says no, nothing
	 * changed, and the whole way below says why.
	 */
	if (!target && set_own_level_alone(vec, opts, report))
		return 0;
	if (target_or_own(&target, &own, err) < 0)
		return err->code == SLP_E_FOREIGN_PROC ? dry_run_blind(vec, opts, report, err) : -1;
	ret = set_target(target, vec, opts, report, err);
	target_free_own(own, err);
	return ret;
}
