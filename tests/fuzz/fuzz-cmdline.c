// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: the whole command line, up to the first system call. Input
 * is NUL-separated arguments. A usage error (fail()) jumps back here
 * instead of exiting: see diag-fuzz.c. Run it with -close_fd_mask=3:
 * --help and every message would flood the fuzzer's own output.
 */
#include <argp.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

extern jmp_buf fuzz_exit;
extern int fuzz_status;

#define MAX_ARGS 64

/* What a parse that returned must have made of the command line. */
static void check_control(const struct control *ctl)
{
	if (ctl->vec.nr < 1 || ctl->vec.nr > VECTOR_MAX)
		abort();
	for (unsigned int i = 0; i < ctl->vec.nr; i++)
		if (ctl->vec.pid[i] < 0)
			abort();
	if (ctl->exact && !ctl->command)
		abort();
	if ((unsigned int)ctl->method > METHOD_SYSCTL || !ctl->ns_path)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2] = { "setlastpid" };
	char *copy = malloc(size + 1);
	struct control ctl;
	int argc = 1;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *p = copy; argc <= MAX_ARGS && p <= copy + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (setjmp(fuzz_exit) == 0) {
		/* argp's own errors, --help and --version return under ARGP_NO_EXIT */
		if (parse_command_line(argc, argv, &ctl, ARGP_NO_EXIT) == 0 && ctl.vec.nr > 0)
			check_control(&ctl);
	} else if (fuzz_status != 64) {
		abort();	/* the command line alone can only be a usage error */
	}
	free(copy);
	return 0;
}
