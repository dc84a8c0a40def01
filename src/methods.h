/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ways of setting the counters: the ioctl, and ns_last_pid per level. */
#ifndef SETLASTPID_METHODS_H
#define SETLASTPID_METHODS_H

#include <stdbool.h>
#include <sys/types.h>

#include "levels.h"
#include "vector.h"

/* NS_SET_LAST_PID_VEC on fd: 0, or -1 with errno, and then nothing changed. */
int set_by_ioctl(int fd, const struct pid_vector *vec);

/* Does the kernel know NS_SET_LAST_PID_VEC? Asks without changing anything. */
bool kernel_has_ioctl(int fd);

/* Where set_by_sysctl() stopped, for the message. */
struct sysctl_failure {
	const char *call;	/* the system call that failed */
	unsigned int level;	/* at this level */
	int errnum;
	bool undone;		/* the levels already written are back as they were */
};

/*
 * Write vec to ns_last_pid of every level, each from a short-lived helper
 * created in that level (the caller's own level it writes itself). The
 * helpers are created innermost first, as creating one takes a pid in
 * its level and every level above: then every level ends exactly at its
 * value. On failure, write back the levels already written and return -1.
 */
int set_by_sysctl(const struct levels *levels, const struct pid_vector *vec,
		  struct sysctl_failure *failure);

/*
 * Write pid to ns_last_pid of the caller's own pid namespace: 0, or -1
 * with errno, and then nothing changed (the kernel checks a write whole).
 */
int set_own_last_pid(pid_t pid);

/*
 * --lock: an exclusive flock() on /proc/sys/kernel/ns_last_pid, the
 * protocol of cooperating restorers. Return the locked fd, or exit.
 */
int lock_ns_last_pid_or_exit(void);

#endif
