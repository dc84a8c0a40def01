/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the command says: one line on stderr, and the status to exit with. */
#ifndef SETLASTPID_DIAG_H
#define SETLASTPID_DIAG_H

#include <sysexits.h>

#include "setlastpid.h"

/* The command's own statuses; the library's failures have slp_exit_status(). */
enum {
	EXIT_DONE = 0,
	EXIT_USAGE = EX_USAGE,		/* 64: the command line itself */
	EXIT_SYSTEM = EX_OSERR,		/* 71: a system error of the command's own */
	EXIT_DENIED = EX_NOPERM,	/* 77: not permitted */
};

/* Print "setlastpid: MESSAGE" on stderr; return status. */
int complain(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The library's error as the command's one line, advice and all, in buf: a server's reply too. */
char *error_line(const struct slp_error *err, char *buf, size_t size);

/* error_line() printed; return err's status. */
int complain_about(const struct slp_error *err);

/* Flush stdout at exit; a write error there is a failure (71)... */
void close_stdout_at_exit(void);

/*
 * ...until the work is done (the levels set, COMMAND run): from then on
 * it is said on stderr, and the status stays what the work's is.
 */
void stdout_reports_done_work(void);

/*
 * A failure's report (--json) goes to stdout: lost, it is said, and the
 * status stays the failure's. No death by SIGPIPE either.
 */
void stdout_reports_failure(void);

/* About to report work done (stdout_reports_done_work()): no death by SIGPIPE. */
void report_done_work(void);

/* fflush(stdout), a failure's errno kept for the message at exit. */
void flush_stdout(void);

#endif
