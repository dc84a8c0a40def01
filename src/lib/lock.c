// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SLP_LOCK: an exclusive flock() on /proc/sys/kernel/ns_last_pid, the
 * protocol of cooperating restorers, held from before the first write
 * until the process to restore exists.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "internal.h"

/* A dry run opens the file, the one thing that can fail, and waits for no lock. */
int lock_take(bool dry_run, struct slp_error *err)
{
	int fd = open_ns_last_pid(O_RDONLY, err);

	if (fd < 0)
		return -1;
	while (!dry_run && flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int errnum = errno;

			close(fd);
			return fail_sys(err, errnum, "lock", NS_LAST_PID);
		}
	}
	return fd;
}

void lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
