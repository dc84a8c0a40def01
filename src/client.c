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

#include "diag.h"
#include "server.h"
#include "unixaddr.h"
#include "wire.h"

/* How long a server may take to answer. */
#define REPLY_TIMEOUT_MS 30000

/* The answer: its size, or -1 (*timed_out if none came in time). */
static ssize_t receive(int fd, void *answer, size_t size, bool *timed_out)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ready;

	while ((ready = poll(&pfd, 1, REPLY_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	*timed_out = ready == 0;
	return ready > 0 ? recv(fd, answer, size, 0) : -1;
}

static int cannot_send(const struct control *ctl)
{
	return complain(EXIT_SYSTEM, "cannot send to the server on %s: %m", ctl->connect);
}

static int no_answer(const struct control *ctl, ssize_t got, bool timed_out)
{
	if (got < 0)
		return complain(EXIT_SYSTEM, "no answer from the server on %s%s%s", ctl->connect,
				timed_out ? " in 30 s" : ": ", timed_out ? "" : strerror(errno));
	return complain(EXIT_SYSTEM, "an answer of %zd bytes from the server on %s, in neither "
			"protocol setlastpid speaks (SLP1, set_ns_last_pid's 1 byte)", got,
			ctl->connect);
}

static int done(const struct control *ctl)
{
	if (ctl->verbose || ctl->dry_run) {
		char text[SLP_VECTOR_MAX * 12];

		slp_vector_format(&ctl->vec, text, sizeof(text));
		printf("%s %s via the server on %s\n", ctl->dry_run ? "would set" : "set", text,
		       ctl->connect);
	}
	return EXIT_DONE;
}

/*
 * A 1-byte answer: the server speaks set_ns_last_pid's protocol alone,
 * 0 done, 1 not. To a request of ours it says 1, not having read it: a
 * lone value, not a dry run, is asked again its way, 4 bytes. What it
 * refuses it gives no reason for.
 */
static int plain_server(const struct control *ctl, int fd, unsigned char answer)
{
	uint32_t value = (uint32_t)ctl->vec.pid[0];
	bool timed_out;
	ssize_t got;

	if (answer == 0 && ctl->vec.nr == 1 && !ctl->dry_run)
		return done(ctl);
	if (answer == 0)
		return complain(EXIT_SYSTEM, "the server on %s answered 'done' in set_ns_last_pid's "
				"protocol (1 byte) to a request of %s it does not speak: what it did "
				"is unknown", ctl->connect, ctl->dry_run ? "a dry run" : "several values");
	if (ctl->vec.nr != 1 || ctl->dry_run)
		return complain(EX_UNAVAILABLE, "the server on %s speaks set_ns_last_pid's protocol "
				"alone (a 1-byte answer): it sets one value, level 0 of its "
				"namespace, and has no dry run; give one value, or serve with "
				"setlastpid --serve; nothing was set", ctl->connect);
	if (send(fd, &value, sizeof(value), 0) < 0)
		return cannot_send(ctl);
	got = receive(fd, &answer, 1, &timed_out);
	if (got != 1)
		return no_answer(ctl, got, timed_out);
	if (answer != 0)
		return complain(EXIT_SYSTEM, "the server on %s refused %u without saying why: it "
				"speaks set_ns_last_pid's protocol, whose answer is 1 byte, 0 done or "
				"1 not", ctl->connect, value);
	return done(ctl);
}

int ask_server(const struct control *ctl)
{
	struct wire_request req = {
		.flags = (ctl->dry_run ? WIRE_DRY_RUN : 0) | (ctl->command ? WIRE_COMMAND : 0),
		.nr = ctl->vec.nr,
	};
	struct sockaddr_un addr, self = { .sun_family = AF_UNIX };
	struct wire_reply rep;
	bool timed_out;
	socklen_t len;
	ssize_t got;
	int fd, status;

	if (!unix_address(ctl->connect, &addr, &len))
		return complain(EXIT_USAGE, "invalid --connect '%s': give a path of at most %zu "
				"bytes, or @NAME", ctl->connect, sizeof(addr.sun_path) - 1);
	memcpy(req.magic, WIRE_MAGIC, 4);
	for (uint32_t i = 0; i < ctl->vec.nr; i++)
		req.pid[i] = ctl->vec.pid[i];
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return complain(EXIT_SYSTEM, "cannot make a socket: %m");
	/* an address of our own, abstract and chosen by the kernel, for the reply */
	if (bind(fd, (struct sockaddr *)&self, sizeof(sa_family_t)) < 0 ||
	    connect(fd, (struct sockaddr *)&addr, len) < 0) {
		int errnum = errno;

		close(fd);
		return complain(errnum == ENOENT || errnum == ECONNREFUSED ? EX_UNAVAILABLE
				: errnum == EACCES || errnum == EPERM ? EXIT_DENIED : EXIT_SYSTEM,
				"cannot reach a server on %s: %s", ctl->connect, strerror(errnum));
	}
	if (send(fd, &req, WIRE_REQUEST_SIZE(req.nr), 0) < 0) {
		status = cannot_send(ctl);
		close(fd);
		return status;
	}
	got = receive(fd, &rep, sizeof(rep), &timed_out);
	if (got == 1) {
		status = plain_server(ctl, fd, (unsigned char)rep.magic[0]);
	} else if (got < (ssize_t)WIRE_REPLY_SIZE(0) || memcmp(rep.magic, WIRE_MAGIC, 4) != 0) {
		status = no_answer(ctl, got, timed_out);
	} else if (rep.status < 0 || rep.status > 255) {
		/* an exit status no setlastpid has: 256 would be a success to the shell */
		status = complain(EXIT_SYSTEM, "an answer from the server on %s with status %d, "
				  "which no setlastpid exits with: what it did is unknown",
				  ctl->connect, (int)rep.status);
	} else {
		/* the message is the line the server would print: one line, nothing past its end */
		if ((size_t)got < sizeof(rep))
			((char *)&rep)[got] = '\0';
		rep.message[sizeof(rep.message) - 1] = '\0';
		for (char *c = rep.message; *c; c++)
			if ((unsigned char)*c < ' ' || *c == 0x7f)
				*c = '?';
		status = rep.status != EXIT_DONE ? complain(rep.status, "%s", rep.message) : done(ctl);
	}
	close(fd);
	return status;
}
