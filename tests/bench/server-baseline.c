// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * server-baseline: what set_ns_last_pid's server does, as the floor of
 * make bench's server section: a UNIX datagram socket, then for each
 * 4-byte request (a native-endian uint32) an lseek and a write of it to
 * the one ns_last_pid it has open, its own namespace's, and a 1-byte
 * reply, 0 done, 1 not. Start it in the namespace to serve.
 *
 *   server-baseline SOCKET
 *
 * SOCKET is a path (removed first if it exists) or @NAME. Runs until
 * SIGTERM or SIGINT, then removes a path it made and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX }, from;
	struct sigaction sa = { .sa_handler = on_stop };
	socklen_t from_len;
	size_t n;
	int fd, sysctl;

	if (argc != 2 || (n = strlen(argv[1])) == 0 || n >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: server-baseline SOCKET\n");
		return 2;
	}
	memcpy(addr.sun_path, argv[1], n);
	if (argv[1][0] == '@')
		addr.sun_path[0] = '\0';
	else
		unlink(argv[1]);
	sysctl = open("/proc/sys/kernel/ns_last_pid", O_RDWR | O_CLOEXEC);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sysctl < 0 || fd < 0 ||
	    bind(fd, (struct sockaddr *)&addr,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (argv[1][0] != '@'))) < 0) {
		perror("server-baseline");
		return 1;
	}
	/* no SA_RESTART: a signal ends the recvfrom */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		uint32_t value;
		unsigned char reply = 1;
		char text[16];
		ssize_t got;
		int len;

		from_len = sizeof(from);
		got = recvfrom(fd, &value, sizeof(value), MSG_TRUNC, (struct sockaddr *)&from, &from_len);
		if (got < 0)
			continue;
		if (got == sizeof(value) && value <= INT32_MAX) {
			len = snprintf(text, sizeof(text), "%u", value);
			if (lseek(sysctl, 0, SEEK_SET) == 0 && write(sysctl, text, (size_t)len) == len)
				reply = 0;
		}
		sendto(fd, &reply, 1, MSG_DONTWAIT, (struct sockaddr *)&from, from_len);
	}
	if (argv[1][0] != '@')
		unlink(argv[1]);
	return 0;
}
