/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pid namespaces a vector names: resolved, then checked, before any write. */
#ifndef SETLASTPID_LEVELS_H
#define SETLASTPID_LEVELS_H

#include <stdbool.h>
#include <sys/types.h>

#include "vector.h"

struct level {
	int fd;			/* the pid namespace */
	bool is_callers;	/* the caller's own: written without a helper */
};

/* levels[0] is the namespace --ns names, levels[i + 1] the parent of levels[i]. */
struct levels {
	const char *path;	/* --ns, for messages */
	unsigned int nr;
	struct level level[VECTOR_MAX];
};

/* Open --ns: exit 66 if it does not exist, 77 if not permitted, 71 else. */
int open_ns_or_exit(const char *path);

/* Exit 65 unless fd is a pid namespace file, naming what it is instead. */
void check_pid_ns_or_exit(int fd, const char *path);

/*
 * Fill levels with fd and its first nr - 1 ancestors; exit 65 if fewer
 * are visible from the caller (the kernel hides those above its own).
 */
void resolve_levels_or_exit(struct levels *levels, int fd, const char *path,
			    unsigned int nr);

/*
 * Exit 65 if a value is above pid_max; with exact, if a value + 1 (the
 * pid clone3() is to give) is not below pid_max.
 */
void check_range_or_exit(const struct pid_vector *vec, bool exact);

/* What the caller is about to do to the levels, for the permission check. */
struct plan {
	bool helpers;		/* enter every level but its own: the sysctl method */
	bool enter_target;	/* enter level 0 to create COMMAND there */
	bool set_tid;		/* clone3() set_tid instead of writing the counters */
};

/*
 * Exit 77 naming the first level the caller may not do plan to. With
 * helpers, by entering every level they are to be born in (setns()
 * changes nothing visible): the kernel's own check, made in advance.
 */
void check_permission_or_exit(const struct levels *levels, const struct plan *plan);

/* After a refusal: exit 77 naming the level and the capability, if known. */
void explain_denial_or_exit(const struct levels *levels, const struct plan *plan);

/*
 * The caller's own level alone: the sysctl method writes it directly, a
 * single write, which the kernel checks whole.
 */
bool levels_are_one_write(const struct levels *levels);

/* "pid:[4026531836]" for a level, in a static buffer. */
const char *level_name(const struct levels *levels, unsigned int i);

#endif
