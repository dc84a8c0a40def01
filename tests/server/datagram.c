// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * datagram: send one datagram of any make to a UNIX datagram socket, from
 * an abstract address the kernel picks, and print the reply: for the
 * malformed requests of tests/server.bats.
 *
 *   datagram [-t TIMEOUT_MS] SOCKET PART...
 *
 * The datagram is its PARTs one after another: u32:N (a native-endian
 * 32-bit integer; N may be negative), zero:N (N zero bytes), str:TEXT
 * (its bytes, no NUL). No PART: an empty datagram.
 *
 * Prints one line: "reply 1 byte: V", "reply N bytes: SLP1 status S
 * level L errnum E: MESSAGE", or "reply N bytes: not the protocol's".
 * Exits 0 if a reply came, 2 if none did within TIMEOUT_MS (default
 * 10000) or on an error.
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

#define MAX_DATAGRAM (1 << 20)

int main(int argc, char **argv)
{
	struct sockaddr_un server = { .sun_family = AF_UNIX }, self = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	unsigned char *buf = calloc(1, MAX_DATAGRAM), rep[2048];
	size_t len = 0, n;
	ssize_t got;
	int fd, opt, ms;

	while ((opt = getopt(argc, argv, "+t:")) != -1) {
		if (opt != 't')
			return 2;
		ms = atoi(optarg);
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
	}
	if (!buf || argc - optind < 1) {
		fprintf(stderr, "usage: datagram [-t TIMEOUT_MS] SOCKET PART...\n");
		return 2;
	}
	n = strlen(argv[optind]);
	if (n == 0 || n >= sizeof(server.sun_path))
		return 2;
	memcpy(server.sun_path, argv[optind], n);
	if (argv[optind][0] == '@')
		server.sun_path[0] = '\0';
	for (int i = optind + 1; i < argc; i++) {
		const char *part = argv[i];

		if (strncmp(part, "u32:", 4) == 0) {
			uint32_t v = (uint32_t)strtoll(part + 4, NULL, 0);

			if (len + 4 > MAX_DATAGRAM)
				return 2;
			memcpy(buf + len, &v, 4);
			len += 4;
		} else if (strncmp(part, "zero:", 5) == 0) {
			size_t z = strtoul(part + 5, NULL, 0);

			if (len + z > MAX_DATAGRAM)
				return 2;
			len += z;	/* calloc'd */
		} else if (strncmp(part, "str:", 4) == 0) {
			size_t s = strlen(part + 4);

			if (len + s > MAX_DATAGRAM)
				return 2;
			memcpy(buf + len, part + 4, s);
			len += s;
		} else {
			fprintf(stderr, "datagram: unknown part '%s'\n", part);
			return 2;
		}
	}
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof(sa_family_t)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("datagram: socket");
		return 2;
	}
	/* a large datagram needs the room for it */
	{
		int size = 2 * MAX_DATAGRAM;

		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&server,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (argv[optind][0] != '@'))) < 0) {
		perror("datagram: sendto");
		return 2;
	}
	got = recv(fd, rep, sizeof(rep) - 1, 0);
	if (got < 0) {
		perror(errno == EAGAIN ? "datagram: no reply in time" : "datagram: recv");
		return 2;
	}
	if (got == 1) {
		printf("reply 1 byte: %u\n", rep[0]);
	} else if (got >= 17 && memcmp(rep, "SLP1", 4) == 0) {
		int32_t status, level, errnum;

		memcpy(&status, rep + 4, 4);
		memcpy(&level, rep + 8, 4);
		memcpy(&errnum, rep + 12, 4);
		rep[got] = '\0';
		printf("reply %zd bytes: SLP1 status %d level %d errnum %d: %s\n", got, (int)status,
		       (int)level, (int)errnum, (const char *)rep + 16);
	} else {
		printf("reply %zd bytes: not the protocol's\n", got);
	}
	return 0;
}
