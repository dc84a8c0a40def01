// SPDX-License-Identifier: GPL-2.0-or-later
/* setlastpid: set ns_last_pid of a pid namespace and its ancestors at once. */
#include <argp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "command.h"
#include "diag.h"
#include "levels.h"
#include "methods.h"
#include "privs.h"
#include "vector.h"

enum method { METHOD_AUTO, METHOD_IOCTL, METHOD_SYSCTL };

static const char *const method_names[] = {
	[METHOD_AUTO] = "auto",
	[METHOD_IOCTL] = "ioctl",
	[METHOD_SYSCTL] = "sysctl",
};

struct control {
	const char *ns_path;
	enum method method;
	bool dry_run;
	bool verbose;
	bool lock;
	bool exact;
	struct pid_vector vec;
	char **command;		/* NULL: only set the counters */
};

const char *argp_program_version = PACKAGE_STRING;
const char *argp_program_bug_address = "<" PACKAGE_BUGREPORT ">";

enum { OPT_NS = 0x100, OPT_LOCK, OPT_EXACT };

static const struct argp_option options[] = {
	{ "ns", OPT_NS, "PATH", 0,
	  "The pid namespace whose last pid is VECTOR's first value "
	  "(default: /proc/self/ns/pid, the caller's own)", 0 },
	{ "method", 'm', "METHOD", 0,
	  "auto (default): the ioctl, or ns_last_pid where the kernel lacks it; "
	  "ioctl: NS_SET_LAST_PID_VEC only; sysctl: ns_last_pid only", 0 },
	{ "dry-run", 'n', NULL, 0,
	  "Check everything, print what would be set, change nothing", 0 },
	{ "verbose", 'v', NULL, 0,
	  "Print each level set: depth, namespace, value, method", 0 },
	{ NULL, 0, NULL, 0, "Starting COMMAND at those pids:", 1 },
	{ "lock", OPT_LOCK, NULL, 0,
	  "Hold an exclusive flock on /proc/sys/kernel/ns_last_pid from before the "
	  "first write until COMMAND exists (or the counters are set), so that "
	  "cooperating restorers never take each other's pids", 1 },
	{ "exact", OPT_EXACT, NULL, 0,
	  "Create COMMAND with clone3() and set_tid = VECTOR + 1 per level: the pids "
	  "or nothing, no counter written, no race (Linux 5.5)", 1 },
	{ 0 }
};

static const char args_doc[] = "VECTOR\nVECTOR -- COMMAND [ARG...]";

static const char doc[] =
	"Set the last pid of a pid namespace and of its ancestors, so that the "
	"next process created there gets the pids after them.\n\n"
	"VECTOR is 1 to 32 comma-separated decimal last pids, innermost namespace "
	"first: 100,50,7 makes the next process pid 101 in the namespace --ns names, "
	"51 in its parent and 8 in the grandparent.\n\n"
	"With COMMAND, setlastpid then creates it as that next process, checks "
	"that it got exactly VECTOR + 1 at every level, runs it, and exits with "
	"its status."
	"\v"
	"Exit status: 0 done; 64 bad command line; 65 VECTOR does not fit the "
	"namespace (value above pid_max, more levels than visible, not a pid "
	"namespace); 66 --ns does not exist; 69 --method=ioctl and the kernel "
	"lacks NS_SET_LAST_PID_VEC (or clone3 set_tid, with --exact); 71 other "
	"system error; 75 another process took one of COMMAND's pids, nothing run; "
	"77 not permitted. With COMMAND: its exit status, 128+N if signal N "
	"killed it, 126 if it cannot be run, 127 if it is not found.\n\n"
	"See setlastpid(8).";

/*
 * An argument as a one-line message may show it: cut short (VECTOR may
 * be 128 KiB long) and with control and non-ASCII bytes as \xHH.
 */
static const char *quote_short(const char *text)
{
	static char buf[4 * 40 + 4];
	size_t out = 0;

	for (size_t in = 0; text[in] && out < sizeof(buf) - 5; in++) {
		unsigned char c = (unsigned char)text[in];

		if (in == 40) {
			strcpy(buf + out, "...");
			return buf;
		}
		if (c >= 0x20 && c < 0x7f)
			buf[out++] = (char)c;
		else
			out += (size_t)snprintf(buf + out, sizeof(buf) - out, "\\x%02x", c);
	}
	buf[out] = '\0';
	return buf;
}

static enum method parse_method(const char *name)
{
	for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (strcmp(name, method_names[i]) == 0)
			return (enum method)i;
	fail(EXIT_USAGE, "invalid --method '%s': give auto, ioctl or sysctl",
	     quote_short(name));
}

static void parse_vector_or_exit(const char *text, struct pid_vector *vec)
{
	char why[128];

	if (vector_parse(text, vec, why, sizeof(why)) < 0)
		fail(EXIT_USAGE,
		     "invalid VECTOR '%s': %s (give decimal pids separated by commas, "
		     "innermost first, e.g. 100,50,7)",
		     quote_short(text), why);
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct control *ctl = state->input;

	switch (key) {
	case OPT_NS:
		ctl->ns_path = arg;
		break;
	case 'm':
		ctl->method = parse_method(arg);
		break;
	case 'n':
		ctl->dry_run = true;
		break;
	case 'v':
		ctl->verbose = true;
		break;
	case OPT_LOCK:
		ctl->lock = true;
		break;
	case OPT_EXACT:
		ctl->exact = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0) {
			parse_vector_or_exit(arg, &ctl->vec);
			break;
		}
		/* The rest is COMMAND and its arguments, options or not. */
		ctl->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (ctl->exact && !ctl->command)
			fail(EXIT_USAGE, "--exact creates a process: give it, "
					 "as in setlastpid --exact VECTOR -- COMMAND");
		break;
	case ARGP_KEY_NO_ARGS:
		fail(EXIT_USAGE, "missing VECTOR: give the last pids, innermost first, "
				 "e.g. setlastpid 100,50,7");
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void report_levels(const struct levels *levels, const struct pid_vector *vec,
			  const char *method, bool dry_run)
{
	for (unsigned int i = 0; i < levels->nr; i++)
		printf("%s level %u %s to %d via %s\n", dry_run ? "would set" : "set", i,
		       level_name(levels, i), vec->pid[i], method);
}

/* Check --ns and the levels above it, then the caller's permission. */
static void validate(const struct control *ctl, int fd, struct levels *levels,
		     const struct plan *plan)
{
	check_pid_ns_or_exit(fd, ctl->ns_path);
	resolve_levels_or_exit(levels, fd, ctl->ns_path, ctl->vec.nr);
	check_range_or_exit(&ctl->vec, plan->set_tid);
	if (plan->helpers || plan->enter_target || plan->set_tid)
		check_permission_or_exit(levels, plan);
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
		check_permission_or_exit(&levels, &plan);
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
	const char *after = failure->undone ? "; no level was changed"
					    : "; levels written before it may not be restored";

	if (strcmp(failure->call, "open") == 0) {
		if (failure->errnum == ENOENT)
			fail(EXIT_NO_IOCTL,
			     "cannot open /proc/sys/kernel/ns_last_pid: the kernel lacks "
			     "CONFIG_CHECKPOINT_RESTORE or /proc is not mounted");
		fail_errno(failure->errnum, "cannot open /proc/sys/kernel/ns_last_pid");
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

	validate(ctl, fd, levels, &plan);
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
		      ctl->exact ? "clone3 set_tid (VECTOR + 1)" : method_names[method], true);
	if (ctl->command)
		printf("would run %s\n", ctl->command[0]);
	return EXIT_DONE;
}

int main(int argc, char **argv)
{
	struct control ctl = { .ns_path = "/proc/self/ns/pid", .method = METHOD_AUTO };
	static const struct argp argp = { options, parse_opt, args_doc, doc, NULL, NULL, NULL };
	struct levels levels;
	int fd, lock_fd;

	close_stdout_at_exit();
	refuse_if_secure_exec();
	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc, argv, 0, NULL, &ctl);

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
