// SPDX-License-Identifier: LGPL-2.1-or-later
/* Namespace files: open, type, parent, owner; thin ioctl wrappers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/nsfs.h>

#include "internal.h"

int fd_off_stdio(int fd)
{
	int moved, errnum;

	if (fd < 0 || fd > 2)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	errnum = errno;
	close(fd);
	errno = errnum;
	return moved;
}

void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* pipe2(O_CLOEXEC), both ends off 0, 1 and 2; on failure -1, nothing open. */
int pipe_off_stdio(int fds[2])
{
	int errnum;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fds[0] = fd_off_stdio(fds[0]);
	fds[1] = fd_off_stdio(fds[1]);
	if (fds[0] >= 0 && fds[1] >= 0)
		return 0;
	errnum = errno;
	fd_close(&fds[0]);
	fd_close(&fds[1]);
	errno = errnum;
	return -1;
}

int ns_open(const char *path)
{
	/* O_NONBLOCK: a FIFO named by mistake must not hang the caller. */
	return fd_off_stdio(open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
}

int ns_type(int fd)
{
	return ioctl(fd, NS_GET_NSTYPE);
}

int ns_parent(int fd)
{
	return fd_off_stdio(ioctl(fd, NS_GET_PARENT));
}

int ns_owner(int fd)
{
	return fd_off_stdio(ioctl(fd, NS_GET_USERNS));
}

uid_t ns_owner_uid(int userns_fd)
{
	uid_t uid;

	return ioctl(userns_fd, NS_GET_OWNER_UID, &uid) < 0 ? (uid_t)-1 : uid;
}

ino_t ns_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

bool ns_same(int fd_a, int fd_b)
{
	struct stat a, b;

	return fstat(fd_a, &a) == 0 && fstat(fd_b, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * A /proc status file, less any line longer than STATUS_LINE_MAX (Groups,
 * with a hundred supplementary groups or more) or past the end of buf:
 * the lines after a long one still come.
 */
ssize_t read_status(int dir_fd, const char *path, char *buf, size_t size)
{
	size_t len = 0, line = 0;	/* buf[line, len): a line not yet whole */
	bool skip = false;		/* that line is dropped, up to its end */
	int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC), errnum;
	ssize_t n = -1;
	char *nl;

	while (fd >= 0 && (n = read(fd, buf + len, size - 1 - len)) > 0) {
		for (len += (size_t)n; (nl = memchr(buf + line, '\n', len - line)); skip = false) {
			size_t end = (size_t)(nl + 1 - buf);	/* past its newline */

			if (!skip && end - line <= STATUS_LINE_MAX) {
				line = end;
				continue;
			}
			memmove(buf + line, buf + end, len - end);
			len -= end - line;
		}
		if ((skip = skip || len - line > STATUS_LINE_MAX || len == size - 1))
			len = line;
	}
	errnum = errno;
	if (fd >= 0)
		close(fd);
	buf[len] = '\0';
	errno = errnum;
	return n < 0 ? -1 : (ssize_t)len;
}

int status_ids(const char *status, const char *field, pid_t *ids, int max)
{
	const char *line = strstr(status, field);
	char *end;
	int n = 0;

	if (!line)
		return -1;
	for (line += strlen(field); n < max; line = end) {
		long id = strtol(line, &end, 10);

		if (end == line)
			break;
		ids[n++] = (pid_t)id;
	}
	return n;
}

int nspid_read(int dir_fd, const char *path, pid_t *nspid, int max)
{
	char status[4096];

	if (read_status(dir_fd, path, status, sizeof(status)) <= 0)
		return -1;
	return status_ids(status, "\nNSpid:", nspid, max);
}

#define CHILD_STACK 16384

int run_in_child(int (*fn)(void *arg), void *arg)
{
	char *stack = malloc(CHILD_STACK);
	int errnum;
	pid_t pid;

	if (!stack)
		return -1;
	pid = clone(fn, stack + CHILD_STACK, CLONE_VM | CLONE_FILES | CLONE_VFORK | SIGCHLD, arg);
	errnum = errno;
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	free(stack);
	errno = errnum;
	return pid < 0 ? -1 : 0;
}
