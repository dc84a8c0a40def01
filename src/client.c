// SPDX-License-Identifier: GPL-2.0-or-later
/* setlastpid --connect=SOCKET VECTOR: ask a server (--serve) to set the counters. */
#include "config.h"

#include <errno.h>
#include <poll.h>
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

int ask_server(const struct control *ctl)
{
	struct wire_request req = { .flags = ctl->dry_run ? WIRE_DRY_RUN : 0, .nr = ctl->vec.nr };
	struct sockaddr_un addr, self = { .sun_family = AF_UNIX };
	struct wire_reply rep;
	struct pollfd pfd;
	socklen_t len;
	ssize_t got;
	int fd, ready;

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
		close(fd);
		return complain(EXIT_SYSTEM, "cannot send to the server on %s: %m", ctl->connect);
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	while ((ready = poll(&pfd, 1, REPLY_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	got = ready > 0 ? recv(fd, &rep, sizeof(rep), 0) : -1;
	close(fd);
	if (got < (ssize_t)WIRE_REPLY_SIZE(0) || memcmp(rep.magic, WIRE_MAGIC, 4) != 0)
		return complain(EXIT_SYSTEM, "no answer from the server on %s%s", ctl->connect,
				ready == 0 ? " in 30 s" : "");
	rep.message[sizeof(rep.message) - 1] = '\0';
	if (rep.status != EXIT_DONE)
		return complain(rep.status, "%s", rep.message);
	if (ctl->verbose || ctl->dry_run) {
		char text[SLP_VECTOR_MAX * 12];

		slp_vector_format(&ctl->vec, text, sizeof(text));
		printf("%s %s via the server on %s\n", ctl->dry_run ? "would set" : "set", text,
		       ctl->connect);
	}
	return EXIT_DONE;
}
