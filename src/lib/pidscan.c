// SPDX-License-Identifier: LGPL-2.1-or-later
/* Which level holds a pid: the error path of SLP_EXACT. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

#define NSPID_MAX (SLP_VECTOR_MAX + 2)

/*
 * How many levels below target->level[*level] the pid namespace of /proc/PID
 * is, walking up from it until one of ours; -1 if none is above it.
 */
static int depth_below_levels(int proc_fd, const char *pid, const struct slp_target *target,
			      unsigned int *level)
{
	char path[NAME_MAX + 16];	/* a /proc entry name and a suffix */
	int ns, parent, depth;

	snprintf(path, sizeof(path), "%s/ns/pid", pid);
	ns = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	for (depth = 0; ns >= 0 && depth < NSPID_MAX; depth++) {
		for (unsigned int j = 0; j < target->nr; j++) {
			if (ns_same(ns, target->level[j].fd)) {
				close(ns);
				*level = j;
				return depth;
			}
		}
		parent = ns_parent(ns);
		close(ns);
		ns = parent;
	}
	if (ns >= 0)
		close(ns);
	return -1;
}

/* The first level where the process /proc/PID has the pid we want. */
static unsigned int level_held_by(int proc_fd, const char *pid, const struct slp_target *target,
				  const struct slp_vector *vec)
{
	pid_t nspid[NSPID_MAX];
	char path[NAME_MAX + 16];	/* a /proc entry name and a suffix */
	unsigned int top;
	int n;

	snprintf(path, sizeof(path), "%s/status", pid);
	n = nspid_read(proc_fd, path, nspid, NSPID_MAX);
	int depth = n > 0 ? depth_below_levels(proc_fd, pid, target, &top) : -1;
	if (depth < 0)
		return vec->nr;
	/* nspid[n - 1] is its pid in its own namespace, depth levels below top */
	for (unsigned int i = top; i < vec->nr; i++) {
		int at = n - 1 - depth - (int)(i - top);

		if (at < 0)
			break;
		if (nspid[at] == vec->pid[i] + 1)
			return i;
	}
	return vec->nr;
}

unsigned int find_level_in_use(const struct slp_target *target, const struct slp_vector *vec)
{
	unsigned int found = vec->nr;
	struct dirent *entry;
	DIR *proc = opendir("/proc");

	if (!proc)
		return found;
	while ((entry = readdir(proc))) {
		if (!isdigit((unsigned char)entry->d_name[0]))
			continue;
		unsigned int level = level_held_by(dirfd(proc), entry->d_name, target, vec);

		if (level < found)
			found = level;
	}
	closedir(proc);
	return found;
}
