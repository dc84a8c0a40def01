// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * setlastpid --serve=SOCKET: set the counters of one nest for whoever
 * may write to a UNIX datagram socket, set_ns_last_pid's protocol and
 * ours (wire.h). The nest's helpers are made once, at the start, and
 * kept: a request creates no process.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "diag.h"
#include "server.h"
#include "unixaddr.h"
#include "wire.h"

static volatile sig_atomic_t stop_signal;

static void note_stop(int sig)
{
	stop_signal = sig;
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

/* Does a server answer on this socket file? A datagram connect() says. */
static bool answered(const struct sockaddr_un *addr, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return true;	/* cannot tell: leave it alone */
	alive = connect(fd, (const struct sockaddr *)addr, len) == 0 || errno != ECONNREFUSED;
	close(fd);
	return alive;
}

/* A group by name or number, from /etc/group itself (no NSS in a static build). */
static int group_id(const char *name, gid_t *gid)
{
	char line[1024], *end;
	unsigned long n = strtoul(name, &end, 10);
	FILE *groups;

	if (*name && !*end) {
		*gid = (gid_t)n;
		return 0;
	}
	groups = fopen("/etc/group", "re");
	if (!groups)
		return -1;
	while (fgets(line, sizeof(line), groups)) {
		char *first = strchr(line, ':'), *second = first ? strchr(first + 1, ':') : NULL;

		if (!second || (size_t)(first - line) != strlen(name) ||
		    strncmp(line, name, strlen(name)) != 0)
			continue;
		*gid = (gid_t)strtoul(second + 1, NULL, 10);
		fclose(groups);
		return 0;
	}
	fclose(groups);
	errno = ENOENT;
	return -1;
}

/*
 * The socket, made: mode 0600 unless told, never world-writable by
 * default; a file of a socket nobody answers on is replaced, any other
 * file left alone. Returns it, or an exit status (negated) having said why.
 */
static int make_socket(const struct control *ctl, bool *made_file)
{
	struct sockaddr_un addr;
	struct stat st;
	socklen_t len;
	mode_t old_umask;
	gid_t gid = (gid_t)-1;
	int fd, ret;

	*made_file = false;
	if (!unix_address(ctl->serve, &addr, &len))
		return -complain(EXIT_USAGE, "invalid --serve '%s': give a path of at most %zu "
				 "bytes, or @NAME", ctl->serve, sizeof(addr.sun_path) - 1);
	if (ctl->socket_group && group_id(ctl->socket_group, &gid) < 0)
		return -complain(EXIT_USAGE, "invalid --socket-group '%s': no such group",
				 ctl->socket_group);
	if (!unix_abstract(ctl->serve) && lstat(ctl->serve, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -complain(EXIT_USAGE, "cannot serve on %s: it exists and is no "
					 "socket; remove it or name another", ctl->serve);
		if (answered(&addr, len))
			return -complain(EX_TEMPFAIL, "cannot serve on %s: a server answers on it "
					 "already", ctl->serve);
		unlink(ctl->serve);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -complain(EXIT_SYSTEM, "cannot make a socket: %m");
	/* born 0600: no moment when another may write to it */
	old_umask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&addr, len);
	umask(old_umask);
	if (ret < 0) {
		ret = -complain(errno == EADDRINUSE ? EX_TEMPFAIL : EXIT_SYSTEM,
				"cannot serve on %s: %m", ctl->serve);
		close(fd);
		return ret;
	}
	*made_file = !unix_abstract(ctl->serve);
	if (*made_file && ((ctl->socket_mode != (mode_t)-1 && chmod(ctl->serve, ctl->socket_mode) < 0) ||
			   (gid != (gid_t)-1 && chown(ctl->serve, (uid_t)-1, gid) < 0))) {
		ret = -complain(EXIT_SYSTEM, "cannot set the owner or mode of %s: %m", ctl->serve);
		unlink(ctl->serve);
		close(fd);
		return ret;
	}
	return fd;
}

/* Who sent it: SCM_CREDENTIALS, as SO_PASSCRED has the kernel attach them. */
static struct ucred sender(struct msghdr *msg)
{
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(cred)))
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
	return cred;
}

struct request {
	struct sockaddr_un from;
	socklen_t from_len;
	struct ucred cred;
	bool extended;		/* ours, not set_ns_last_pid's */
	struct slp_vector vec;
	unsigned int flags;
	char text[SLP_VECTOR_MAX * 12];	/* VECTOR, for the log */
};

/* What came: a request to act on, or why not (the reply then says so). */
static const char *parse_request(struct request *req, const char *buf, size_t len, bool cut)
{
	struct wire_request wire;

	req->extended = len >= 4 && memcmp(buf, WIRE_MAGIC, 3) == 0;
	if (!req->extended) {
		uint32_t value;

		if (len != 4 || cut)
			return "neither 4 bytes (a last pid) nor a request of ours (SLP1)";
		memcpy(&value, buf, 4);
		if (value > INT32_MAX)
			return "a last pid above 2147483647";
		req->vec = (struct slp_vector){ .nr = 1, .pid = { (pid_t)value } };
		req->flags = 0;
		return NULL;
	}
	if (buf[3] != WIRE_MAGIC[3])
		return "a version this server does not speak: it speaks SLP1";
	if (len < WIRE_REQUEST_SIZE(1) || cut)
		return "a request of the wrong size";
	memcpy(&wire, buf, len < sizeof(wire) ? len : sizeof(wire));
	if (wire.nr < 1 || wire.nr > SLP_VECTOR_MAX || len != WIRE_REQUEST_SIZE(wire.nr))
		return "a vector of no values, of more than 32, or not the size it says";
	if (wire.flags & ~WIRE_DRY_RUN)
		return "flags this server does not know";
	req->vec.nr = wire.nr;
	for (uint32_t i = 0; i < wire.nr; i++) {
		if (wire.pid[i] < 0)
			return "a negative value";
		req->vec.pid[i] = wire.pid[i];
	}
	req->flags = wire.flags & WIRE_DRY_RUN ? SLP_DRY_RUN : 0;
	return NULL;
}

/* The reply; a client gone, or that will not read, is no matter. */
static void reply(int fd, const struct request *req, int status, const struct slp_error *err,
		  const char *message)
{
	struct wire_reply wire = { .status = status, .level = -1 };
	size_t len;

	if (req->from_len <= sizeof(sa_family_t))
		return;		/* an unbound client: nowhere to reply */
	if (!req->extended) {
		unsigned char byte = status != 0;

		sendto(fd, &byte, 1, MSG_DONTWAIT, (const struct sockaddr *)&req->from, req->from_len);
		return;
	}
	memcpy(wire.magic, WIRE_MAGIC, 4);
	if (err) {
		wire.level = err->level;
		wire.errnum = err->errnum;
	}
	snprintf(wire.message, sizeof(wire.message), "%s", message ? message : "");
	len = WIRE_REPLY_SIZE(strlen(wire.message));
	sendto(fd, &wire, len, MSG_DONTWAIT, (const struct sockaddr *)&req->from, req->from_len);
}

static void log_line(const struct request *req, const char *what)
{
	fprintf(stderr, "setlastpid: request from pid %d (uid %d, gid %d): %s: %s\n",
		(int)req->cred.pid, (int)req->cred.uid, (int)req->cred.gid,
		req->text[0] ? req->text : "?", what);
}

static void serve_one(int fd, struct slp_holder *holder, const struct control *ctl)
{
	char buf[sizeof(struct wire_request) + 64], text[1024];
	char control[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, sizeof(buf) };
	struct request req = { .from_len = sizeof(req.from) };
	struct msghdr msg = {
		.msg_name = &req.from, .msg_namelen = sizeof(req.from), .msg_iov = &iov,
		.msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control),
	};
	struct slp_error err;
	const char *bad;
	ssize_t len;

	len = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (len < 0)
		return;
	req.from_len = msg.msg_namelen;
	req.cred = sender(&msg);
	bad = parse_request(&req, buf, (size_t)len, (msg.msg_flags & MSG_TRUNC) != 0);
	if (bad) {
		snprintf(req.text, sizeof(req.text), "%zd bytes", len);
		snprintf(text, sizeof(text), "malformed request: %s", bad);
		log_line(&req, text);
		reply(fd, &req, EXIT_USAGE, NULL, text);
		return;
	}
	slp_vector_format(&req.vec, req.text, sizeof(req.text));
	if (slp_holder_set(holder, &req.vec, req.flags, &err) < 0) {
		slp_strerror(&err, text, sizeof(text));
		log_line(&req, text);
		reply(fd, &req, slp_exit_status(&err), &err, text);
		return;
	}
	if (ctl->verbose)
		log_line(&req, req.flags & SLP_DRY_RUN ? "would be done" : "done");
	reply(fd, &req, EXIT_DONE, NULL, NULL);
}

/* The pids the helpers hold, said once at the start. */
static void say_helpers(const struct control *ctl, const struct slp_holder *holder)
{
	unsigned int levels = slp_holder_levels(holder);

	fprintf(stderr, "setlastpid: serving %s on %s: %u level%s, via %s\n",
		ctl->ns_path ? ctl->ns_path : "/proc/self/ns/pid", ctl->serve, levels,
		levels == 1 ? "" : "s", slp_method_name(slp_holder_method(holder)));
	for (unsigned int i = 0; i < levels; i++)
		if (slp_holder_pid(holder, i))
			fprintf(stderr, "setlastpid: level %u: a helper holds pid %d there\n", i,
				(int)slp_holder_pid(holder, i));
}

int serve(const struct control *ctl, struct slp_target *target)
{
	struct sigaction sa = { .sa_handler = note_stop };
	struct slp_options opts = { .method = ctl->method };
	struct slp_holder *holder;
	struct slp_error err;
	sigset_t stops, waiting;
	bool made_file = false;
	int fd = activated_socket(), on = 1;

	if (fd == -2)
		return complain(EXIT_USAGE, "LISTEN_FDS gave no UNIX datagram socket as fd 3");
	if (fd < 0 && (fd = make_socket(ctl, &made_file)) < 0)
		return -fd;
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	if (slp_holder_open(&holder, target, &opts, &err) < 0) {
		if (made_file)
			unlink(ctl->serve);
		close(fd);
		return complain_about(&err);
	}
	if (ctl->verbose)
		say_helpers(ctl, holder);
	/* SIGTERM and SIGINT end the loop: between requests, never in one */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &stops, &waiting);
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGINT);
	while (!stop_signal) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (ppoll(&pfd, 1, NULL, &waiting) > 0)
			serve_one(fd, holder, ctl);
	}
	slp_holder_free(holder);
	if (made_file)
		unlink(ctl->serve);
	close(fd);
	if (ctl->verbose)
		fprintf(stderr, "setlastpid: stopped by SIG%s\n", sigabbrev_np(stop_signal));
	return EXIT_DONE;
}
