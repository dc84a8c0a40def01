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
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "diag.h"
#include "server.h"
#include "unixaddr.h"
#include "wire.h"

/* Requests served between two polls, at most: a stop signal waits no longer. */
#define SERVE_BATCH 32

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
 * its members), never world-writable by default; a file of a socket
 * nobody answers on is replaced, any other file left alone. Returns it,
 * or an exit status (negated) having said why.
 */
static int make_socket(const struct control *ctl, bool *made_file)
{
	struct sockaddr_un addr;
	struct stat st;
	socklen_t len;
	mode_t old_umask, mode = ctl->socket_mode;
	gid_t gid = ctl->socket_gid;
	int fd, ret;

	if (mode == (mode_t)-1 && ctl->socket_group)
		mode = 0660;

	*made_file = false;
	if (!unix_address(ctl->serve, &addr, &len))
		return -complain(EXIT_USAGE, "invalid --serve '%s': give a path of at most %zu "
				 "bytes, or @NAME", ctl->serve, sizeof(addr.sun_path) - 1);
	if (ctl->socket_group && gid == (gid_t)-1 && group_id(ctl->socket_group, &gid) < 0)
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
	/*
	 * The group first: a mode for it must not let the server's own group
	 * in meanwhile. Neither follows a symbolic link put in the socket's
	 * place meanwhile, in a directory others may write to.
	 */
	if (*made_file &&
	    ((gid != (gid_t)-1 &&
	      fchownat(AT_FDCWD, ctl->serve, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0) ||
	     (mode != (mode_t)-1 && fchmodat(AT_FDCWD, ctl->serve, mode, AT_SYMLINK_NOFOLLOW) < 0))) {
		ret = -complain(EXIT_SYSTEM, "cannot set the owner or mode of %s: %m", ctl->serve);
		unlink(ctl->serve);
		close(fd);
		return ret;
	}
	return fd;
}

/* What a request is checked against: the nest, and how the server sees its clients. */
struct served {
	const struct control *ctl;
	struct slp_holder *holder;
	const char *ns_name;		/* --ns, or the server's own */
	struct stat level0;		/* level 0's namespace file: st_dev and st_ino name it */
	bool level0_known;
	bool proc_ours;			/* /proc numbers processes as the server's pid namespace does */
	uid_t overflow_uid;		/* what the kernel says for an id that does not map here */
	gid_t overflow_gid;
};

/* Who sent it, as far as the kernel says. */
enum sender {
	SENDER_KNOWN,			/* pid, uid and gid */
	SENDER_OUTSIDE,			/* uid and gid; no pid: outside the server's pid namespace */
	SENDER_UNKNOWN,			/* no credentials, or none that mean anything here */
};

struct request {
	struct sockaddr_un from;
	socklen_t from_len;
	struct ucred cred;
	enum sender sender;
	bool extended;		/* ours, not set_ns_last_pid's */
	bool command;		/* WIRE_COMMAND: COMMAND follows, in the sender's pid namespace */
	struct slp_vector vec;
	unsigned int flags;
	char text[SLP_VECTOR_MAX * 12];	/* VECTOR, for the log */
};

/*
 * Who sent it: SCM_CREDENTIALS, as SO_PASSCRED has the kernel attach
 * them. A datagram queued before SO_PASSCRED was set (under socket
 * activation, the first) carries none: the kernel then says pid 0 and
 * the overflow ids, as for a sender whose ids do not map here and whose
 * pid is not seen. Neither is user nobody, and neither is said to be.
 */
static void sender(struct msghdr *msg, const struct served *srv, struct request *req)
{
	bool got = false;

	req->cred = (struct ucred){ .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(req->cred))) {
			memcpy(&req->cred, CMSG_DATA(c), sizeof(req->cred));
			got = true;
		}
	if (!got || (req->cred.pid == 0 && req->cred.uid == srv->overflow_uid &&
		     req->cred.gid == srv->overflow_gid))
		req->sender = SENDER_UNKNOWN;
	else if (req->cred.pid == 0)
		req->sender = SENDER_OUTSIDE;
	else
		req->sender = SENDER_KNOWN;
}

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
	if (wire.flags & ~(WIRE_DRY_RUN | WIRE_COMMAND))
		return "flags this server does not know";
	req->vec.nr = wire.nr;
	for (uint32_t i = 0; i < wire.nr; i++) {
		if (wire.pid[i] < 0)
			return "a negative value";
		req->vec.pid[i] = wire.pid[i];
	}
	req->flags = wire.flags & WIRE_DRY_RUN ? SLP_DRY_RUN : 0;
	req->command = (wire.flags & WIRE_COMMAND) != 0;
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
	const char *vector = req->text[0] ? req->text : "?";

	switch (req->sender) {
	case SENDER_KNOWN:
		fprintf(stderr, "setlastpid: request from pid %d (uid %u, gid %u): %s: %s\n",
			(int)req->cred.pid, (unsigned int)req->cred.uid, (unsigned int)req->cred.gid,
			vector, what);
		break;
	case SENDER_OUTSIDE:
		fprintf(stderr, "setlastpid: request from a process outside the server's pid "
			"namespace (uid %u, gid %u): %s: %s\n", (unsigned int)req->cred.uid,
			(unsigned int)req->cred.gid, vector, what);
		break;
	case SENDER_UNKNOWN:
		fprintf(stderr, "setlastpid: request from an unknown sender (the kernel gave no "
			"credentials): %s: %s\n", vector, what);
		break;
	}
}

#ifndef PIDFD_GET_PID_NAMESPACE
#define PIDFD_GET_PID_NAMESPACE _IO(0xFF, 5)	/* Linux 6.11 */
#endif

/*
 * The pid namespace of the process pid names in the server's own, as
 * stat() has a namespace file: 0, or -1 if it cannot be told (the
 * process gone, or not the server's to look at).
 */
static int pidns_of(const struct served *srv, pid_t pid, struct stat *st)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), ns = -1, ret;
	char path[32];

	if (pidfd >= 0) {
		ns = ioctl(pidfd, PIDFD_GET_PID_NAMESPACE, 0);
		close(pidfd);
	}
	if (ns >= 0) {
		ret = fstat(ns, st);
		close(ns);
		return ret;
	}
	/* before Linux 6.11: /proc, where it numbers processes as the server's pid namespace does */
	if (!srv->proc_ours)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return stat(path, st);
}

/*
 * WIRE_COMMAND: the sender creates COMMAND next, in its own pid
 * namespace, where VECTOR's first value must be COMMAND's: refused
 * before anything is set unless that is level 0 of the nest. NULL when
 * it is, or when it cannot be told (no credentials; a process the server
 * may not look at; before Linux 6.11, a /proc of another pid namespace):
 * the client's check of COMMAND's own pids still stands then.
 */
static const char *not_in_level0(const struct served *srv, const struct request *req,
				 char *text, size_t size)
{
	unsigned long long level0 = (unsigned long long)srv->level0.st_ino;
	char where[64];
	struct stat st;

	if (!req->command || !srv->level0_known || req->sender == SENDER_UNKNOWN)
		return NULL;
	if (req->sender == SENDER_OUTSIDE) {
		/* level 0 is the server's own pid namespace or below it: it sees its processes */
		snprintf(where, sizeof(where), "outside the server's pid namespace");
	} else {
		if (pidns_of(srv, req->cred.pid, &st) < 0 ||
		    (st.st_dev == srv->level0.st_dev && st.st_ino == srv->level0.st_ino))
			return NULL;
		snprintf(where, sizeof(where), "in pid:[%llu]", (unsigned long long)st.st_ino);
	}
	snprintf(text, size, "cannot run COMMAND here: this process is %s, not in level 0 of "
		 "the served nest (pid:[%llu], %s for the server), so COMMAND could not get "
		 "VECTOR + 1: run setlastpid --connect inside pid:[%llu] (nsenter --target PID "
		 "--pid); nothing was set", where, level0, srv->ns_name, level0);
	return text;
}

/* One datagram, if there is one: false if none was waiting. */
static bool serve_one(int fd, const struct served *srv)
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
		return false;
	req.from_len = msg.msg_namelen;
	sender(&msg, srv, &req);
	bad = parse_request(&req, buf, (size_t)len, (msg.msg_flags & MSG_TRUNC) != 0);
	if (bad) {
		snprintf(req.text, sizeof(req.text), "%zd bytes", len);
		snprintf(text, sizeof(text), "malformed request: %s", bad);
		log_line(&req, text);
		reply(fd, &req, EXIT_USAGE, NULL, text);
		return true;
	}
	slp_vector_format(&req.vec, req.text, sizeof(req.text));
	if (not_in_level0(srv, &req, text, sizeof(text))) {
		err = (struct slp_error){ .code = SLP_E_OUTSIDE, .level = 0 };
		log_line(&req, text);
		reply(fd, &req, EX_DATAERR, &err, text);
		return true;
	}
	if (slp_holder_set(srv->holder, &req.vec, req.flags, &err) < 0) {
		slp_strerror(&err, text, sizeof(text));
		log_line(&req, text);
		reply(fd, &req, slp_exit_status(&err), &err, text);
		return true;
	}
	if (srv->ctl->verbose)
		log_line(&req, req.flags & SLP_DRY_RUN ? "would be done" : "done");
	reply(fd, &req, EXIT_DONE, NULL, NULL);
	return true;
}

/* The pids the helpers hold, said once at the start. */
static void say_helpers(const struct served *srv)
{
	unsigned int levels = slp_holder_levels(srv->holder);

	fprintf(stderr, "setlastpid: serving %s on %s: %u level%s, via %s\n", srv->ns_name,
		srv->ctl->serve, levels, levels == 1 ? "" : "s",
		slp_method_name(slp_holder_method(srv->holder)));
	for (unsigned int i = 0; i < levels; i++)
		if (slp_holder_pid(srv->holder, i))
			fprintf(stderr, "setlastpid: level %u: a helper holds pid %d there\n", i,
				(int)slp_holder_pid(srv->holder, i));
}

/*
 * Does /proc number processes as the server's own pid namespace does?
 * Then /proc/PID is the process SCM_CREDENTIALS says PID of. NSpid has
 * one field exactly then: the pid in /proc's namespace is the last.
 */
static bool proc_is_ours(void)
{
	char line[128], *end;
	bool ours = false;
	FILE *status = fopen("/proc/self/status", "re");

	if (!status)
		return false;
	while (fgets(line, sizeof(line), status))
		if (strncmp(line, "NSpid:", 6) == 0) {
			ours = strtol(line + 6, &end, 10) == (long)getpid() &&
			       end[strspn(end, " \t")] == '\n';
			break;
		}
	fclose(status);
	return ours;
}

/* /proc/sys/kernel/overflowuid and overflowgid: 65534 unless told. */
static unsigned int overflow_id(const char *path)
{
	unsigned int id = 65534;
	FILE *file = fopen(path, "re");

	if (file) {
		if (fscanf(file, "%u", &id) != 1)
			id = 65534;
		fclose(file);
	}
	return id;
}

int serve(const struct control *ctl, struct slp_target *target)
{
	struct sigaction sa = { .sa_handler = note_stop };
	struct slp_options opts = { .method = ctl->method };
	struct served srv = { .ctl = ctl,
			      .ns_name = ctl->ns_path ? ctl->ns_path : "/proc/self/ns/pid" };
	struct slp_error err;
	sigset_t stops, waiting;
	bool made_file = false;
	int fd, on = 1;

	/*
	 * SIGTERM and SIGINT end the loop: between requests, never in one.
	 * They are held from the start, before the socket and the helpers
	 * are made: one that comes meanwhile ends the server as soon as it
	 * serves, the socket it made removed and its helpers ended.
	 */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_BLOCK, &stops, &waiting);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGINT);

	srv.level0_known = stat(srv.ns_name, &srv.level0) == 0;
	srv.proc_ours = proc_is_ours();
	srv.overflow_uid = (uid_t)overflow_id("/proc/sys/kernel/overflowuid");
	srv.overflow_gid = (gid_t)overflow_id("/proc/sys/kernel/overflowgid");
	fd = activated_socket();
	if (fd == -2)
		return complain(EXIT_USAGE, "LISTEN_FDS gave no UNIX datagram socket as fd 3");
	if (fd < 0 && (fd = make_socket(ctl, &made_file)) < 0)
		return -fd;
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	if (slp_holder_open(&srv.holder, target, &opts, &err) < 0) {
		if (made_file)
			unlink(ctl->serve);
		close(fd);
		return complain_about(&err);
	}
	if (ctl->verbose)
		say_helpers(&srv);
	while (!stop_signal) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		/*
		 * What is waiting, without a poll between: a few at a time,
		 * so that a stop signal is seen between them.
		 */
		if (ppoll(&pfd, 1, NULL, &waiting) > 0)
			for (int n = 0; n < SERVE_BATCH && serve_one(fd, &srv); n++)
				;
	}
	slp_holder_free(srv.holder);
	if (made_file)
		unlink(ctl->serve);
	close(fd);
	if (ctl->verbose)
		fprintf(stderr, "setlastpid: stopped by SIG%s\n", sigabbrev_np(stop_signal));
	return EXIT_DONE;
}
