// SPDX-License-Identifier: LGPL-2.1-or-later
/* A target: a pid namespace file, opened, checked, and its levels resolved. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* A level's inode, asked for only where a level is named or compared. */
static void stat_level(struct level *level)
{
	struct stat st;

	if (level->ino == 0 && fstat(level->fd, &st) == 0) {
		level->dev = st.st_dev;
		level->ino = st.st_ino;
	}
}

uint64_t target_level_ino(struct slp_target *target, unsigned int i)
{
	if (i >= target->nr)
		return 0;
	stat_level(&target->level[i]);
	return target->level[i].ino;
}

int fail_at(struct slp_error *err, struct slp_target *target, unsigned int i)
{
	struct stat st;

	err->level = (int)i;
	err->target = target ? target->name : OWN_PID_NS;
	err->level_ino = target ? target_level_ino(target, i)
		       : stat(OWN_PID_NS, &st) == 0 ? st.st_ino : 0;
	return -1;
}

int fail_entering(struct slp_error *err, struct slp_target *target, unsigned int i, int errnum)
{
	if (errnum == EINVAL) {
		fail_code(err, SLP_E_OUTSIDE, 0, NULL, NULL);
		err->hint = SLP_HINT_OUTER;
	} else {
		fail_code(err, errnum == EPERM ? SLP_E_DENIED : SLP_E_SYSTEM, errnum, "enter", NULL);
	}
	return fail_at(err, target, i);
}

static int open_failed(struct slp_error *err, const char *path, int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
		return fail_code(err, SLP_E_TARGET_MISSING, errnum, "open", path);
	case ENXIO:	/* a socket, or a FIFO with no writer */
	case ELOOP:
		err->hint = SLP_HINT_PIDNS_FILE;
		return fail_code(err, SLP_E_NOT_PIDNS, 0, NULL, path);
	case EACCES:
	case EPERM:
		return fail_code(err, SLP_E_DENIED, errnum, "open", path);
	default:
		return fail_sys(err, errnum, "open", path);
	}
}

/* Is fd a pid namespace file? */
static int check_pid_ns(int fd, const char *name, struct slp_error *err)
{
	int type = ns_type(fd);

	if (type == CLONE_NEWPID)
		return 0;
	if (type >= 0 || errno == ENOTTY) {
		fail_code(err, SLP_E_NOT_PIDNS, 0, NULL, name);
		err->ns_type = type >= 0 ? type : 0;
		err->hint = SLP_HINT_PIDNS_FILE;
		return -1;
	}
	return fail_sys(err, errno, "tell the namespace type of", name);
}

/* Take fd, if it is a pid namespace file, into a new target; closed if not. */
static int adopt(struct slp_target **out, int fd, const char *name, struct slp_error *err)
{
	struct slp_target *target = NULL;
	struct stat own;

	if (check_pid_ns(fd, name, err) < 0) {
		close(fd);
		return -1;
	}
	target = calloc(1, sizeof(*target));
	if (target)
		target->name = strdup(name);
	if (!target || !target->name) {
		free(target);
		close(fd);
		return fail_sys(err, ENOMEM, "allocate memory for", name);
	}
	target->level[0] = (struct level){ .fd = fd };
	target->nr = 1;
	/*
	 * The caller's own level is written without a helper: which it is,
	 * /proc/self tells. With no /proc at all, none is (the ioctl needs
	 * none); a /proc where this process has no pid would mislead.
	 */
	if (stat(OWN_PID_NS, &own) == 0) {
		target->own_dev = own.st_dev;
		target->own_ino = own.st_ino;
	} else if (errno == ENOENT && proc_fail_missing(OWN_PID_NS, err) < 0 &&
		   err->code == SLP_E_FOREIGN_PROC) {
		slp_target_free(target);
		return -1;
	}
	error_clear(err);
	*out = target;
	return 0;
}

SLP_EXPORT int slp_target_open(struct slp_target **target, const char *path,
			       struct slp_error *err)
{
	struct slp_error local = { .level = -1 };
	int fd;

	err = err ? err : &local;
	error_clear(err);
	*target = NULL;
	if (!path)
		return fail_code(err, SLP_E_INVALID, EINVAL, "no path for the target", NULL);
	fd = ns_open(path);
	return fd < 0 ? open_failed(err, path, errno) : adopt(target, fd, path, err);
}

SLP_EXPORT int slp_target_open_fd(struct slp_target **target, int fd, const char *name,
				  struct slp_error *err)
{
	struct slp_error local = { .level = -1 };
	int copy;

	err = err ? err : &local;
	error_clear(err);
	*target = NULL;
	if (!name)
		name = "the pid namespace given by descriptor";
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0)
		return fail_sys(err, errno, "duplicate the descriptor of", name);
	return adopt(target, copy, name, err);
}

SLP_EXPORT void slp_target_free(struct slp_target *target)
{
	if (!target)
		return;
	for (unsigned int i = 0; i < target->nr; i++)
		close(target->level[i].fd);
	free(target->name);
	free(target);
}

int target_or_own(struct slp_target **target, struct slp_target **own, struct slp_error *err)
{
	*own = NULL;
	if (*target)
		return 0;
	if (slp_target_open(own, OWN_PID_NS, err) < 0) {
		/* no /proc/self: /proc is not there, or not this process's */
		if (err->code == SLP_E_TARGET_MISSING)
			proc_fail_missing(OWN_PID_NS, err);
		return -1;
	}
	*target = *own;
	return 0;
}

void target_free_own(struct slp_target *own, struct slp_error *err)
{
	if (!own)
		return;
	if (err->target == own->name)
		err->target = OWN_PID_NS;
	if (err->file == own->name)
		err->file = OWN_PID_NS;
	slp_target_free(own);
}

int target_resolve(struct slp_target *target, unsigned int nr, struct slp_error *err)
{
	while (target->nr < nr) {
		unsigned int i = target->nr;
		int parent = ns_parent(target->level[i - 1].fd);

		if (parent < 0) {
			/* The kernel hides the namespaces above the caller's. */
			if (errno == EPERM) {
				fail_code(err, SLP_E_TOO_DEEP, 0, NULL, NULL);
				err->target = target->name;
				err->value = nr;
				err->limit = i;
				err->hint = SLP_HINT_FEWER;
				return -1;
			}
			fail_sys(err, errno, "open the parent of", NULL);
			return fail_at(err, target, i - 1);
		}
		target->level[i] = (struct level){ .fd = parent };
		target->nr++;
	}
	return 0;
}

/*
 * The caller's own level can only be the outermost it sees: a level
 * whose parent is visible is below it. So one fstat() tells, at most.
 */
bool target_is_callers(struct slp_target *target, unsigned int i)
{
	/* a level not resolved yet is unknown: callers resolve first */
	if (!target->own_ino || i + 1 != target->nr)
		return false;
	stat_level(&target->level[i]);
	return target->level[i].ino == target->own_ino && target->level[i].dev == target->own_dev;
}

int target_resolve_all(struct slp_target *target, struct slp_error *err)
{
	struct slp_error above;

	error_clear(&above);
	if (target_resolve(target, SLP_VECTOR_MAX, &above) == 0 || above.code == SLP_E_TOO_DEEP)
		return 0;
	*err = above;
	return -1;
}
