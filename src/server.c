// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * setlastpid --serve=SOCKET: set the counters of one nest for whoever
 * may write to a UNIX datagram socket (socket.c), set_ns_last_pid's
 * protocol and ours (wire.c). The nest's helpers are made once, at the
 * start, and kept: a request creates no process.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "diag.h"
#include "server.h"
#include "socket.h"
#include "wire.h"

/* Requests served between two polls, at most: a stop signal waits no longer. */
#define SERVE_BATCH 32

static volatile sig_atomic_t stop_signal;

static void note_stop(int sig)
{
	stop_signal = sig;
}

/* What a request is checked against: the nest, and how the server sees its clients. */
struct served {
	const struct control *ctl;
	struct slp_target *target;
	struct slp_holder *holder;
	const char *ns_name;		/* --ns, or the server's own */
	unsigned long long level0;	/* pid:[level0] is level 0; 0 if unknown */
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
	struct wire_ask ask;
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

/* The reply, logged; a client gone, or that will not read, is no matter. */
static void reply(int fd, const struct request *req, int status, const struct slp_error *err,
		  const char *message)
{
	struct wire_reply wire;
	size_t len = wire_encode_reply(&wire, req->ask.protocol, status, err, message);

	/* an unbound client: nowhere to reply */
	if (req->from_len > sizeof(sa_family_t))
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

/* A failure: logged, and said to the sender. */
static void refuse(int fd, const struct request *req, int status, const struct slp_error *err,
		   const char *message)
{
	log_line(req, message);
	reply(fd, req, status, err, message);
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
	struct slp_error err;
	char where[64];
	int level;

	if (!(req->ask.flags & WIRE_COMMAND) || !srv->level0 || req->sender == SENDER_UNKNOWN)
		return NULL;
	if (req->sender == SENDER_OUTSIDE) {
		/* level 0 is the server's own pid namespace or below it: it sees its processes */
		snprintf(where, sizeof(where), "outside the server's pid namespace");
	} else {
		level = slp_target_level_of(srv->target, req->cred.pid, &err);
		if (level == 0 || (level < 0 && err.errnum != ENOENT))
			return NULL;
		snprintf(where, sizeof(where), "in pid:[%llu]", (unsigned long long)err.level_ino);
	}
	snprintf(text, size, "cannot run COMMAND here: this process is %s, not in level 0 of "
		 "the served nest (pid:[%llu], %s for the server), so it could not get "
		 "VECTOR + 1: run setlastpid --connect inside pid:[%llu] (nsenter --target PID "
		 "--pid); nothing was set", where, srv->level0, srv->ns_name, srv->level0);
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
	unsigned int flags;
	struct slp_error err;
	const char *bad;
	ssize_t len;

	len = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (len < 0)
		return false;
	req.from_len = msg.msg_namelen;
	sender(&msg, srv, &req);
	bad = wire_decode_request(&req.ask, buf, (size_t)len, (msg.msg_flags & MSG_TRUNC) != 0);
	if (bad) {
		snprintf(req.text, sizeof(req.text), "%zd bytes", len);
		snprintf(text, sizeof(text), "malformed request: %s", bad);
		refuse(fd, &req, EXIT_USAGE, NULL, text);
		return true;
	}
	slp_vector_format(&req.ask.vec, req.text, sizeof(req.text));
	flags = (req.ask.flags & WIRE_DRY_RUN ? SLP_DRY_RUN : 0) |
		(req.ask.flags & WIRE_AT_LEAST ? SLP_AT_LEAST : 0);
	if (not_in_level0(srv, &req, text, sizeof(text))) {
		err = (struct slp_error){ .code = SLP_E_OUTSIDE, .level = 0 };
		refuse(fd, &req, EX_DATAERR, &err, text);
	} else if (slp_holder_set(srv->holder, &req.ask.vec, flags, &err) < 0) {
		refuse(fd, &req, slp_exit_status(&err), &err, error_line(&err, text, sizeof(text)));
	} else {
		if (srv->ctl->verbose)
			log_line(&req, flags & SLP_DRY_RUN ? "would be done" : "done");
		reply(fd, &req, EXIT_DONE, NULL, NULL);
	}
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
	struct served srv = { .ctl = ctl, .target = target,
			      .ns_name = ctl->ns_path ? ctl->ns_path : "/proc/self/ns/pid" };
	struct slp_target *own = NULL;
	struct slp_error err;
	sigset_t stops, waiting;
	bool made_file;
	struct stat st;
	int fd, status = EXIT_DONE;

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

	srv.level0 = stat(srv.ns_name, &st) == 0 ? (unsigned long long)st.st_ino : 0;
	srv.overflow_uid = (uid_t)overflow_id("/proc/sys/kernel/overflowuid");
	srv.overflow_gid = (gid_t)overflow_id("/proc/sys/kernel/overflowgid");
	/* the nest, to ask which level a client is in: ours if none was named */
	if (!target && slp_target_open(&own, srv.ns_name, &err) < 0)
		return complain_about(&err);
	srv.target = target ? target : own;
	fd = open_server_socket(ctl, &made_file);
	if (fd < 0) {
		slp_target_free(own);
		return -fd;
	}
	if (slp_holder_open(&srv.holder, srv.target, &opts, &err) < 0)
		status = complain_about(&err);
	else if (ctl->verbose)
		say_helpers(&srv);
	while (status == EXIT_DONE && !stop_signal) {
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
	close_server_socket(ctl, fd, made_file);
	slp_target_free(own);
	if (status == EXIT_DONE && ctl->verbose)
		fprintf(stderr, "setlastpid: stopped by SIG%s\n", sigabbrev_np(stop_signal));
	return status;
}
