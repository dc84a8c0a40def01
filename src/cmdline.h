/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line: argp options, VECTOR and COMMAND, into one control struct. */
#ifndef SETLASTPID_CMDLINE_H
#define SETLASTPID_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "setlastpid.h"

struct control {
	const char *ns_path;	/* NULL: the caller's own pid namespace */
	enum slp_method method;
	bool dry_run;
	bool verbose;
	bool lock;
	bool exact;
	bool new_pidns;		/* COMMAND is pid 1 of a new pid namespace */
	bool get;		/* read the counters back, set nothing */
	bool at_least;		/* a floor: raise each level to its value, never lower one */
	bool json;		/* the report (or failure) as one JSON document on stdout */
	const char *serve;	/* --serve: the socket; NULL: no server */
	const char *connect;	/* --connect: the server's socket; NULL: none */
	mode_t socket_mode;	/* (mode_t)-1: 0600 */
	const char *socket_group;
	gid_t socket_gid;	/* --socket-group as a number; (gid_t)-1: a name, or none */
	uint64_t max_spin;	/* --max-spin; 0: the library's default */
	struct slp_vector vec;
	char **command;		/* NULL: only set the counters */
};

/* For the fuzzer: take even a lone VECTOR through argp, to compare. */
#define PARSE_NO_SHORTCUT 0x40000000u

/*
 * Fill ctl from the command line and return true; or return false with
 * the status to exit with in *status, having said why (64) or printed
 * --help, --usage or --version (0). argp_flags go to argp_parse(): the
 * fuzzer passes ARGP_NO_EXIT to stay alive.
 */
bool parse_command_line(int argc, char **argv, struct control *ctl, unsigned int argp_flags,
			int *status);

#endif
