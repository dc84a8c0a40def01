// SPDX-License-Identifier: GPL-2.0-or-later
/* setlastpid: set ns_last_pid of a pid namespace and its ancestors at once. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "command.h"
#include "diag.h"
#include "levels.h"
#include "methods.h"
#include "privs.h"
#include "vector.h"

static void report_levels(const struct levels *levels, const struct pid_vector *vec,
			  const char *method, bool dry_run)
{
	for (unsigned int i = 0; i < levels->nr; i++)
		printf("%s level %u %s to %d via %s\n", dry_run ? "would set" : "set", i,
		       level_name(levels, i), vec->pid[i], method);
}

/* Check --ns and find the levels above it. */
static void resolve(const struct control *ctl, int fd, struct levels *levels)
{
	check_pid_ns_or_exit(fd, ctl->ns_path);
	resolve_levels_or_exit(levels, fd, ctl->ns_path, ctl->vec.nr);
}

/* Check the values against pid_max, then the caller's permission. */
static void check(const struct control *ctl, const struct levels *levels,
		  const struct plan *plan)
{
	check_range_or_exit(&ctl->vec, plan->set_tid);
	if (plan->helpers || plan->enter_target || plan->set_tid)
		check_permission_or_exit(levels, plan);
}

static void validate(const struct control *ctl, int fd, struct levels *levels,
		     const struct plan *plan)
{
	resolve(ctl, fd, levels);
	check(ctl, levels, plan);
}

static __attribute__((noreturn)) void fail_no_ioctl(const struct control *ctl)
{
	fail(EXIT_NO_IOCTL,
	     "cannot set %s: this kernel lacks NS_SET_LAST_PID_VEC; "
	     "--method=auto or --method=sysctl set the same counters through ns_last_pid",
	     ctl->ns_path);
}

/* The ioctl failed and nothing changed: find out why, say it, exit. */
static __attribute__((noreturn)) void explain_ioctl_failure(const struct control *ctl,
							    int fd, int errnum)
{
	struct plan plan = { 0 };
	struct levels levels;

	switch (errnum) {
	case ENOTTY:
		check_pid_ns_or_exit(fd, ctl->ns_path);
		fail_no_ioctl(ctl);
	case EINVAL:
		validate(ctl, fd, &levels, &plan);
		fail(EXIT_MISFIT, "the kernel refused VECTOR for %s: %s", ctl->ns_path,
		     strerror(errnum));
	case EPERM:
	case EACCES:
		validate(ctl, fd, &levels, &plan);
		explain_denial_or_exit(&levels, &plan);
		fail(EXIT_DENIED, "not permitted to set the pid namespaces of %s: %s",
		     ctl->ns_path, strerror(errnum));
	default:
		fail_errno(errnum, "NS_SET_LAST_PID_VEC on %s failed", ctl->ns_path);
	}
}

static __attribute__((noreturn)) void explain_sysctl_failure(const struct control *ctl,
							     const struct levels *levels,
							     const struct sysctl_failure *failure)
{
	const char *after = failure->undone ? "; the levels written were put back"
					    : "; the levels written may not have been put back";

	if (strcmp(failure->call, "open") == 0) {
		if (failure->errnum == ENOENT)
			fail(EXIT_NO_IOCTL,
			     "cannot open /proc/sys/kernel/ns_last_pid: the kernel lacks "
			     "CONFIG_CHECKPOINT_RESTORE or /proc is not mounted");
		fail_errno(failure->errnum, "cannot open /proc/sys/kernel/ns_last_pid");
	}
	/* A lone write was checked by the kernel alone: say what it checked. */
	if (levels->nr == 1 && strcmp(failure->call, "write") == 0) {
		struct plan plan = { .helpers = true };

		if (failure->errnum == EINVAL)
			check_range_or_exit(&ctl->vec, false);
		if (failure->errnum == EPERM)
			explain_denial_or_exit(levels, &plan);
	}
	fprintf(stderr, "setlastpid: cannot set level %u (%s) of %s: %s failed: %s%s\n",
		failure->level, level_name(levels, failure->level), ctl->ns_path,
		failure->call, strerror(failure->errnum), after);
	exit(status_of_errno(failure->errnum));
}

static void set_with_sysctl(const struct control *ctl, int fd, struct levels *levels)
{
	struct plan plan = { .helpers = true, .enter_target = ctl->command != NULL };
	struct sysctl_failure failure;

	resolve(ctl, fd, levels);
	/*
	 * The common script case, the caller's own level alone, is a single
	 * write, and the kernel checks it whole: checking first would only
	 * double the cost. A refusal is explained after the fact.
	 */
	if (!levels_are_one_write(levels))
		check(ctl, levels, &plan);
	if (set_by_sysctl(levels, &ctl->vec, &failure) < 0)
		explain_sysctl_failure(ctl, levels, &failure);
	if (ctl->verbose)
		report_levels(levels, &ctl->vec, "sysctl", false);
}

/*
 * The kernel checks the vector whole, so a bare run asks it first and
 * looks closer only on failure. With COMMAND, entering level 0 must be
 * known possible before anything is set.
 */
static void set_with_ioctl(const struct control *ctl, int fd, struct levels *levels)
{
	struct plan plan = { .enter_target = ctl->command != NULL };

	levels->nr = 0;
	if (ctl->command)
		validate(ctl, fd, levels, &plan);
	if (set_by_ioctl(fd, &ctl->vec) < 0) {
		int errnum = errno;

		/* set_with_sysctl() tells a kernel without it from a file that is no namespace. */
		if (errnum == ENOTTY && ctl->method == METHOD_AUTO) {
			set_with_sysctl(ctl, fd, levels);
			return;
		}
		explain_ioctl_failure(ctl, fd, errnum);
	}
	if (ctl->verbose) {
		if (levels->nr == 0)
			resolve_levels_or_exit(levels, fd, ctl->ns_path, ctl->vec.nr);
		report_levels(levels, &ctl->vec, "ioctl", false);
	}
}

static int run(const struct control *ctl, const struct levels *levels, int lock_fd)
{
	struct command cmd = {
		.argv = ctl->command, .vec = &ctl->vec, .exact = ctl->exact, .lock_fd = lock_fd,
	};

	return run_command(levels, &cmd);
}

/* --exact: no counter is written; clone3() gives the pids or fails. */
static int run_exact(const struct control *ctl, int fd)
{
	struct plan plan = { .enter_target = true, .set_tid = true };
	struct levels levels;

	int status;

	validate(ctl, fd, &levels, &plan);
	status = run(ctl, &levels, ctl->lock ? lock_ns_last_pid_or_exit() : -1);
	/* Only now is it true: COMMAND had those pids. */
	if (ctl->verbose)
		report_levels(&levels, &ctl->vec, "clone3 set_tid (VECTOR + 1)", false);
	return status;
}

/* Every check a real run makes, then the lines --verbose would print. */
static int dry_run(const struct control *ctl, int fd)
{
	struct plan plan = { .enter_target = ctl->command != NULL, .set_tid = ctl->exact };
	enum method method = ctl->method;
	struct levels levels;

	if (!ctl->exact && method != METHOD_SYSCTL)
		method = kernel_has_ioctl(fd) ? METHOD_IOCTL : METHOD_SYSCTL;
	if (!ctl->exact && ctl->method == METHOD_IOCTL && method != METHOD_IOCTL) {
		check_pid_ns_or_exit(fd, ctl->ns_path);
		fail_no_ioctl(ctl);
	}
	plan.helpers = !ctl->exact && method == METHOD_SYSCTL;
	validate(ctl, fd, &levels, &plan);
	if (!plan.helpers && !plan.enter_target && !plan.set_tid)
		check_permission_or_exit(&levels, &plan);
	report_levels(&levels, &ctl->vec,
		      ctl->exact ? "clone3 set_tid (VECTOR + 1)" : method_name(method), true);
	if (ctl->command)
		printf("would run %s\n", ctl->command[0]);
	return EXIT_DONE;
}

/*
 * "setlastpid N" in a script: the caller's own level alone, one write of
 * ns_last_pid, which the kernel checks whole (range and capability); the
 * ioctl would do no more, and /proc/self/ns/pid is a pid namespace. So
 * that write comes first, with nothing before it. If the kernel says no,
 * nothing changed, and the full path checks each thing in turn to say why.
 */
static bool set_own_level_alone(const struct control *ctl)
{
	if (!ctl->own_ns || ctl->vec.nr != 1 || ctl->method == METHOD_IOCTL || ctl->command ||
	    ctl->dry_run || ctl->exact || ctl->lock || ctl->verbose)
		return false;
	return set_own_last_pid(ctl->vec.pid[0]) == 0;
}

int main(int argc, char **argv)
{
	struct control ctl;
	struct levels levels;
	int fd, lock_fd;

	close_stdout_at_exit();
	refuse_if_secure_exec();
	parse_command_line(argc, argv, &ctl, 0);
	if (set_own_level_alone(&ctl))
		return EXIT_DONE;

	fd = open_ns_or_exit(ctl.ns_path);
	if (ctl.dry_run)
		return dry_run(&ctl, fd);
	if (ctl.exact)
		return run_exact(&ctl, fd);
	/* Held from before the first write until COMMAND exists, or to exit. */
	lock_fd = ctl.lock ? lock_ns_last_pid_or_exit() : -1;
	if (ctl.method == METHOD_SYSCTL)
		set_with_sysctl(&ctl, fd, &levels);
	else
		set_with_ioctl(&ctl, fd, &levels);
	if (!ctl.command)
		return EXIT_DONE;
	return run(&ctl, &levels, lock_fd);
}
