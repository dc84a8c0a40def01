/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line: argp options, VECTOR and COMMAND, into one control struct. */
#ifndef SETLASTPID_CMDLINE_H
#define SETLASTPID_CMDLINE_H

#include <stdbool.h>

#include "vector.h"

enum method { METHOD_AUTO, METHOD_IOCTL, METHOD_SYSCTL };

struct control {
	const char *ns_path;
	bool own_ns;		/* no --ns: the caller's own pid namespace */
	enum method method;
	bool dry_run;
	bool verbose;
	bool lock;
	bool exact;
	struct pid_vector vec;
	char **command;		/* NULL: only set the counters */
};

/* "auto", "ioctl", "sysctl" */
const char *method_name(enum method method);

/*
 * Fill ctl from the command line, or exit 64 with one line naming the
 * fault (--help, --usage and --version exit 0). argp_flags go to
 * argp_parse(): the fuzzer passes ARGP_NO_EXIT to stay alive, and then
 * gets argp's error back instead of the exit.
 */
int parse_command_line(int argc, char **argv, struct control *ctl, unsigned int argp_flags);

#endif
