// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/sys/kernel/ns_last_pid, opened: procfs's own (not a container's
 * mask), and writable behind a read-only /proc/sys where the caller may
 * look behind it without changing its own mounts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include "internal.h"

/* What the task behind the read-only mount found, in memory it shares. */
struct behind {
	int fd;
	int errnum;
};

/*
 * In a mount namespace of its own, private so that nothing it does
 * reaches the caller's: take the read-only layers off /proc/sys until
 * ns_last_pid opens for writing. Its descriptor table is the caller's
 * (CLONE_FILES): the file stays open, and writable, after it is gone.
 */
static int open_behind(void *arg)
{
	struct behind *behind = arg;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		behind->errnum = errno;
		return 1;
	}
	for (int layer = 0; layer < 8; layer++) {
		behind->fd = open(NS_LAST_PID, O_RDWR | O_CLOEXEC);
		if (behind->fd >= 0 || errno != EROFS)
			break;
		if (umount2("/proc/sys", MNT_DETACH) < 0)
			break;
	}
	behind->errnum = behind->fd < 0 ? errno : 0;
	return 0;
}

/*
 * /proc/sys is read-only in containers, by a read-only bind mount over
 * procfs's own: a caller with CAP_SYS_ADMIN over the owner of its mount
 * namespace (rootless Podman, or --cap-add=SYS_ADMIN) can look behind it.
 * The task doing so is the caller's child for as long as it takes.
 */
static int open_behind_read_only(struct slp_error *err)
{
	struct behind behind = { .fd = -1 };

	/* only where it may unmount: else its helper would take a pid for nothing */
	if (caps_may_admin_mounts()) {
		/* no task to be had is no read-only /proc/sys, and no reason to spin instead */
		if (run_in_child(open_behind, &behind) < 0)
			return fail_sys(err, errno, "create a task to open", NS_LAST_PID);
		if ((behind.fd = fd_off_stdio(behind.fd)) >= 0)
			return behind.fd;
	}
	fail_code(err, SLP_E_READ_ONLY, EROFS, "open", NS_LAST_PID);
	err->hint = SLP_HINT_UNMASK;
	return -1;
}

int last_pid_read(int fd, pid_t *counter)
{
	char text[16];
	ssize_t len = pread(fd, text, sizeof(text) - 1, 0);

	if (len <= 0) {
		errno = len < 0 ? errno : EIO;
		return -1;
	}
	text[len] = '\0';
	*counter = (pid_t)atoi(text);
	return 0;
}

int last_pid_open(int flags, struct slp_error *err)
{
	int fd = proc_open(NS_LAST_PID, flags, err);

	if (fd < 0 && err->errnum == EROFS) {
		if ((fd = open_behind_read_only(err)) < 0)
			return -1;
		error_clear(err);
	}
	if (fd < 0) {
		if (err->code == SLP_E_SYSTEM && err->errnum == ENOENT)
			err->code = SLP_E_NO_SYSCTL;
		return -1;
	}
	if (!is_procfs(fd)) {
		close(fd);
		fail_code(err, SLP_E_MASKED, 0, NULL, NS_LAST_PID);
		err->hint = SLP_HINT_NO_MASK;
		return -1;
	}
	return fd;
}
