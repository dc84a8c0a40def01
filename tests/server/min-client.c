// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * min-client: a client of set_ns_last_pid's protocol written from its
 * description alone, as that project's example client is: a UNIX datagram
 * socket bound to an abstract address of its own, 4 bytes sent (a
 * native-endian uint32, the last pid of the server's namespace), 1 byte
 * received (0 done, 1 failure). Nothing of setlastpid is used.
 *
 *   min-client [-f] [-t TIMEOUT_MS] SOCKET VALUE
 *
 * SOCKET is a path, or @NAME for the abstract namespace. -f: both addresses
 * as set_ns_last_pid's example client makes them: the whole struct
 * sockaddr_un long, zero-padded, its own the abstract name "test" followed
 * by its pid's 4 bytes. VALUE is sent as a uint32: -1 goes as
 * 0xffffffff. Exits 0 on a reply of 0, 1 on a reply
 * of 1, 2 on anything else (no reply in time, a reply of another size or
 * value, an error); says which on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t address(const char *name, struct sockaddr_un *addr, int full)
{
	size_t n = strlen(name);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(addr->sun_path)) {
		fprintf(stderr, "min-client: bad socket name '%s'\n", name);
		exit(2);
	}
	memcpy(addr->sun_path, name, n);
	if (full) {
		if (name[0] == '@')
			addr->sun_path[0] = '\0';
		return (socklen_t)sizeof(*addr);
	}
	if (name[0] == '@') {
		addr->sun_path[0] = '\0';	/* abstract: the length ends the name */
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

int main(int argc, char **argv)
{
	struct sockaddr_un server, self = { .sun_family = AF_UNIX };
	struct timeval timeout = { .tv_sec = 10 };
	socklen_t server_len, self_len;
	unsigned char reply[2];
	long long value;
	uint32_t request;
	pid_t self_pid = getpid();
	char *end;
	ssize_t got;
	int fd, opt, full = 0;

	while ((opt = getopt(argc, argv, "+ft:")) != -1) {
		if (opt == 'f') {
			full = 1;
			continue;
		}
		if (opt != 't')
			return 2;
		long ms = atol(optarg);

		timeout.tv_sec = ms / 1000;
		timeout.tv_usec = (ms % 1000) * 1000;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: min-client [-f] [-t TIMEOUT_MS] SOCKET VALUE\n");
		return 2;
	}
	server_len = address(argv[optind], &server, full);
	errno = 0;
	value = strtoll(argv[optind + 1], &end, 0);
	if (*end || errno || value < INT32_MIN || value > UINT32_MAX) {
		fprintf(stderr, "min-client: bad value '%s'\n", argv[optind + 1]);
		return 2;
	}
	request = (uint32_t)value;

	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("min-client: socket");
		return 2;
	}
	/* an abstract address of our own, for the reply: "\0min-client-PID" */
	self_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			       snprintf(self.sun_path + 1, sizeof(self.sun_path) - 1,
					"min-client-%d", (int)self_pid));
	if (full) {
		memset(self.sun_path, 0, sizeof(self.sun_path));
		memcpy(self.sun_path + 1, "test", 4);
		memcpy(self.sun_path + 5, &self_pid, sizeof(self_pid));
		self_len = (socklen_t)sizeof(self);
	}
	if (bind(fd, (struct sockaddr *)&self, self_len) < 0) {
		perror("min-client: bind");
		return 2;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0) {
		perror("min-client: SO_RCVTIMEO");
		return 2;
	}
	if (sendto(fd, &request, sizeof(request), 0, (struct sockaddr *)&server, server_len) !=
	    (ssize_t)sizeof(request)) {
		perror("min-client: sendto");
		return 2;
	}
	got = recvfrom(fd, reply, sizeof(reply), MSG_TRUNC, NULL, NULL);
	if (got < 0) {
		perror(errno == EAGAIN ? "min-client: no reply in time" : "min-client: recvfrom");
		return 2;
	}
	if (got != 1 || reply[0] > 1) {
		fprintf(stderr, "min-client: a reply of %zd bytes, first %#x: not the protocol's\n",
			got, got > 0 ? reply[0] : 0);
		return 2;
	}
	return reply[0];
}
