/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Exit statuses and messages: one line on stderr, one status per cause. */
#ifndef SETLASTPID_DIAG_H
#define SETLASTPID_DIAG_H

#include <sysexits.h>

/* The documented exit statuses (sysexits.h, as argp uses 64). */
enum {
	EXIT_DONE = 0,
	EXIT_USAGE = EX_USAGE,		/* 64: the command line itself */
	EXIT_MISFIT = EX_DATAERR,	/* 65: VECTOR does not fit the target */
	EXIT_NO_NS = EX_NOINPUT,	/* 66: --ns does not exist */
	EXIT_NO_IOCTL = EX_UNAVAILABLE,	/* 69: the kernel lacks the ioctl */
	EXIT_SYSTEM = EX_OSERR,		/* 71: any other system error */
	EXIT_DENIED = EX_NOPERM,	/* 77: not permitted */
};

/* Print "setlastpid: MESSAGE" on stderr and exit with status. */
void fail(int status, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* The exit status for a system call that failed with errnum. */
int status_of_errno(int errnum);

/* fail() with status_of_errno(errnum) and ": strerror(errnum)" appended. */
void fail_errno(int errnum, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* Flush stdout at exit; a write error there is a failure (71). */
void close_stdout_at_exit(void);

#endif
