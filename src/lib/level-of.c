// SPDX-License-Identifier: LGPL-2.1-or-later
/* Which level of a target the pid namespace of a process is. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef PIDFD_GET_PID_NAMESPACE
#define PIDFD_GET_PID_NAMESPACE _IO(0xFF, 5)	/* Linux 6.11 */
#endif

/*
 * Does /proc number processes as the caller's pid namespace does? Then
 * /proc/PID is the process the caller calls PID. NSpid has one field
 * exactly then: the pid in /proc's namespace is the last.
 */
static bool proc_is_callers(void)
{
	pid_t nspid[2];

	return nspid_read(AT_FDCWD, "/proc/self/status", nspid, 2) == 1 && nspid[0] == getpid();
}

/* The pid namespace of pid: a descriptor, or -1 with errno (ESRCH: it is gone). */
static int pidns_of(pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), ns, errnum;
	char path[32];

	if (pidfd < 0 && errno == ESRCH)
		return -1;
	if (pidfd >= 0) {
		ns = ioctl(pidfd, PIDFD_GET_PID_NAMESPACE, 0);
		errnum = errno;
		close(pidfd);
		errno = errnum;
		if (ns >= 0 || errno == ESRCH)
			return ns;
	}
	/* before Linux 6.11, /proc: if it numbers processes as the caller does */
	if (!proc_is_callers()) {
		errno = ENOTSUP;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 && errno == ENOENT)
		errno = ESRCH;
	return ns;
}

SLP_EXPORT int slp_target_level_of(struct slp_target *target, pid_t pid, struct slp_error *err)
{
	struct slp_error local = { .level = -1 };
	struct stat st;
	int ns, level = -1;

	err = err ? err : &local;
	error_clear(err);
	if (!target || pid <= 0)
		return fail_code(err, SLP_E_INVALID, EINVAL, "no target, or no pid above 0", NULL);
	if (target_resolve_all(target, err) < 0)
		return -1;
	ns = pidns_of(pid);
	if (ns < 0 || fstat(ns, &st) < 0) {
		fail_sys(err, errno, "tell the pid namespace of", "a process");
		if (ns >= 0)
			close(ns);
		return -1;
	}
	for (unsigned int i = 0; i < target->nr && level < 0; i++)
		if (ns_same(ns, target->level[i].fd))
			level = (int)i;
	close(ns);
	err->value = pid;
	err->level_ino = st.st_ino;
	if (level < 0)
		return fail_sys(err, ENOENT, "find the pid namespace of a process among the levels of",
				target->name);
	err->level = level;
	return level;
}
