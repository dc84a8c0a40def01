// SPDX-License-Identifier: GPL-2.0-or-later
/* Exit statuses and messages: one line on stderr, one status per cause. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

static void vreport(const char *fmt, va_list ap, int errnum)
{
	fputs("setlastpid: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (errnum)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

void fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap, 0);
	va_end(ap);
	exit(status);
}

int status_of_errno(int errnum)
{
	switch (errnum) {
	case EPERM:
	case EACCES:
		return EXIT_DENIED;
	case ENOENT:
	case ENOTDIR:
		return EXIT_NO_NS;
	case EINVAL:
		return EXIT_MISFIT;
	case ENOTTY:
		return EXIT_NO_IOCTL;
	default:
		return EXIT_SYSTEM;
	}
}

void fail_errno(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap, errnum);
	va_end(ap);
	exit(status_of_errno(errnum));
}

static void close_stdout(void)
{
	/* A lost --verbose or --dry-run line must not pass as success. */
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		int errnum = errno;

		fprintf(stderr, "setlastpid: write error on standard output: %s\n",
			strerror(errnum));
		_exit(EXIT_SYSTEM);
	}
}

void close_stdout_at_exit(void)
{
	atexit(close_stdout);
}
