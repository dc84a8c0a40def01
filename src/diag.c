// SPDX-License-Identifier: GPL-2.0-or-later
/* What the command says: one line on stderr, and the status to exit with. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio_ext.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

int complain(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("setlastpid: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int complain_about(const struct slp_error *err)
{
	char text[1024];

	return complain(slp_exit_status(err), "%s", slp_strerror(err, text, sizeof(text)));
}

/* Once the work is done, a lost report is said, and the status stays. */
static bool work_done;
/* why a flush before exit failed, for the message at exit */
static int flush_errno;

void stdout_reports_done_work(void)
{
	work_done = true;
}

void report_done_work(void)
{
	/*
	 * A reader gone is a lost report, not a reason to die of SIGPIPE
	 * with every level set. COMMAND, created by now, is not touched:
	 * its signal dispositions were copied when it was.
	 */
	signal(SIGPIPE, SIG_IGN);
}

void flush_stdout(void)
{
	if (fflush(stdout) != 0 && !flush_errno)
		flush_errno = errno;
}

/*
 * A lost --verbose or --dry-run line must not pass unseen. As gnulib's
 * close_stdout: a stdout closed by the caller, with nothing to write to
 * it, is no error.
 */
static void close_stdout(void)
{
	bool pending = __fpending(stdout) != 0, failed = ferror(stdout) != 0;
	int errnum = fclose(stdout) == 0 ? 0 : errno;

	if (failed && !errnum)
		errnum = flush_errno;

	if (!failed && (errnum == 0 || (errnum == EBADF && !pending)))
		return;
	fprintf(stderr, "setlastpid: write error on standard output%s%s%s\n", errnum ? ": " : "",
		errnum ? strerror(errnum) : "", work_done ? "; the work itself is done" : "");
	if (!work_done)
		_exit(EXIT_SYSTEM);
}

void close_stdout_at_exit(void)
{
	atexit(close_stdout);
}
