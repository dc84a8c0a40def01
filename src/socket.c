// SPDX-License-Identifier: GPL-2.0-or-later
/* UNIX datagram sockets: a name on the command line, and the server's. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "socket.h"

/* Is name an abstract one (@NAME), with no file? */
static bool unix_abstract(const char *name)
{
	return name[0] == '@';
}

bool unix_address(const char *name, struct sockaddr_un *addr, socklen_t *len)
{
	size_t n = strlen(name);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(addr->sun_path))
		return false;
	memcpy(addr->sun_path, name, n);
	/* the abstract namespace: a leading NUL, and the length says where the name ends */
	if (unix_abstract(name))
		addr->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + !unix_abstract(name));
	return true;
}

/* systemd's socket activation: fd 3, a UNIX datagram socket, if it is ours. */
static int activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int type = 0, domain = 0;
	socklen_t len = sizeof(int);

	if (!pid || !fds || atol(pid) != (long)getpid() || atoi(fds) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_DGRAM ||
	    getsockopt(3, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_UNIX)
		return -2;
	fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

/*
 * The file at path, if any, out of the way: a socket nobody answers on
 * (a datagram connect() says) is removed; any other file is left alone.
 * 0, or the exit status having said why not.
 */
static int clear_the_way(const char *path, const struct sockaddr_un *addr, socklen_t len)
{
	int fd;
	bool alive;
	struct stat st;

	if (unix_abstract(path) || lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return complain(EXIT_USAGE, "cannot serve on %s: it exists and is no socket; "
				"remove it or name another", path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* cannot tell: leave it alone */
	alive = fd < 0 || connect(fd, (const struct sockaddr *)addr, len) == 0 ||
		errno != ECONNREFUSED;
	if (fd >= 0)
		close(fd);
	if (alive)
		return complain(EX_TEMPFAIL, "cannot serve on %s: a server answers on it already",
				path);
	unlink(path);
	return 0;
}

/* A group by name, from /etc/group itself (no NSS in a static build): 0, or -1. */
static int group_id(const char *name, gid_t *gid)
{
	FILE *groups = fopen("/etc/group", "re");
	size_t len = strlen(name);
	char line[1024], *second;
	int ret = -1;

	while (groups && len && !strchr(name, ':') && ret < 0 && fgets(line, sizeof(line), groups))
		if (strncmp(line, name, len) == 0 && line[len] == ':' &&
		    (second = strchr(line + len + 1, ':'))) {
			*gid = (gid_t)strtoul(second + 1, NULL, 10);
			ret = 0;
		}
	if (groups)
		fclose(groups);
	return ret;
}

/*
 * The socket, made: mode 0600 unless told (0660 with --socket-group, for
 * its members), never world-writable by default. Returns it, or an exit
 * status (negated) having said why.
 */
static int make_socket(const struct control *ctl, bool *made_file)
{
	struct sockaddr_un addr;
	socklen_t len;
	mode_t old_umask, mode = ctl->socket_mode;
	gid_t gid = ctl->socket_gid;
	int fd, ret;

	if (mode == (mode_t)-1 && ctl->socket_group)
		mode = 0660;
	if (!unix_address(ctl->serve, &addr, &len))
		return -complain(EXIT_USAGE, "invalid --serve '%s': give a path of at most %zu "
				 "bytes, or @NAME", ctl->serve, sizeof(addr.sun_path) - 1);
	if (ctl->socket_group && gid == (gid_t)-1 && group_id(ctl->socket_group, &gid) < 0)
		return -complain(EXIT_USAGE, "invalid --socket-group '%s': no such group",
				 ctl->socket_group);
	if ((ret = clear_the_way(ctl->serve, &addr, len)) != 0)
		return -ret;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -complain(EXIT_SYSTEM, "cannot make a socket: %m");
	/* born 0600: no moment when another may write to it */
	old_umask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&addr, len);
	umask(old_umask);
	*made_file = ret == 0 && !unix_abstract(ctl->serve);
	/*
	 * The group first: a mode for it must not let the server's own group
	 * in meanwhile. Neither follows a symbolic link put in the socket's
	 * place meanwhile, in a directory others may write to.
	 */
	if (ret < 0)
		ret = -complain(errno == EADDRINUSE ? EX_TEMPFAIL : EXIT_SYSTEM,
				"cannot serve on %s: %m", ctl->serve);
	else if (*made_file &&
		 ((gid != (gid_t)-1 &&
		   fchownat(AT_FDCWD, ctl->serve, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0) ||
		  (mode != (mode_t)-1 && fchmodat(AT_FDCWD, ctl->serve, mode, AT_SYMLINK_NOFOLLOW) < 0)))
		ret = -complain(EXIT_SYSTEM, "cannot set the owner or mode of %s: %m", ctl->serve);
	else
		return fd;
	close_server_socket(ctl, fd, *made_file);
	return ret;
}

int open_server_socket(const struct control *ctl, bool *made_file)
{
	int fd = activated_socket(), on = 1;

	*made_file = false;
	if (fd == -2)
		return -complain(EXIT_USAGE, "LISTEN_FDS gave no UNIX datagram socket as fd 3");
	if (fd < 0 && (fd = make_socket(ctl, made_file)) < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	return fd;
}

void close_server_socket(const struct control *ctl, int fd, bool made_file)
{
	if (made_file)
		unlink(ctl->serve);
	close(fd);
}
