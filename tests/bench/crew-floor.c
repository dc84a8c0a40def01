// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * crew-floor: what a crew of helpers costs at its barest, for the
 * command's depth-32 run to be measured against its own method. One
 * helper per level, each born in its level (setns() of the caller's
 * pid_for_children, then a clone() sharing memory and files), innermost
 * first, so that none is born after its level is written; each reads
 * its level's ns_last_pid, writes the value, and waits for the verdict,
 * all or nothing as setlastpid's crew: once every level is written, the
 * word is given to all at once, and each ends; had one failed, each
 * would put its level back first. No checks, no messages.
 *
 *   crew-floor VECTOR NS_FILE...
 *
 * NS_FILEs are the levels' pid namespace files, innermost first, one per
 * value of VECTOR (comma-separated). Exit 0 if every level was written.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LEVELS 32
#define STACK (64 * 1024)

struct helper {
	char text[16], old[16];
	int len, old_len, fd;
	int ok;
};

static struct helper helpers[MAX_LEVELS];
static int done, verdict;	/* done: helpers written; verdict: 1 keep, 2 undo */
static char stacks[MAX_LEVELS][STACK] __attribute__((aligned(16)));

static void futex_wait(int *word, int val)
{
	syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake(int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, MAX_LEVELS, NULL, NULL, 0);
}

static int helper(void *arg)
{
	struct helper *h = arg;
	int v;

	h->fd = open("/proc/sys/kernel/ns_last_pid", O_RDWR | O_CLOEXEC);
	h->old_len = h->fd < 0 ? -1 : (int)pread(h->fd, h->old, sizeof(h->old), 0);
	h->ok = h->old_len > 0 && pwrite(h->fd, h->text, (size_t)h->len, 0) == h->len;
	__atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
	futex_wake(&done);
	while ((v = __atomic_load_n(&verdict, __ATOMIC_ACQUIRE)) == 0)
		futex_wait(&verdict, 0);
	if (v == 2 && h->ok)
		(void)!pwrite(h->fd, h->old, (size_t)h->old_len, 0);
	return 0;
}

int main(int argc, char **argv)
{
	int nr = argc - 2, back, seen, all_ok = 1;
	char *values, *value, *save = NULL;
	pid_t pids[MAX_LEVELS];

	if (nr < 1 || nr > MAX_LEVELS) {
		fprintf(stderr, "usage: crew-floor VECTOR NS_FILE...\n");
		return 2;
	}
	values = strdup(argv[1]);
	value = strtok_r(values, ",", &save);
	for (int i = 0; i < nr; i++, value = strtok_r(NULL, ",", &save)) {
		if (!value)
			return 2;
		helpers[i].len = snprintf(helpers[i].text, sizeof(helpers[i].text), "%s", value);
	}
	back = open("/proc/thread-self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < nr; i++) {
		int fd = open(argv[2 + i], O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWPID) < 0) {
			perror(argv[2 + i]);
			return 1;
		}
		close(fd);
		pids[i] = clone(helper, stacks[i] + STACK, CLONE_VM | CLONE_FILES | SIGCHLD, &helpers[i]);
		if (pids[i] < 0) {
			perror("clone");
			return 1;
		}
	}
	if (setns(back, CLONE_NEWPID) < 0)
		return 1;
	while ((seen = __atomic_load_n(&done, __ATOMIC_ACQUIRE)) < nr)
		futex_wait(&done, seen);
	for (int i = 0; i < nr; i++)
		all_ok &= helpers[i].ok;
	__atomic_store_n(&verdict, all_ok ? 1 : 2, __ATOMIC_RELEASE);
	futex_wake(&verdict);
	for (int i = 0; i < nr; i++)
		waitpid(pids[i], NULL, 0);
	return all_ok ? 0 : 1;
}
