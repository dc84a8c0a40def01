// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc as this process finds it, in a container or not: mounted, its
 * own, its ns_last_pid writable, masked or behind a read-only mount.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "internal.h"

bool is_procfs(int fd)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) < 0)
		return false;
	if (fs.f_type == PROC_SUPER_MAGIC)
		return true;
	errno = ENOTSUP;
	return false;
}

int check_proc(struct slp_error *err)
{
	struct statfs fs;
	struct stat st;

	if (statfs("/proc", &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC)
		return fail_code(err, SLP_E_NO_PROC, ENOENT, NULL, "/proc");
	/* /proc/self names this process in /proc's pid namespace: none, no self */
	if (stat("/proc/self", &st) < 0 && errno == ENOENT)
		return fail_code(err, SLP_E_FOREIGN_PROC, ENOENT, NULL, "/proc/self");
	return 0;
}

int proc_status_field(const char *field, char *value, size_t size)
{
	char status[4096], *line, *end;
	size_t n;

	if (read_text(AT_FDCWD, "/proc/self/status", status, sizeof(status)) <= 0)
		return -1;
	for (line = status; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, field, strlen(field)) != 0 || line[strlen(field)] != ':')
			continue;
		line += strlen(field) + 1;
		line += strspn(line, " \t");
		end = strchr(line, '\n');
		n = end ? (size_t)(end - line) : strlen(line);
		if (n >= size)
			n = size - 1;
		memcpy(value, line, n);
		value[n] = '\0';
		return 0;
	}
	return -1;
}

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

#define BEHIND_STACK 16384

/*
 * /proc/sys is read-only in containers, by a read-only bind mount over
 * procfs's own: a caller with CAP_SYS_ADMIN over the owner of its mount
 * namespace (rootless Podman, or --cap-add=SYS_ADMIN) can look behind it
 * without changing its own mounts. The task doing so is the caller's
 * child for as long as it takes (CLONE_VFORK), then reaped.
 */
static int open_behind_read_only(void)
{
	struct behind behind = { .fd = -1 };
	char *stack = malloc(BEHIND_STACK);
	int status, errnum;
	pid_t pid;

	if (!stack)
		return -1;
	pid = clone(open_behind, stack + BEHIND_STACK, CLONE_VM | CLONE_FILES | CLONE_VFORK | SIGCHLD,
		    &behind);
	errnum = errno;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	free(stack);
	if (pid < 0) {
		errno = errnum;
		return -1;
	}
	if (behind.fd < 0)
		errno = behind.errnum;
	return behind.fd;
}

int open_ns_last_pid(int flags, struct slp_error *err)
{
	int fd = open(NS_LAST_PID, flags | O_CLOEXEC), errnum;

	/* only where it may unmount: else its helper would take a pid for nothing */
	if (fd < 0 && errno == EROFS && (flags & O_ACCMODE) != O_RDONLY) {
		fd = may_admin_own_mounts() ? open_behind_read_only() : -1;
		if (fd < 0)
			return fail_code(err, SLP_E_READ_ONLY, EROFS, "open", NS_LAST_PID);
	}
	if (fd < 0) {
		errnum = errno;
		if (check_proc(err) < 0)
			return -1;
		switch (errnum) {
		case ENOENT:
			return fail_code(err, SLP_E_NO_SYSCTL, errnum, "open", NS_LAST_PID);
		case EACCES:
		case EPERM:
			return fail_code(err, SLP_E_DENIED, errnum, "open", NS_LAST_PID);
		default:
			return fail_sys(err, errnum, "open", NS_LAST_PID);
		}
	}
	fd = fd_off_stdio(fd);
	if (fd < 0)
		return fail_sys(err, errno, "open", NS_LAST_PID);
	if (!is_procfs(fd)) {
		close(fd);
		return fail_code(err, SLP_E_MASKED, 0, NULL, NS_LAST_PID);
	}
	return fd;
}
