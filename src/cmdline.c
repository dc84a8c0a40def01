// SPDX-License-Identifier: GPL-2.0-or-later
/* The command line: argp options, VECTOR and COMMAND, into one control struct. */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "diag.h"

const char *argp_program_version = PACKAGE_STRING;

enum {
	OPT_NS = 0x100, OPT_LOCK, OPT_EXACT, OPT_MAX_SPIN, OPT_NEW_PIDNS, OPT_GET, OPT_SERVE,
	OPT_CONNECT, OPT_SOCKET_MODE, OPT_SOCKET_GROUP, OPT_USAGE, OPT_AT_LEAST
};

static const struct argp_option options[] = {
	{ "ns", OPT_NS, "PATH", 0,
	  "The pid namespace whose last pid is VECTOR's first value "
	  "(default: /proc/self/ns/pid, the caller's own)", 0 },
	{ "method", 'm', "METHOD", 0,
	  "auto (default): the ioctl, or ns_last_pid where the kernel lacks it, or "
	  "spin where that may not be written; ioctl: NS_SET_LAST_PID_VEC only; "
	  "sysctl: ns_last_pid only; spin: create and end tasks until the caller's "
	  "own counter is there (no privilege; one value, the caller's own level)", 0 },
	{ "max-spin", OPT_MAX_SPIN, "N", 0,
	  "Spin no more than N tasks (default 1000000, about 20 s at 50,000 tasks a "
	  "second): a value further away is refused before the first task is created", 0 },
	{ "at-least", OPT_AT_LEAST, NULL, 0,
	  "A floor: raise each level to at least its value of VECTOR; a level already "
	  "there or past it is left alone (and reported), never lowered. No COMMAND: "
	  "create it after, with --exact", 0 },
	{ "dry-run", 'n', NULL, 0,
	  "Check everything, print what would be set, change nothing", 0 },
	{ "verbose", 'v', NULL, 0,
	  "Print each level set: depth, namespace, value, method", 0 },
	{ "json", 'J', NULL, 0,
	  "Print the report of a set, a dry run or --get, or a failure, as one JSON "
	  "document on standard output: per level its index, namespace inode, value, "
	  "pid_max and what was done (see setlastpid(8), JSON OUTPUT)", 0 },
	{ NULL, 0, NULL, 0, "Starting COMMAND at those pids:", 1 },
	{ "lock", OPT_LOCK, NULL, 0,
	  "Hold an exclusive flock on /proc/sys/kernel/ns_last_pid from before the "
	  "first write until COMMAND exists (or the counters are set), so that "
	  "cooperating restorers never take each other's pids", 1 },
	{ "exact", OPT_EXACT, NULL, 0,
	  "Create COMMAND with clone3() and set_tid = VECTOR + 1 per level: the pids "
	  "or nothing, no counter written, no race (Linux 5.5); no --method", 1 },
	{ "new-pidns", OPT_NEW_PIDNS, NULL, 0,
	  "COMMAND is pid 1 of a new pid namespace below the one --ns names, with "
	  "VECTOR + 1 there and above: a nest rebuilt from the outside in", 1 },
	{ NULL, 0, NULL, 0, "Reading the counters:", 2 },
	{ "get", OPT_GET, NULL, 0,
	  "Print, as VECTOR, the last pids of the namespace --ns names and of each "
	  "above it you see: the values that, set, change nothing (creates one task "
	  "there; no write privilege)", 2 },
	{ NULL, 0, NULL, 0, "A server, for many requests and for others:", 3 },
	{ "serve", OPT_SERVE, "SOCKET", 0,
	  "Set the counters of the nest --ns names for whoever may write to the UNIX "
	  "datagram socket SOCKET (a path, or @NAME): set_ns_last_pid's protocol and "
	  "ours; in the foreground, until SIGTERM or SIGINT", 3 },
	{ "socket-mode", OPT_SOCKET_MODE, "MODE", 0,
	  "The socket's mode, in octal (default 0600: yours alone; 0660 with "
	  "--socket-group)", 3 },
	{ "socket-group", OPT_SOCKET_GROUP, "GROUP", 0,
	  "The socket's group, by name or number: its members may write to it "
	  "(mode 0660 unless --socket-mode says otherwise)", 3 },
	{ "connect", OPT_CONNECT, "SOCKET", 0,
	  "Ask the server on SOCKET to set VECTOR. With COMMAND, which must run in "
	  "level 0 of the served nest: check what it needs here first, then create "
	  "it here and check its pids at the levels seen from here", 3 },
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

static const char args_doc[] =
	"VECTOR\nVECTOR [--] COMMAND [ARG...]\n--at-least VECTOR\n--get\n--serve=SOCKET\n--connect=SOCKET VECTOR [[--] COMMAND...]";

static const char doc[] =
	"Set the last pid of a pid namespace and of its ancestors, so that the "
	"next process created there gets the pids after them.\n\n"
	"VECTOR is 1 to 32 comma-separated decimal last pids, innermost namespace "
	"first: 100,50,7 makes the next process pid 101 in the namespace --ns names, "
	"51 in its parent and 8 in the grandparent.\n\n"
	"With COMMAND, setlastpid then creates it as that next process, checks "
	"that it got exactly VECTOR + 1 at every level, runs it, and exits with "
	"its status. Options come before VECTOR: everything after it is COMMAND."
	"\v"
	"Exit status: 0 done, every level set; any other, no level changed: 64 "
	"bad command line; 65 VECTOR does not fit the namespace (value above "
	"pid_max, more levels than visible, not a pid namespace, a pid COMMAND "
	"needs in use); 66 --ns does not exist; 69 the kernel lacks what the "
	"method needs (NS_SET_LAST_PID_VEC for --method=ioctl, "
	"/proc/sys/kernel/ns_last_pid, clone3 set_tid for --exact) or no /proc of "
	"one's own; 71 other system error; 75 another process took one of "
	"COMMAND's pids, nothing run; 77 not permitted (read-only /proc/sys, a "
	"seccomp filter); 128+N signal N came during the set. With COMMAND: its "
	"exit status, 128+N if signal N killed it, 126 if it cannot be run, 127 "
	"if it is not found.\n\n"
	"See setlastpid(8).";

struct parse {
	struct control *ctl;
	char usage[512];	/* a usage error, told once argp_parse() returns */
};

/*
 * An argument as a one-line message may show it: cut short (VECTOR may
 * be 128 KiB long) and with control and non-ASCII bytes as \xHH.
 */
static const char *quote_short(const char *text, char buf[4 * 40 + 4])
{
	size_t out = 0;

	for (size_t in = 0; text[in] && out < 4 * 40 + 4 - 5; in++) {
		unsigned char c = (unsigned char)text[in];

		if (in == 40) {
			strcpy(buf + out, "...");
			return buf;
		}
		if (c >= 0x20 && c < 0x7f)
			buf[out++] = (char)c;
		else
			out += (size_t)snprintf(buf + out, 4 * 40 + 4 - out, "\\x%02x", c);
	}
	buf[out] = '\0';
	return buf;
}

/*
 * A usage error found while argp parses. It is told once argp_parse()
 * has returned: argp's storage is freed by then, and nothing leaks.
 */
static error_t __attribute__((format(printf, 2, 3))) usage_error(struct parse *parse,
								 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(parse->usage, sizeof(parse->usage), fmt, ap);
	va_end(ap);
	return EINVAL;
}

static error_t parse_method(struct parse *parse, const char *name)
{
	char shown[4 * 40 + 4];

	static const enum slp_method methods[] = {
		SLP_METHOD_AUTO, SLP_METHOD_IOCTL, SLP_METHOD_SYSCTL, SLP_METHOD_SPIN,
	};

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(name, slp_method_name(methods[i])) == 0) {
			parse->ctl->method = methods[i];
			return 0;
		}
	return usage_error(parse, "invalid --method '%s': give auto, ioctl, sysctl or spin",
			   quote_short(name, shown));
}

static error_t parse_max_spin(struct parse *parse, const char *text)
{
	char shown[4 * 40 + 4], *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(text, &end, 10);
	if (text[0] < '1' || text[0] > '9' || *end || errno)
		return usage_error(parse, "invalid --max-spin '%s': give a number of tasks from 1, "
				   "e.g. --max-spin=5000000 (--method=sysctl never spins)",
				   quote_short(text, shown));
	parse->ctl->max_spin = n;
	return 0;
}

static error_t parse_socket_mode(struct parse *parse, const char *text)
{
	char shown[4 * 40 + 4], *end;
	unsigned long mode;

	errno = 0;
	mode = strtoul(text, &end, 8);
	if (text[0] < '0' || text[0] > '7' || *end || errno || mode > 0777)
		return usage_error(parse, "invalid --socket-mode '%s': give octal permission bits, "
				   "e.g. 0660", quote_short(text, shown));
	parse->ctl->socket_mode = (mode_t)mode;
	return 0;
}

/* A group by number, range-checked: (gid_t)-1 means none to chown(). A name is looked up later. */
static error_t parse_socket_group(struct parse *parse, const char *text)
{
	const char *digits = text + (text[0] == '-' || text[0] == '+');
	char shown[4 * 40 + 4], *end;
	unsigned long long gid;

	parse->ctl->socket_group = text;
	if (!digits[0] || digits[strspn(digits, "0123456789")])
		return 0;
	errno = 0;
	gid = strtoull(digits, &end, 10);
	if (digits != text || errno || gid >= (gid_t)-1)
		return usage_error(parse, "invalid --socket-group '%s': give a group name, or a number "
				   "from 0 to %u", quote_short(text, shown), (unsigned int)(gid_t)-1 - 1);
	parse->ctl->socket_gid = (gid_t)gid;
	return 0;
}

static error_t parse_vector(struct parse *parse, const char *text)
{
	char why[128], shown[4 * 40 + 4];

	if (slp_vector_parse(text, &parse->ctl->vec, why, sizeof(why)) < 0)
		return usage_error(parse, "invalid VECTOR '%s': %s (give decimal pids separated by "
				   "commas, innermost first, e.g. 100,50,7)",
				   quote_short(text, shown), why);
	return 0;
}

/* After VECTOR, the rest is COMMAND and its arguments, options or not; "--" may lead. */
static void take_command(struct argp_state *state)
{
	struct control *ctl = ((struct parse *)state->input)->ctl;
	int first = state->next;

	if (first < state->argc && strcmp(state->argv[first], "--") == 0)
		first++;
	if (first < state->argc)
		ctl->command = &state->argv[first];
	state->next = state->argc;
}

/*
 * Which options exclude which, declared as util-linux's ul_excl_t: an
 * option given with one it excludes (or without what it needs: NO_*) is
 * a usage error naming both. The first rule broken is told.
 */
enum { X_NS, X_METHOD, X_SPIN, X_DRY_RUN, X_LOCK, X_EXACT, X_MAX_SPIN, X_NEW_PIDNS, X_GET, X_SERVE,
       X_CONNECT, X_SOCKET, X_NO_COMMAND, X_NO_SERVE, X_COMMAND, X_AT_LEAST, X_JSON };
#define X(option) (1u << X_##option)

static const char *const option_names[] = {
	[X_NS] = "--ns", [X_METHOD] = "--method", [X_SPIN] = "--method=spin",
	[X_DRY_RUN] = "--dry-run", [X_LOCK] = "--lock", [X_EXACT] = "--exact",
	[X_MAX_SPIN] = "--max-spin", [X_NEW_PIDNS] = "--new-pidns", [X_SERVE] = "--serve",
	[X_CONNECT] = "--connect", [X_NO_COMMAND] = "", [X_NO_SERVE] = "", [X_COMMAND] = "COMMAND",
	[X_GET] = "--get", [X_AT_LEAST] = "--at-least", [X_JSON] = "--json",
};

static const struct rule {
	unsigned int given, excludes;	/* the one excluded is named between text and more */
	const char *text, *more;
} rules[] = {
	{ X(AT_LEAST), X(EXACT) | X(NEW_PIDNS), "--at-least raises the counters, and --exact "
	  "and --new-pidns create a process: drop ", "" },
	{ X(AT_LEAST), X(COMMAND), "--at-least raises the counters and creates nothing: drop ",
	  ", and create it after, as in setlastpid --exact VECTOR -- COMMAND" },
	{ X(EXACT), X(NO_COMMAND), "--exact creates a process: give it, as in setlastpid --exact "
	  "VECTOR -- COMMAND", "" },
	{ X(EXACT), X(METHOD), "--exact sets no counter, it creates COMMAND at its pids with "
	  "clone3(): drop ", ", or drop --exact" },
	{ X(NEW_PIDNS), X(NO_COMMAND), "--new-pidns creates a process: give it, as in setlastpid "
	  "--new-pidns VECTOR -- COMMAND", "" },
	{ X(GET), X(EXACT) | X(NEW_PIDNS) | X(LOCK) | X(DRY_RUN) | X(METHOD) | X(MAX_SPIN) |
	  X(SERVE) | X(CONNECT) | X(AT_LEAST), "--get reads the counters, with --ns, --verbose and --json alone: "
	  "drop ", "" },
	{ X(SERVE), X(EXACT) | X(NEW_PIDNS) | X(LOCK) | X(DRY_RUN) | X(SPIN) | X(MAX_SPIN) |
	  X(CONNECT) | X(JSON) | X(AT_LEAST), "--serve takes --ns, --method=auto, ioctl or sysctl, --socket-mode, "
	  "--socket-group and --verbose alone: drop ", "" },
	{ X(JSON), X(CONNECT), "--json reports the levels this process sets or reads, and a "
	  "server tells none: drop --json or ", "" },
	{ X(SOCKET), X(NO_SERVE), "--socket-mode and --socket-group are for --serve: give "
	  "--serve=SOCKET, or drop them", "" },
	{ X(CONNECT), X(NS) | X(EXACT) | X(NEW_PIDNS) | X(LOCK) | X(METHOD) | X(MAX_SPIN),
	  "--connect leaves the nest and the method to the server: drop ", ", as in setlastpid "
	  "--connect=SOCKET [--dry-run] [--verbose] VECTOR [-- COMMAND]" },
};

static error_t check_exclusions(struct parse *parse)
{
	const struct control *ctl = parse->ctl;
	unsigned int clash, given =
		(ctl->ns_path ? X(NS) : 0) | (ctl->method != SLP_METHOD_AUTO ? X(METHOD) : 0) |
		(ctl->method == SLP_METHOD_SPIN ? X(SPIN) : 0) | (ctl->dry_run ? X(DRY_RUN) : 0) |
		(ctl->lock ? X(LOCK) : 0) | (ctl->exact ? X(EXACT) : 0) |
		(ctl->max_spin ? X(MAX_SPIN) : 0) | (ctl->new_pidns ? X(NEW_PIDNS) : 0) |
		(ctl->get ? X(GET) : 0) | (ctl->serve ? X(SERVE) : X(NO_SERVE)) |
		(ctl->connect ? X(CONNECT) : 0) | (ctl->command ? X(COMMAND) : X(NO_COMMAND)) |
		(ctl->at_least ? X(AT_LEAST) : 0) | (ctl->json ? X(JSON) : 0) |
		(ctl->socket_group || ctl->socket_mode != (mode_t)-1 ? X(SOCKET) : 0);

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if ((given & rules[i].given) && (clash = given & rules[i].excludes))
			return usage_error(parse, "%s%s%s", rules[i].text,
					   option_names[__builtin_ctz(clash)], rules[i].more);
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse *parse = state->input;
	struct control *ctl = parse->ctl;

	switch (key) {
	case OPT_NS:
		ctl->ns_path = arg;
		break;
	case 'm':
		return parse_method(parse, arg);
	case 'n':
		ctl->dry_run = true;
		break;
	case 'v':
		ctl->verbose = true;
		break;
	case 'J':
		ctl->json = true;
		break;
	case OPT_AT_LEAST:
		ctl->at_least = true;
		break;
	case OPT_LOCK:
		ctl->lock = true;
		break;
	case OPT_EXACT:
		ctl->exact = true;
		break;
	case OPT_MAX_SPIN:
		return parse_max_spin(parse, arg);
	case OPT_NEW_PIDNS:
		ctl->new_pidns = true;
		break;
	case OPT_GET:
		ctl->get = true;
		break;
	case OPT_SERVE:
		ctl->serve = arg;
		break;
	case OPT_CONNECT:
		ctl->connect = arg;
		break;
	case OPT_SOCKET_MODE:
		return parse_socket_mode(parse, arg);
	case OPT_SOCKET_GROUP:
		return parse_socket_group(parse, arg);
	case '?':
	case OPT_USAGE:
	case 'V':
		/* argp_state_help() says nothing under ARGP_NO_ERRS */
		if (key == 'V')
			puts(argp_program_version);
		else
			argp_help(state->root_argp, stdout, key == '?' ? ARGP_HELP_STD_HELP
				  : ARGP_HELP_USAGE, state->name);
		if (!(state->flags & ARGP_NO_EXIT))
			exit(EXIT_DONE);
		break;
	case ARGP_KEY_INIT:
		/* --help and --usage name us so, however we were run */
		state->name = PACKAGE_NAME;
		break;
	case ARGP_KEY_ARG:
		if (ctl->get)
			return usage_error(parse, "--get reads the counters, and takes no VECTOR: "
					   "give setlastpid --get [--ns PATH]");
		if (ctl->serve)
			return usage_error(parse, "--serve takes its VECTORs from its clients: "
					   "give setlastpid --serve=SOCKET [--ns PATH]");
		/* Options end at VECTOR, as nsenter's and unshare's end at COMMAND. */
		take_command(state);
		return parse_vector(parse, arg);
	case ARGP_KEY_END:
		return check_exclusions(parse);
	case ARGP_KEY_NO_ARGS:
		if (ctl->get || ctl->serve)
			break;
		return usage_error(parse, "missing VECTOR: give the last pids, innermost first, "
				   "e.g. setlastpid 100,50,7");
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * "setlastpid N", a script's hot path. An argument that starts with a
 * digit is no option to getopt: alone, argp could only make it VECTOR,
 * and a valid one is all there is to parse. Read here, it spares argp's
 * set-up, whose storage is malloc's first use (getrandom, brk, faults):
 * most of what a one-level run costs above a bare write.
 */
static bool lone_vector(const char *arg, struct control *ctl)
{
	char why[128];

	return arg[0] >= '0' && arg[0] <= '9' &&
	       slp_vector_parse(arg, &ctl->vec, why, sizeof(why)) == 0;
}

/*
 * The option named in full or by a prefix of len bytes, or by its short
 * key: NULL if none, or if a prefix names more than one (*ambiguous).
 */
static const struct argp_option *find_option(const char *name, size_t len, int key,
					     bool *ambiguous)
{
	const struct argp_option *found = NULL;
	int prefixed = 0;

	for (const struct argp_option *o = options; o->name || o->doc; o++)
		if (key ? o->key == key : o->name && strncmp(o->name, name, len) == 0) {
			if (key || strlen(o->name) == len)
				return o;
			found = o;
			prefixed++;
		}
	*ambiguous = prefixed > 1;
	return prefixed == 1 ? found : NULL;
}

#define SEE_HELP "; see " PACKAGE_NAME " --help"

/*
 * argp stopped at an option getopt refused, saying nothing
 * (ARGP_NO_ERRS): which, and why, in getopt's words, as one line. Options
 * end at "--" and at VECTOR; one may take the next argument as its own.
 */
static void option_error(struct parse *parse, int argc, char **argv)
{
	const struct argp_option *o = NULL;
	bool ambiguous = false;
	char shown[4 * 40 + 4];

	for (int i = 1; i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--"); i++) {
		const char *arg = argv[i] + 2, *c = argv[i][1] == '-' ? "" : argv[i] + 1;
		size_t len = strcspn(arg, "=");
		bool named = !*c;

		if (named && !(o = find_option(arg, len, 0, &ambiguous)))
			return (void)usage_error(parse, ambiguous ? "option '%s' is ambiguous: give "
						 "more of its name" SEE_HELP : "unrecognized option "
						 "'%s'" SEE_HELP, quote_short(argv[i], shown));
		if (named && arg[len] == '=' && !o->arg)
			return (void)usage_error(parse, "option '--%s' doesn't allow an argument"
						 SEE_HELP, o->name);
		if (named && o->arg && !arg[len] && ++i == argc)
			return (void)usage_error(parse, "option '--%s' requires an argument" SEE_HELP,
						 o->name);
		while (*c && (o = find_option("", 0, (unsigned char)*c, &ambiguous)) && !o->arg)
			c++;
		if (*c && !o)
			return (void)usage_error(parse, "invalid option -- '%s'" SEE_HELP,
						 quote_short((char[]){ *c, '\0' }, shown));
		if (*c && !c[1] && ++i == argc)
			return (void)usage_error(parse, "option requires an argument -- '%c'" SEE_HELP, *c);
	}
	usage_error(parse, "invalid command line" SEE_HELP);
}

bool parse_command_line(int argc, char **argv, struct control *ctl, unsigned int argp_flags,
			int *status)
{
	static const struct argp argp = { options, parse_opt, args_doc, doc, NULL, NULL, NULL };
	struct parse parse = { .ctl = ctl };
	error_t err;

	*ctl = (struct control){ .method = SLP_METHOD_AUTO, .socket_mode = (mode_t)-1,
				 .socket_gid = (gid_t)-1 };
	if (!(argp_flags & PARSE_NO_SHORTCUT) && argc == 2 && lone_vector(argv[1], ctl)) {
		*status = EXIT_DONE;
		return true;
	}
	/* getopt's and argp's own words are two lines: ours are one */
	err = argp_parse(&argp, argc, argv, (argp_flags & ~PARSE_NO_SHORTCUT) | ARGP_NO_ERRS |
			 ARGP_NO_HELP | ARGP_IN_ORDER, NULL, &parse);
	if (err == EINVAL && !parse.usage[0])
		option_error(&parse, argc, argv);
	if (parse.usage[0]) {
		*status = complain(EXIT_USAGE, "%s", parse.usage);
		return false;
	}
	/* what else returns is a failure of argp's own */
	if (err) {
		*status = argp_flags & ARGP_NO_EXIT ? EXIT_USAGE
						    : complain(EXIT_SYSTEM, "cannot parse the command "
							       "line: %s", strerror(err));
		return false;
	}
	*status = EXIT_DONE;
	/* nothing to do after --help or --version (ARGP_NO_EXIT) */
	return ctl->vec.nr || ctl->get || ctl->serve;
}
