// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp-run: run COMMAND under a seccomp filter that makes chosen
 * system calls fail with a chosen errno, or kills the process that makes
 * them. For the fault suite: a fault that strace's counters cannot aim,
 * aimed by the call's arguments instead (one helper's write by its length,
 * fork's clone by its flags).
 *
 *   seccomp-run RULE... [--] COMMAND [ARG...]
 *
 * RULE is SYSCALL:ACTION[:COND]...
 *   ACTION  an errno, by name (EAGAIN, ENOSYS, ...) or number: the call
 *           fails with it; or "kill": the process that makes it dies
 *           (SIGSYS), and only it: a helper is a process of its own.
 *   COND    aN=V: argument N (0-5) is V; aN&M=V: argument N masked with M
 *           is V. Numbers in C syntax (0x...). All must hold.
 * The rules end at "--" or at the first argument without a colon.
 * Every other call is allowed. The filter is inherited through fork and
 * exec, and cannot be undone. Exit 125 on a usage or system error of
 * seccomp-run itself.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONDS 6

static const struct {
	const char *name;
	int errnum;
} errnos[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EINTR", EINTR }, { "EIO", EIO },
	{ "EBADF", EBADF }, { "ECHILD", ECHILD }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM },
	{ "EACCES", EACCES }, { "EFAULT", EFAULT }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST },
	{ "EINVAL", EINVAL }, { "ENFILE", ENFILE }, { "EMFILE", EMFILE }, { "ENOSPC", ENOSPC },
	{ "EROFS", EROFS }, { "ENOSYS", ENOSYS }, { "EUSERS", EUSERS }, { "ENOTTY", ENOTTY },
};

static int usage(const char *why, const char *what)
{
	fprintf(stderr, "seccomp-run: %s%s%s\n"
		"usage: seccomp-run SYSCALL:ACTION[:aN=V|:aN&M=V]... [--] COMMAND [ARG...]\n",
		why, what ? ": " : "", what ? what : "");
	return 125;
}

static bool parse_number(const char *text, unsigned long long *value)
{
	char *end;

	errno = 0;
	*value = strtoull(text, &end, 0);
	return !errno && end != text && !*end;
}

static int parse_action(const char *text, uint32_t *action)
{
	unsigned long long n;

	if (strcmp(text, "kill") == 0) {
		*action = SCMP_ACT_KILL_PROCESS;
		return 0;
	}
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(text, errnos[i].name) == 0) {
			*action = SCMP_ACT_ERRNO(errnos[i].errnum);
			return 0;
		}
	if (!parse_number(text, &n) || n == 0 || n > 4095)
		return -1;
	*action = SCMP_ACT_ERRNO((uint32_t)n);
	return 0;
}

/* aN=V or aN&M=V */
static int parse_cond(char *text, struct scmp_arg_cmp *cmp)
{
	unsigned long long arg, mask = 0, value;
	char *eq = strchr(text, '='), *amp = strchr(text, '&');

	if (text[0] != 'a' || !eq)
		return -1;
	*eq = '\0';
	if (amp && amp < eq) {
		*amp = '\0';
		if (!parse_number(amp + 1, &mask))
			return -1;
	}
	if (!parse_number(text + 1, &arg) || arg > 5 || !parse_number(eq + 1, &value))
		return -1;
	*cmp = amp && amp < eq ? (struct scmp_arg_cmp)SCMP_CMP((unsigned int)arg, SCMP_CMP_MASKED_EQ,
							       mask, value)
			       : (struct scmp_arg_cmp)SCMP_CMP((unsigned int)arg, SCMP_CMP_EQ, value);
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, char *rule)
{
	struct scmp_arg_cmp conds[MAX_CONDS];
	unsigned int n = 0;
	char *save = NULL, *name, *action_text, *cond;
	uint32_t action;
	int nr, ret;

	name = strtok_r(rule, ":", &save);
	action_text = strtok_r(NULL, ":", &save);
	if (!name || !action_text)
		return usage("a rule is SYSCALL:ACTION[:COND]...", rule);
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return usage("no such system call", name);
	if (parse_action(action_text, &action) < 0)
		return usage("not an errno or kill", action_text);
	while ((cond = strtok_r(NULL, ":", &save))) {
		if (n == MAX_CONDS || parse_cond(cond, &conds[n]) < 0)
			return usage("a condition is aN=V or aN&M=V", cond);
		n++;
	}
	ret = seccomp_rule_add_array(ctx, action, nr, n, conds);
	if (ret < 0) {
		fprintf(stderr, "seccomp-run: cannot add the rule for %s: %s\n", name, strerror(-ret));
		return 125;
	}
	return 0;
}

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	int i, rules, ret;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0 && strchr(argv[i], ':'); i++)
		;
	rules = i;
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (rules == 1 || i >= argc)
		return usage("give at least one rule and COMMAND", NULL);
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return usage("cannot make a filter", NULL);
	for (int r = 1; r < rules; r++)
		if ((ret = add_rule(ctx, argv[r])) != 0)
			return ret;
	ret = seccomp_load(ctx);
	if (ret < 0) {
		fprintf(stderr, "seccomp-run: cannot load the filter: %s\n", strerror(-ret));
		return 125;
	}
	seccomp_release(ctx);
	execvp(argv[i], &argv[i]);
	fprintf(stderr, "seccomp-run: cannot run %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
