// SPDX-License-Identifier: GPL-2.0-or-later
/* diag.c for the fuzzers: a failure jumps back to the harness, no exit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>

#include "diag.h"

jmp_buf fuzz_exit;
int fuzz_status;

void fail(int status, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);	/* format it all, as the real one does */
	va_end(ap);
	fuzz_status = status;
	longjmp(fuzz_exit, 1);
}

int status_of_errno(int errnum)
{
	return errnum ? EXIT_SYSTEM : EXIT_DONE;
}

void fail_errno(int errnum, const char *fmt, ...)
{
	(void)fmt;
	fuzz_status = status_of_errno(errnum);
	longjmp(fuzz_exit, 1);
}

void close_stdout_at_exit(void)
{
}
