// SPDX-License-Identifier: GPL-2.0-or-later
/* Namespace files: open, type, parent, owner; thin ioctl wrappers. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>

#include "nsfs.h"

int ns_open(const char *path)
{
	/* O_NONBLOCK: a FIFO named by mistake must not hang the tool. */
	return open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

int ns_type(int fd)
{
	return ioctl(fd, NS_GET_NSTYPE);
}

const char *ns_type_name(int type)
{
	switch (type) {
	case CLONE_NEWPID:
		return "pid";
	case CLONE_NEWNET:
		return "net";
	case CLONE_NEWNS:
		return "mnt";
	case CLONE_NEWUTS:
		return "uts";
	case CLONE_NEWIPC:
		return "ipc";
	case CLONE_NEWUSER:
		return "user";
	case CLONE_NEWCGROUP:
		return "cgroup";
	case CLONE_NEWTIME:
		return "time";
	default:
		return "unknown";
	}
}

int ns_parent(int fd)
{
	return ioctl(fd, NS_GET_PARENT);
}

int ns_owner(int fd)
{
	return ioctl(fd, NS_GET_USERNS);
}

uid_t ns_owner_uid(int userns_fd)
{
	uid_t uid;

	if (ioctl(userns_fd, NS_GET_OWNER_UID, &uid) < 0)
		return (uid_t)-1;
	return uid;
}

ino_t ns_inode(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;
	return st.st_ino;
}

bool ns_same(int fd_a, int fd_b)
{
	struct stat a, b;

	return fstat(fd_a, &a) == 0 && fstat(fd_b, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
