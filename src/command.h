/* SPDX-License-Identifier: GPL-2.0-or-later */
/* -- COMMAND: create it as the next process of the target, at those pids. */
#ifndef SETLASTPID_COMMAND_H
#define SETLASTPID_COMMAND_H

#include <stdbool.h>

#include "levels.h"
#include "vector.h"

/* Exit statuses of their own, as util-linux and shells have them. */
enum {
	EXIT_STOLEN = 75,		/* EX_TEMPFAIL: another process took a pid */
	EXIT_CANNOT_EXEC = 126,		/* COMMAND found but not runnable */
	EXIT_NOT_FOUND = 127,		/* COMMAND not found */
	EXIT_SIGNALED = 128,		/* + the signal that killed COMMAND */
};

struct command {
	char **argv;
	const struct pid_vector *vec;	/* COMMAND must get vec + 1 at each level */
	bool exact;			/* clone3() with set_tid: the pids or nothing */
	int lock_fd;			/* --lock: released once COMMAND exists */
};

/*
 * Enter the level-0 namespace, create COMMAND there, check (or, exact,
 * have the kernel guarantee) its pids, exec it, wait for it while
 * passing on SIGINT, SIGTERM, SIGHUP and SIGQUIT, and return its exit
 * status, 128 + N if signal N killed it. Exits 75 without running it if
 * another process took one of its pids, 126 or 127 if it cannot be run.
 */
int run_command(const struct levels *levels, const struct command *cmd);

#endif
