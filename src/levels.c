// SPDX-License-Identifier: GPL-2.0-or-later
/* The pid namespaces a vector names: resolved, then checked, before any write. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "levels.h"
#include "nsfs.h"
#include "privs.h"

int open_ns_or_exit(const char *path)
{
	int fd = ns_open(path);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENXIO:	/* a socket or a FIFO with no writer */
	case ELOOP:
		fail(EXIT_MISFIT, "%s is not a namespace file: give /proc/PID/ns/pid", path);
	default:
		fail_errno(errno, "cannot open %s", path);
	}
}

void check_pid_ns_or_exit(int fd, const char *path)
{
	int type = ns_type(fd);

	if (type == CLONE_NEWPID)
		return;
	if (type >= 0)
		fail(EXIT_MISFIT, "%s is a %s namespace, not a pid namespace: give /proc/PID/ns/pid",
		     path, ns_type_name(type));
	if (errno == ENOTTY)
		fail(EXIT_MISFIT, "%s is not a namespace file: give /proc/PID/ns/pid", path);
	fail_errno(errno, "cannot tell the namespace type of %s", path);
}

static bool is_callers_pid_ns(int fd)
{
	int own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	bool same = own >= 0 && ns_same(fd, own);

	if (own >= 0)
		close(own);
	return same;
}

void resolve_levels_or_exit(struct levels *levels, int fd, const char *path,
			    unsigned int nr)
{
	unsigned int i;

	levels->path = path;
	levels->level[0].fd = fd;
	for (i = 1; i < nr; i++) {
		int parent = ns_parent(levels->level[i - 1].fd);

		if (parent >= 0) {
			levels->level[i].fd = parent;
			continue;
		}
		if (errno == EPERM)
			fail(EXIT_MISFIT,
			     "VECTOR has %u values but %s is %u level%s deep as seen from here: "
			     "give at most %u",
			     nr, path, i, i == 1 ? "" : "s", i);
		fail_errno(errno, "cannot open the parent of level %u of %s", i - 1, path);
	}
	levels->nr = nr;
	/* Only the outermost can be the caller's: those above it are hidden. */
	for (i = 0; i < nr; i++)
		levels->level[i].is_callers = i == nr - 1 && is_callers_pid_ns(levels->level[i].fd);
}

static int read_pid_max(void)
{
	char text[16];
	ssize_t len;
	int fd = open("/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_errno(errno, "cannot open /proc/sys/kernel/pid_max");
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len <= 0)
		fail(EXIT_SYSTEM, "cannot read /proc/sys/kernel/pid_max");
	text[len] = '\0';
	return atoi(text);
}

void check_range_or_exit(const struct pid_vector *vec, bool exact)
{
	int pid_max = read_pid_max();
	/* ns_last_pid takes 0..pid_max; clone3() gives pids below pid_max */
	int most = exact ? pid_max - 2 : pid_max;
	unsigned int i;

	for (i = 0; i < vec->nr; i++)
		if (vec->pid[i] > most)
			fail(EXIT_MISFIT,
			     "value %u of VECTOR, %d, is above %s (%d): give 0 to %d",
			     i + 1, vec->pid[i], exact ? "pid_max - 2, as --exact creates VECTOR + 1"
						       : "pid_max",
			     most, most);
}

bool levels_are_one_write(const struct levels *levels)
{
	return levels->nr == 1 && levels->level[0].is_callers;
}

const char *level_name(const struct levels *levels, unsigned int i)
{
	static char name[32];

	snprintf(name, sizeof(name), "pid:[%lu]",
		 (unsigned long)ns_inode(levels->level[i].fd));
	return name;
}

static void fail_denied(const struct levels *levels, unsigned int i, int owner,
			enum cap_need need)
{
	char owner_name[32] = "a user namespace above yours";

	if (owner >= 0)
		snprintf(owner_name, sizeof(owner_name), "user:[%lu]",
			 (unsigned long)ns_inode(owner));
	fail(EXIT_DENIED, "not permitted to set level %u (%s) of %s: it needs %s in %s, which owns it",
	     i, level_name(levels, i), levels->path, cap_need_name(need), owner_name);
}

/* setns() for a helper or for COMMAND; else the write or set_tid itself */
static enum cap_need need_for(const struct levels *levels, unsigned int i,
			      const struct plan *plan)
{
	if (levels->level[i].is_callers)
		return NEED_CHECKPOINT_RESTORE;
	if (plan->helpers || (i == 0 && plan->enter_target))
		return NEED_SYS_ADMIN;
	return NEED_CHECKPOINT_RESTORE;
}

/* The kernel's rule for level i walked in userspace: what it needs, or exit 77. */
static enum cap_need check_owner_or_exit(const struct levels *levels, unsigned int i,
					 const struct plan *plan)
{
	enum cap_need need = need_for(levels, i, plan);
	int owner = ns_owner(levels->level[i].fd);

	if (owner < 0 && errno != EPERM)
		fail_errno(errno, "cannot find the user namespace owning level %u of %s", i,
			   levels->path);
	if (owner < 0 || !caller_may(owner, need))
		fail_denied(levels, i, owner, need);
	close(owner);
	return need;
}

/* Every level by the rule, to name the level and what the caller lacks. */
static void check_owners_or_exit(const struct levels *levels, const struct plan *plan)
{
	bool entering = false;
	unsigned int i;

	for (i = 0; i < levels->nr; i++)
		entering |= check_owner_or_exit(levels, i, plan) == NEED_SYS_ADMIN;
	/* setns() asks for CAP_SYS_ADMIN in the caller's own user namespace too. */
	if (entering && !caller_may_here(NEED_SYS_ADMIN))
		fail(EXIT_DENIED,
		     "not permitted to enter the pid namespaces of %s: that needs CAP_SYS_ADMIN "
		     "in your own user namespace",
		     levels->path);
}

static __attribute__((noreturn)) void fail_enter(const struct levels *levels, unsigned int i,
						 const struct plan *plan, int errnum)
{
	switch (errnum) {
	case EPERM:
		check_owners_or_exit(levels, plan);
		fail(EXIT_DENIED, "not permitted to enter level %u (%s) of %s: %s", i,
		     level_name(levels, i), levels->path, strerror(errnum));
	case EINVAL:
		fail(EXIT_MISFIT,
		     "level %u (%s) of %s is not your own pid namespace or below it: "
		     "run setlastpid from a namespace that contains it",
		     i, level_name(levels, i), levels->path);
	default:
		fail_errno(errnum, "cannot enter level %u (%s) of %s", i, level_name(levels, i),
			   levels->path);
	}
}

/*
 * The sysctl method asks the kernel itself, before anything is written:
 * setns() into every level a helper is to be born in is exactly the
 * check the helpers' creation will face (and writing needs less), and
 * it changes nothing anyone sees, only where the tool's next child
 * would be born. The caller's own level it writes itself.
 */
static void check_entry_or_exit(const struct levels *levels, const struct plan *plan)
{
	unsigned int i;

	for (i = 0; i < levels->nr; i++) {
		if (levels->level[i].is_callers)
			continue;
		if (setns(levels->level[i].fd, CLONE_NEWPID) < 0)
			fail_enter(levels, i, plan, errno);
	}
	/* One level alone needs no check: the kernel takes the write or not. */
	if (levels->nr > 1 && levels->level[levels->nr - 1].is_callers)
		check_owner_or_exit(levels, levels->nr - 1, plan);
}

void check_permission_or_exit(const struct levels *levels, const struct plan *plan)
{
	if (plan->helpers)
		check_entry_or_exit(levels, plan);
	else
		check_owners_or_exit(levels, plan);
}

void explain_denial_or_exit(const struct levels *levels, const struct plan *plan)
{
	check_owners_or_exit(levels, plan);
}
