// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: the whole command line, up to the first system call. Input
 * is NUL-separated arguments. Run it with -close_fd_mask=3: --help and
 * every message would flood the fuzzer's own output.
 */
#include "config.h"

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

#define MAX_ARGS 64

/* What a parse that returned must have made of the command line. */
static void check_control(const struct control *ctl)
{
	/* --get and --serve alone take no VECTOR */
	if ((ctl->vec.nr < 1 && !ctl->get && !ctl->serve) || ctl->vec.nr > SLP_VECTOR_MAX)
		abort();
	if ((ctl->get || ctl->serve) && (ctl->vec.nr || ctl->command || ctl->exact || ctl->new_pidns))
		abort();
	if (ctl->get && ctl->serve)
		abort();
	if (ctl->new_pidns && !ctl->command)
		abort();
	for (unsigned int i = 0; i < ctl->vec.nr; i++)
		if (ctl->vec.pid[i] < 0)
			abort();
	if (ctl->exact && (!ctl->command || ctl->method != SLP_METHOD_AUTO))
		abort();
	if (ctl->method != SLP_METHOD_AUTO && ctl->method != SLP_METHOD_IOCTL &&
	    ctl->method != SLP_METHOD_SYSCTL && ctl->method != SLP_METHOD_SPIN)
		abort();
	if (ctl->command && !ctl->command[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2] = { "setlastpid" };
	char *copy = malloc(size + 1);
	struct control ctl;
	int argc = 1, status;
	bool parsed;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *p = copy; argc <= MAX_ARGS && p <= copy + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	/* argp's own errors, --help and --version return under ARGP_NO_EXIT */
	parsed = parse_command_line(argc, argv, &ctl, ARGP_NO_EXIT, &status);
	if (parsed)
		check_control(&ctl);
	else if (status != 0 && status != 64)
		abort();	/* the command line alone can only be a usage error */
	/* A lone VECTOR read without argp is what argp makes of it. */
	if (parsed && argc == 2) {
		struct control via_argp;
		int argp_status;

		if (!parse_command_line(argc, argv, &via_argp, ARGP_NO_EXIT | PARSE_NO_SHORTCUT,
					&argp_status) ||
		    memcmp(&via_argp.vec, &ctl.vec, sizeof(ctl.vec)) != 0 ||
		    via_argp.command != ctl.command || via_argp.ns_path != ctl.ns_path ||
		    via_argp.method != ctl.method || via_argp.dry_run != ctl.dry_run ||
		    via_argp.verbose != ctl.verbose || via_argp.lock != ctl.lock ||
		    via_argp.exact != ctl.exact || via_argp.new_pidns != ctl.new_pidns ||
		    via_argp.get != ctl.get || via_argp.max_spin != ctl.max_spin)
			abort();
	}
	free(copy);
	return 0;
}
