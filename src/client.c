// SPDX-License-Identifier: GPL-2.0-or-later
/* setlastpid --connect=SOCKET VECTOR: ask a server (--serve) to set the counters. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "diag.h"
#include "socket.h"
#include "wire.h"

/* How long a server may take to answer. */
#define REPLY_TIMEOUT_MS 30000

/*
 * ask sent, and the answer, size bytes at most, decoded in rep: its
 * protocol, or an exit status (negated) having said why none came.
 */
static int exchange(const struct control *ctl, int fd, const struct wire_ask *ask,
		    struct wire_reply *rep, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct wire_request req;
	enum wire_protocol protocol;
	ssize_t got;
	int ready;

	if (send(fd, &req, wire_encode_request(&req, ask), 0) < 0)
		return -complain(EXIT_SYSTEM, "cannot send to the server on %s: %m", ctl->connect);
	while ((ready = poll(&pfd, 1, REPLY_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	got = ready > 0 ? recv(fd, rep, size, 0) : -1;
	if (got < 0)
		return -complain(EXIT_SYSTEM, "no answer from the server on %s%s%s", ctl->connect,
				 ready == 0 ? " in 30 s" : ": ", ready == 0 ? "" : strerror(errno));
	protocol = wire_decode_reply(rep, (size_t)got);
	if (protocol == WIRE_NEITHER)
		return -complain(EXIT_SYSTEM, "an answer of %zd bytes from the server on %s, in "
				 "neither protocol setlastpid speaks (SLP1, set_ns_last_pid's 1 "
				 "byte)", got, ctl->connect);
	return protocol;
}

static int done(const struct control *ctl)
{
	if (ctl->verbose || ctl->dry_run) {
		char text[SLP_VECTOR_MAX * 12];

		slp_vector_format(&ctl->vec, text, sizeof(text));
		printf("%s %s%s via the server on %s\n", ctl->dry_run ? "would set" : "set",
		       ctl->at_least ? "at least " : "", text, ctl->connect);
	}
	return EXIT_DONE;
}

/*
 * A 1-byte answer: the server speaks set_ns_last_pid's protocol alone,
 * 0 done, 1 not. To a request of ours it says 1, not having read it: a
 * lone value, not a dry run, is asked again its way, 4 bytes. What it
 * refuses it gives no reason for.
 */
static int plain_server(const struct control *ctl, int fd, int answer)
{
	struct wire_ask ask = { .protocol = WIRE_PLAIN, .vec = ctl->vec };
	struct wire_reply rep;
	int protocol;

	bool plain = ctl->vec.nr == 1 && !ctl->dry_run && !ctl->at_least;

	if (answer == 0 && plain)
		return done(ctl);
	if (answer == 0)
		return complain(EXIT_SYSTEM, "the server on %s answered 'done' in set_ns_last_pid's "
				"protocol (1 byte) to a request of %s it does not speak: what it did "
				"is unknown", ctl->connect, ctl->dry_run ? "a dry run"
				: ctl->at_least ? "a floor" : "several values");
	if (!plain)
		return complain(EX_UNAVAILABLE, "the server on %s speaks set_ns_last_pid's protocol "
				"alone (a 1-byte answer): it sets one value, level 0 of its "
				"namespace, and has no dry run or floor; give one value, or serve "
				"with setlastpid --serve; nothing was set", ctl->connect);
	/* 1 byte read: a longer answer is cut to its first */
	if ((protocol = exchange(ctl, fd, &ask, &rep, 1)) < 0)
		return -protocol;
	if (rep.status != 0)
		return complain(EXIT_SYSTEM, "the server on %s refused %d without saying why: it "
				"speaks set_ns_last_pid's protocol, whose answer is 1 byte, 0 done or "
				"1 not", ctl->connect, ctl->vec.pid[0]);
	return done(ctl);
}

/* A socket with an address of its own for the reply, connected to the server: or -status. */
static int connect_to_server(const struct control *ctl)
{
	struct sockaddr_un addr, self = { .sun_family = AF_UNIX };
	int fd, errnum;
	socklen_t len;

	if (!unix_address(ctl->connect, &addr, &len))
		return -complain(EXIT_USAGE, "invalid --connect '%s': give a path of at most %zu "
				 "bytes, or @NAME", ctl->connect, sizeof(addr.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -complain(EXIT_SYSTEM, "cannot make a socket: %m");
	/* abstract, and chosen by the kernel */
	if (bind(fd, (struct sockaddr *)&self, sizeof(sa_family_t)) == 0 &&
	    connect(fd, (struct sockaddr *)&addr, len) == 0)
		return fd;
	errnum = errno;
	close(fd);
	return -complain(errnum == ENOENT || errnum == ECONNREFUSED ? EX_UNAVAILABLE
			 : errnum == EACCES || errnum == EPERM ? EXIT_DENIED : EXIT_SYSTEM,
			 "cannot reach a server on %s: %s", ctl->connect, strerror(errnum));
}

/*
 * A server of ours words a refusal of WIRE_COMMAND with COMMAND for the
 * command it does not know (setlastpid(8)): the line names it.
 */
static const char *name_command(const struct control *ctl, const char *message, char *buf,
				size_t size)
{
	const char *at = ctl->command ? strstr(message, "COMMAND") : NULL;

	if (!at)
		return message;
	snprintf(buf, size, "%.*s%s%s", (int)(at - message), message, ctl->command[0],
		 at + strlen("COMMAND"));
	return buf;
}

int ask_server(const struct control *ctl)
{
	char named[sizeof(((struct wire_reply *)0)->message) + 256];
	struct wire_ask ask = {
		.protocol = WIRE_SLP1, .vec = ctl->vec,
		.flags = (ctl->dry_run ? WIRE_DRY_RUN : 0) | (ctl->command ? WIRE_COMMAND : 0) |
			 (ctl->at_least ? WIRE_AT_LEAST : 0),
	};
	struct wire_reply rep;
	int fd = connect_to_server(ctl), status;

	if (fd < 0)
		return -fd;
	status = exchange(ctl, fd, &ask, &rep, sizeof(rep));
	if (status < 0)
		status = -status;
	else if (status == WIRE_PLAIN)
		status = plain_server(ctl, fd, rep.status);
	/* an exit status no setlastpid has: 256 would be a success to the shell */
	else if (rep.status < 0 || rep.status > 255)
		status = complain(EXIT_SYSTEM, "an answer from the server on %s with status %d, "
				  "which no setlastpid exits with: what it did is unknown",
				  ctl->connect, (int)rep.status);
	else
		status = rep.status ? complain(rep.status, "%s",
					       name_command(ctl, rep.message, named, sizeof(named)))
				    : done(ctl);
	close(fd);
	return status;
}
