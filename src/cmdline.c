// SPDX-License-Identifier: GPL-2.0-or-later
/* The command line: argp options, VECTOR and COMMAND, into one control struct. */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cmdline.h"
#include "diag.h"

static const char *const method_names[] = {
	[METHOD_AUTO] = "auto",
	[METHOD_IOCTL] = "ioctl",
	[METHOD_SYSCTL] = "sysctl",
};

const char *argp_program_version = PACKAGE_STRING;
const char *argp_program_bug_address = "<" PACKAGE_BUGREPORT ">";

enum { OPT_NS = 0x100, OPT_LOCK, OPT_EXACT, OPT_USAGE };

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
	/*
	 * Ours, not argp's default parser (ARGP_NO_HELP): that one also
	 * takes the hidden --HANG, which sleeps for an hour, and
	 * --program-name, which renames us in every message.
	 */
	{ "help", '?', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print program version", -1 },
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

/*
 * A usage error found while argp parses. It is told once argp_parse()
 * has returned: argp's storage is freed by then, and the fuzzer, whose
 * fail() jumps back instead of exiting, leaks nothing.
 */
static char usage_message[512];

static error_t __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(usage_message, sizeof(usage_message), fmt, ap);
	va_end(ap);
	return EINVAL;
}

static error_t parse_method(const char *name, enum method *method)
{
	for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (strcmp(name, method_names[i]) == 0) {
			*method = (enum method)i;
			return 0;
		}
	return usage_error("invalid --method '%s': give auto, ioctl or sysctl", quote_short(name));
}

static error_t parse_vector(const char *text, struct pid_vector *vec)
{
	char why[128];

	if (vector_parse(text, vec, why, sizeof(why)) < 0)
		return usage_error("invalid VECTOR '%s': %s (give decimal pids separated by "
				   "commas, innermost first, e.g. 100,50,7)",
				   quote_short(text), why);
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct control *ctl = state->input;

	switch (key) {
	case OPT_NS:
		ctl->ns_path = arg;
		ctl->own_ns = false;
		break;
	case 'm':
		return parse_method(arg, &ctl->method);
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
	case '?':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		break;
	case 'V':
		puts(argp_program_version);
		if (!(state->flags & ARGP_NO_EXIT))
			exit(EXIT_DONE);
		break;
	case ARGP_KEY_INIT:
		/* argp's own messages too start "setlastpid:", however we were run */
		state->name = PACKAGE_NAME;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0)
			return parse_vector(arg, &ctl->vec);
		/* The rest is COMMAND and its arguments, options or not. */
		ctl->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (ctl->exact && !ctl->command)
			return usage_error("--exact creates a process: give it, "
					   "as in setlastpid --exact VECTOR -- COMMAND");
		break;
	case ARGP_KEY_NO_ARGS:
		return usage_error("missing VECTOR: give the last pids, innermost first, "
				   "e.g. setlastpid 100,50,7");
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const char *method_name(enum method method)
{
	return method_names[method];
}

int parse_command_line(int argc, char **argv, struct control *ctl, unsigned int argp_flags)
{
	static const struct argp argp = { options, parse_opt, args_doc, doc, NULL, NULL, NULL };
	error_t err;

	*ctl = (struct control){
		.ns_path = "/proc/self/ns/pid", .own_ns = true, .method = METHOD_AUTO
	};
	/* getopt names us by argv[0] in "unrecognized option": one prefix for all */
	if (argc > 0)
		argv[0] = (char *)PACKAGE_NAME;
	argp_err_exit_status = EXIT_USAGE;
	usage_message[0] = '\0';
	err = argp_parse(&argp, argc, argv, argp_flags | ARGP_NO_HELP, NULL, ctl);
	if (usage_message[0])
		fail(EXIT_USAGE, "%s", usage_message);
	return err;
}
