// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of libsetlastpid's errors, in TAP, without privilege: every
 * code has one line of text and its status; bad arguments are refused
 * before anything is done; no call leaves a descriptor open.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "setlastpid.h"
#include "open-fds.h"

static int test_number;
static int failures;

static void ok(int passed, const char *what)
{
	printf("%sok %d - %s\n", passed ? "" : "not ", ++test_number, what);
	failures += !passed;
}

/* text of err is exactly want */
static void says(const struct slp_error *err, const char *want, const char *what)
{
	char text[512];

	slp_strerror(err, text, sizeof(text));
	ok(strcmp(text, want) == 0, what);
	if (strcmp(text, want) != 0)
		printf("# got  '%s'\n# want '%s'\n", text, want);
}

static void test_statuses(void)
{
	static const struct {
		enum slp_code code;
		int status;
	} table[] = {
		{ SLP_OK, 0 }, { SLP_E_INVALID, 64 }, { SLP_E_SYSTEM, 71 },
		{ SLP_E_TARGET_MISSING, 66 }, { SLP_E_NOT_PIDNS, 65 }, { SLP_E_TOO_DEEP, 65 },
		{ SLP_E_OUTSIDE, 65 }, { SLP_E_RANGE, 65 }, { SLP_E_REFUSED, 65 },
		{ SLP_E_PID_IN_USE, 65 }, { SLP_E_DENIED, 77 }, { SLP_E_NO_IOCTL, 69 },
		{ SLP_E_NO_SYSCTL, 69 }, { SLP_E_NO_CLONE3, 69 }, { SLP_E_STOLEN, 75 },
		{ SLP_E_EXEC, 126 }, { SLP_E_MASKED, 77 },
	};
	int all = 1, one_line = 1;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct slp_error err = { .code = table[i].code, .level = -1, .errnum = EPERM };
		char text[512];

		all &= slp_exit_status(&err) == table[i].status;
		slp_strerror(&err, text, sizeof(text));
		one_line &= text[0] != '\0' && !strchr(text, '\n');
	}
	ok(all, "every code has its documented exit status");
	ok(one_line, "every code has one line of text");
	ok(slp_exit_status(&(struct slp_error){ .code = SLP_E_EXEC, .errnum = ENOENT }) == 127,
	   "COMMAND not found: 127");
	ok(slp_exit_status(&(struct slp_error){ .code = SLP_E_INTERRUPTED, .signal = 2 }) == 130,
	   "interrupted by signal 2: 130, as a shell tells it");
}

static void test_texts(void)
{
	struct slp_error err = {
		.code = SLP_E_DENIED, .level = 2, .level_ino = 4026531836, .target = "/proc/42/ns/pid",
		.cap = SLP_CAP_SYS_ADMIN, .owner_ino = 4026531837,
	};
	char small[16];

	says(&err, "not permitted to set level 2 (pid:[4026531836]) of /proc/42/ns/pid: it needs "
		   "CAP_SYS_ADMIN in user:[4026531837], which owns it", "denied: level, capability, owner");
	err.owner_ino = 0;
	err.cap = SLP_CAP_SYS_ADMIN_OR_CHECKPOINT_RESTORE;
	says(&err, "not permitted to set level 2 (pid:[4026531836]) of /proc/42/ns/pid: it needs "
		   "CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE in a user namespace above yours, which "
		   "owns it", "denied: an owner above the caller's");
	err = (struct slp_error){ .code = SLP_E_REFUSED, .level = 0, .level_ino = 7,
				  .target = "T", .call = "write", .errnum = EINVAL,
				  .undo = SLP_UNDO_DONE };
	says(&err, "cannot set level 0 (pid:[7]) of T: write failed: Invalid argument; the levels "
		   "written were put back", "a refused write, undone");
	err.undo = SLP_UNDO_FAILED;
	says(&err, "cannot set level 0 (pid:[7]) of T: write failed: Invalid argument; the levels "
		   "written may not have been put back", "a refused write, not undone");
	err = (struct slp_error){ .code = SLP_E_INTERRUPTED, .level = -1, .signal = SIGTERM,
				  .target = "T", .undo = SLP_UNDO_DONE };
	says(&err, "interrupted by SIGTERM while setting T; the levels written were put back",
	     "interrupted, undone");
	err = (struct slp_error){ .code = SLP_E_PID_IN_USE, .level = 0, .level_ino = 7, .target = "T",
				  .value = 1, .file = "restored" };
	says(&err, "cannot create restored: pid 1 is in use in level 0 (pid:[7]) of T; nothing was run",
	     "a pid in use: the command by its name");
	err = (struct slp_error){ .code = SLP_E_RANGE, .level = 1, .value = 40000, .limit = 32768,
				  .pid_max = 32768, .hint = SLP_HINT_LOWER };
	says(&err, "value 2 of the vector, 40000, is above pid_max (32768)", "range: no advice");
	err.limit = 32766;
	says(&err, "value 2 of the vector, 40000, is above pid_max - 2 (32766): the process created "
		   "gets the value + 1, which must be below pid_max (32768)",
	     "range with a process to create: the wrap at pid_max");
	err = (struct slp_error){ .code = SLP_E_NOT_PIDNS, .level = -1, .file = "F",
				  .ns_type = CLONE_NEWIPC };
	says(&err, "F is an ipc namespace, not a pid namespace", "an ipc namespace, in good English");
	err = (struct slp_error){ .code = SLP_E_SYSTEM, .level = -1, .call = "open",
				  .file = "/proc/sys/kernel/pid_max", .errnum = EMFILE };
	says(&err, "cannot open /proc/sys/kernel/pid_max: Too many open files", "a system error");
	slp_strerror(&err, small, sizeof(small));
	ok(strcmp(small, "cannot open /pr") == 0, "a short buffer is cut, never overrun");
	ok(slp_strerror(&err, small, 0) == small, "a buffer of no size is left alone");
}

static void test_bad_arguments(void)
{
	struct slp_vector vec = { .nr = 1, .pid = { 100 } };
	struct slp_options opts = { .method = SLP_METHOD_SYSCTL, .flags = 1u << 20 };
	struct slp_error err;
	char *argv[] = { "true", NULL };
	pid_t pid = 42;

	vec.nr = 0;
	ok(slp_set(NULL, &vec, NULL, NULL, &err) == -1 && err.code == SLP_E_INVALID,
	   "a vector of no values is refused");
	vec.nr = 33;
	ok(slp_set(NULL, &vec, NULL, NULL, &err) == -1 && err.code == SLP_E_INVALID,
	   "a vector of 33 values is refused");
	vec.nr = 1;
	vec.pid[0] = -1;
	ok(slp_set(NULL, &vec, NULL, NULL, &err) == -1 && err.code == SLP_E_INVALID,
	   "a negative value is refused");
	says(&err, "invalid argument: a value of the vector is negative",
	     "a negative value: the text says so, not its opposite");
	vec.pid[0] = 100;
	ok(slp_set(NULL, &vec, &opts, NULL, &err) == -1 && err.code == SLP_E_INVALID,
	   "unknown flags are refused");
	ok(slp_set(NULL, NULL, NULL, NULL, NULL) == -1, "no vector and no error: -1, no crash");
	opts = (struct slp_options){ .flags = SLP_EXACT };
	ok(slp_set(NULL, &vec, &opts, NULL, &err) == -1 && err.code == SLP_E_INVALID,
	   "SLP_EXACT without a process to create is refused");
	ok(slp_spawn(NULL, &vec, NULL, NULL, NULL, &pid, NULL, &err) == -1 &&
		   err.code == SLP_E_INVALID && pid == 42,
	   "no COMMAND is refused");
	ok(slp_spawn(NULL, &vec, NULL, argv, NULL, NULL, NULL, &err) == -1 &&
		   err.code == SLP_E_INVALID,
	   "nowhere to put the pid is refused");
}

static void test_targets(void)
{
	struct slp_target *target = (struct slp_target *)1;
	struct slp_error err;
	int before = open_fds();

	ok(slp_target_open(&target, "/nonexistent/ns/pid", &err) == -1 && !target &&
		   err.code == SLP_E_TARGET_MISSING && slp_exit_status(&err) == 66,
	   "a missing target: 66");
	ok(slp_target_open(&target, "/etc/passwd", &err) == -1 && err.code == SLP_E_NOT_PIDNS &&
		   err.ns_type == 0,
	   "a file that is no namespace: 65");
	ok(slp_target_open(&target, "/proc/self/ns/net", &err) == -1 &&
		   err.code == SLP_E_NOT_PIDNS && err.ns_type != 0,
	   "a namespace of another type: 65, and its type");
	ok(slp_target_open_fd(&target, 1000000, "fd", &err) == -1 && err.code == SLP_E_SYSTEM &&
		   err.errnum == EBADF,
	   "a descriptor that is not open: 71, EBADF");
	ok(slp_target_open(&target, "/proc/self/ns/pid", &err) == 0 && target, "our own namespace");
	slp_target_free(target);
	slp_target_free(NULL);
	ok(open_fds() == before, "no descriptor left open");
}

int main(void)
{
	test_statuses();
	test_texts();
	test_bad_arguments();
	test_targets();
	printf("1..%d\n", test_number);
	return failures ? 1 : 0;
}
