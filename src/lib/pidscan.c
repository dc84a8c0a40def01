// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The pids in use at the levels of a target, as /proc shows them: every
 * task (threads hold pids too) whose pid namespace is a level or below
 * one, with its pid at that level and each above, from its NSpid.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define NSPID_MAX (SLP_VECTOR_MAX + 3)

struct scan {
	struct slp_target *target;
	unsigned int nr;
	void (*fn)(void *arg, unsigned int level, pid_t pid);
	void *arg;
	/* pid namespaces seen: the level they are or are below (-1: none), and how far */
	struct seen {
		ino_t ino;
		int level, depth;
	} seen[64];
	unsigned int nseen;
};

/* The level the pid namespace of a task is, or is depth below; -1 if none. Walked once. */
static int level_of(struct scan *scan, int dir_fd, const char *path, int *depth)
{
	struct stat st;
	int ns, parent, level = -1, below;

	if (fstatat(dir_fd, path, &st, 0) < 0)
		return -1;
	for (unsigned int i = 0; i < scan->nseen; i++)
		if (scan->seen[i].ino == st.st_ino)
			return *depth = scan->seen[i].depth, scan->seen[i].level;
	ns = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
	for (below = 0; ns >= 0 && level < 0 && below <= SLP_VECTOR_MAX; below++) {
		for (unsigned int j = 0; j < scan->nr && level < 0; j++)
			if (ns_same(ns, scan->target->level[j].fd))
				level = (int)j;
		parent = level < 0 ? ns_parent(ns) : -1;
		close(ns);
		ns = parent;
	}
	if (ns >= 0)
		close(ns);
	*depth = below - 1;
	if (scan->nseen < sizeof(scan->seen) / sizeof(scan->seen[0]))
		scan->seen[scan->nseen++] = (struct seen){ st.st_ino, level, *depth };
	return level;
}

/*
 * One task: its pid at each level it has one in, and its process group's
 * and session's, which hold their pids too as long as one member lives.
 */
static void scan_task(struct scan *scan, int dir_fd, const char *name)
{
	static const char *const fields[] = { "\nNSpid:", "\nNSpgid:", "\nNSsid:" };
	char path[NAME_MAX + 16], status[4096];	/* a /proc entry name and a suffix */
	pid_t ids[NSPID_MAX];
	int level, depth, n;

	snprintf(path, sizeof(path), "%s/ns/pid", name);
	level = level_of(scan, dir_fd, path, &depth);
	snprintf(path, sizeof(path), "%s/status", name);
	if (level < 0 || read_status(dir_fd, path, status, sizeof(status)) <= 0)
		return;
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		n = status_ids(status, fields[f], ids, NSPID_MAX);
		/* ids[n - 1] is in its own namespace, depth levels below `level`; 0: none there */
		for (int j = level, at = n - 1 - depth; n > 0 && j < (int)scan->nr && at >= 0; j++, at--)
			if (ids[at] > 0)
				scan->fn(scan->arg, (unsigned int)j, ids[at]);
	}
}

/* A process's threads, itself among them. */
static void scan_process(struct scan *scan, int proc_fd, const char *pid)
{
	char path[NAME_MAX + 16];
	struct dirent *entry;
	DIR *tasks;
	int fd;

	snprintf(path, sizeof(path), "%s/task", pid);
	fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(tasks = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((entry = readdir(tasks)))
		if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9')
			scan_task(scan, dirfd(tasks), entry->d_name);
	closedir(tasks);
}

int scan_pids(struct slp_target *target, unsigned int nr,
	      void (*fn)(void *arg, unsigned int level, pid_t pid), void *arg,
	      struct slp_error *err)
{
	struct scan scan = { .target = target, .nr = nr, .fn = fn, .arg = arg };
	struct dirent *entry;
	DIR *proc = opendir("/proc");

	if (!proc)
		return fail_sys(err, errno, "read", "/proc");
	while ((entry = readdir(proc)))
		if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9')
			scan_process(&scan, dirfd(proc), entry->d_name);
	closedir(proc);
	return 0;
}

/* The first level where the pid wanted is in use. */
struct in_use {
	const struct slp_vector *vec;
	unsigned int first;
};

static void note_in_use(void *arg, unsigned int level, pid_t pid)
{
	struct in_use *in_use = arg;

	if (level < in_use->first && pid == in_use->vec->pid[level] + 1)
		in_use->first = level;
}

unsigned int find_level_in_use(struct slp_target *target, const struct slp_vector *vec)
{
	struct in_use in_use = { .vec = vec, .first = vec->nr };
	struct slp_error ignored;

	(void)scan_pids(target, vec->nr, note_in_use, &in_use, &ignored);
	return in_use.first;
}
