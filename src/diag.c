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

/*
 * What might help, as the library hints it, in the command's terms: its
 * options, and the runtimes'. The error's limit follows "give ... ".
 */
static const char *const advice[] = {
	[SLP_HINT_RETRY] = "; try again",
	[SLP_HINT_SERIALIZE] = "; try again (--exact or --lock prevent this)",
	[SLP_HINT_EXACT] = "; try again (the other restorer does not take --lock; --exact "
			   "prevents this)",
	[SLP_HINT_LOCK] = "; try again (--lock prevents this among restorers that take it)",
	[SLP_HINT_NO_EXACT] = ": drop --exact (the counters need no clone3())",
	[SLP_HINT_SYSCTL] = "; --method=auto or --method=sysctl set the same counters through "
			    "ns_last_pid",
	[SLP_HINT_LOWER] = ": give 0 to ",
	[SLP_HINT_FEWER] = ": give at most ",
	[SLP_HINT_PIDNS_FILE] = ": give /proc/PID/ns/pid",
	[SLP_HINT_OUTER] = ": run setlastpid from a namespace that contains it",
	[SLP_HINT_ORDER] = ": restore in descending order, or run setlastpid from the parent "
			   "namespace",
	[SLP_HINT_UNMASK] = ": run the container with /proc/sys writable (--security-opt "
			    "unmask=/proc/sys in Podman, systempaths=unconfined in Docker) and "
			    "CAP_CHECKPOINT_RESTORE, or give setlastpid CAP_SYS_ADMIN to write behind "
			    "it",
	[SLP_HINT_NO_MASK] = ": run without that mask (--security-opt mask=... makes one)",
	[SLP_HINT_PROC] = ": run setlastpid where /proc is its own pid namespace's or an "
			  "ancestor's (mount -t proc proc /proc)",
	[SLP_HINT_PRIVILEGE] = ": setting more levels, or another namespace's, needs the "
			       "privilege to write ns_last_pid there",
	[SLP_HINT_MAX_SPIN] = ": raise --max-spin, or lower pid_max in the namespace to shorten "
			      "a wrap",
	[SLP_HINT_EARLIER] = ": run setlastpid from the parent namespace, or before the counter "
			     "gets there",
};

/*
 * The library's line, what might help, then whether the levels written
 * were put back: that sentence, the library's last, stays last.
 */
char *error_line(const struct slp_error *err, char *buf, size_t size)
{
	const char *more = err->hint < sizeof(advice) / sizeof(advice[0]) ? advice[err->hint] : NULL;
	struct slp_error bare = *err;
	char text[1024], full[1024], hint[512] = "";
	size_t len;

	bare.undo = SLP_UNDO_NONE;
	len = strlen(slp_strerror(&bare, text, sizeof(text)));
	slp_strerror(err, full, sizeof(full));
	if (strncmp(full, text, len) != 0)
		len = strlen(strcpy(text, full));
	if (more)
		snprintf(hint, sizeof(hint), "%s", more);
	if (err->hint == SLP_HINT_LOWER || err->hint == SLP_HINT_FEWER)
		snprintf(hint, sizeof(hint), "%s%lld", more, (long long)err->limit);
	if (err->code == SLP_E_FILTERED && err->hint == SLP_HINT_NO_EXACT)
		snprintf(hint, sizeof(hint), ": drop --exact, or run the container with a seccomp "
			 "profile that allows clone3() (CAP_SYS_ADMIN does, in Docker's)");
	snprintf(buf, size, "%s%s%s", text, hint, full + len);
	return buf;
}

int complain_about(const struct slp_error *err)
{
	char line[1024];

	return complain(slp_exit_status(err), "%s", error_line(err, line, sizeof(line)));
}

/* Once the work is done, or has failed, a lost report is said, and the status stays. */
static bool work_done, failure_told;
/* why a flush before exit failed, for the message at exit */
static int flush_errno;

void stdout_reports_done_work(void)
{
	work_done = true;
}

void stdout_reports_failure(void)
{
	failure_told = true;
	report_done_work();
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
		errnum ? strerror(errnum) : "", work_done ? "; the work itself is done"
				 : failure_told ? "; the failure's document is lost" : "");
	if (!work_done && !failure_told)
		_exit(EXIT_SYSTEM);
}

void close_stdout_at_exit(void)
{
	atexit(close_stdout);
}
