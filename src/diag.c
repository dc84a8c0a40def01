// SPDX-License-Identifier: GPL-2.0-or-later
/* What the command says: one line on stderr, and the status to exit with. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
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
