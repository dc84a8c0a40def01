// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flood: many clients at once against a setlastpid --serve (or any server
 * of set_ns_last_pid's protocol), each a thread with a socket of its own
 * bound to an abstract address the kernel picks, sending a request and
 * waiting for its reply, REQUESTS times. Prints what came back, the
 * elapsed time, the rate and the spread of the time a request took.
 *
 *   flood [-c CLIENTS] [-n REQUESTS] [-p raw|slp1|mix] [-d DEPTH] [-b BASE]
 *         [-t TIMEOUT_MS] [-g] SOCKET
 *
 * -p raw: set_ns_last_pid's 4 bytes (a uint32 for level 0), 1 byte back;
 *    slp1: ours (src/wire.h), DEPTH values, the reply's status;
 *    mix: even clients raw, odd ones slp1 (default raw).
 * Request k of a client asks for BASE + k % 1000 (default BASE 1000) at
 * every level. -g: gone clients: each request from a new socket, closed at
 * once, no reply awaited (the count is of requests sent).
 *
 * One line out, key=value: clients requests done failed lost bad seconds
 * rate median_us p10_us p90_us p99_us max_us. lost: no reply within
 * TIMEOUT_MS (default 10000); bad: a reply not of the protocol. Exits 0
 * if every request was answered done (with -g: sent), 1 if not, 2 on
 * usage or system errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 32
#define SLP1_REQUEST_SIZE(nr) (12 + 4 * (size_t)(nr))

enum proto { RAW, SLP1 };

struct client {
	pthread_t thread;
	enum proto proto;
	long done, failed, lost, bad;
	double *us;		/* each request's round trip */
	int error;
};

static struct sockaddr_un server;
static socklen_t server_len;
static long requests = 1000;
static int depth = 1, timeout_ms = 10000, base = 1000;
static int gone;
static pthread_barrier_t start;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int new_socket(void)
{
	struct sockaddr_un self = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	/* autobind: an abstract address the kernel picks, for the reply */
	if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof(sa_family_t)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("flood: socket");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static size_t make_request(enum proto proto, long k, unsigned char *buf)
{
	uint32_t value = (uint32_t)(base + k % 1000);

	if (proto == RAW) {
		memcpy(buf, &value, 4);
		return 4;
	}
	uint32_t head[3] = { 0, 0, (uint32_t)depth };

	memcpy(head, "SLP1", 4);
	memcpy(buf, head, 12);
	for (int i = 0; i < depth; i++)
		memcpy(buf + 12 + 4 * i, &value, 4);
	return SLP1_REQUEST_SIZE(depth);
}

static void *run_client(void *arg)
{
	struct client *c = arg;
	unsigned char req[SLP1_REQUEST_SIZE(MAX_DEPTH)], rep[1024];
	int fd = gone ? -1 : new_socket();

	if (!gone && fd < 0) {
		c->error = 1;
		pthread_barrier_wait(&start);
		return NULL;
	}
	pthread_barrier_wait(&start);
	for (long k = 0; k < requests; k++) {
		size_t len = make_request(c->proto, k, req);
		double t0 = now_us();
		ssize_t got;

		if (gone) {
			fd = new_socket();
			if (fd < 0) {
				c->error = 1;
				return NULL;
			}
		}
		while (sendto(fd, req, len, 0, (struct sockaddr *)&server, server_len) < 0) {
			if (errno == EINTR)
				continue;
			perror("flood: sendto");
			c->error = 1;
			close(fd);
			return NULL;
		}
		if (gone) {
			close(fd);
			c->done++;
			c->us[k] = now_us() - t0;
			continue;
		}
		while ((got = recv(fd, rep, sizeof(rep), 0)) < 0 && errno == EINTR)
			;
		c->us[k] = now_us() - t0;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->lost++;
			continue;
		}
		if (got < 0) {
			perror("flood: recv");
			c->error = 1;
			break;
		}
		if (c->proto == RAW && got == 1 && rep[0] <= 1) {
			rep[0] == 0 ? c->done++ : c->failed++;
		} else if (c->proto == SLP1 && got >= 17 && memcmp(rep, "SLP1", 4) == 0) {
			int32_t status;

			memcpy(&status, rep + 4, 4);
			status == 0 ? c->done++ : c->failed++;
		} else {
			c->bad++;
		}
	}
	if (!gone)
		close(fd);
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int clients = 8, opt, mode = RAW, mixed = 0;
	long done = 0, failed = 0, lost = 0, bad = 0, total;
	struct client *c;
	double t0, seconds, *all;
	const char *name;
	size_t n;

	while ((opt = getopt(argc, argv, "c:n:p:d:b:t:g")) != -1) {
		switch (opt) {
		case 'c': clients = atoi(optarg); break;
		case 'n': requests = atol(optarg); break;
		case 'd': depth = atoi(optarg); break;
		case 'b': base = atoi(optarg); break;
		case 't': timeout_ms = atoi(optarg); break;
		case 'g': gone = 1; break;
		case 'p':
			if (strcmp(optarg, "raw") == 0)
				mode = RAW;
			else if (strcmp(optarg, "slp1") == 0)
				mode = SLP1;
			else if (strcmp(optarg, "mix") == 0)
				mixed = 1;
			else
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 1 || clients < 1 || requests < 1 || depth < 1 || depth > MAX_DEPTH ||
	    timeout_ms < 1) {
		fprintf(stderr, "usage: flood [-c CLIENTS] [-n REQUESTS] [-p raw|slp1|mix] [-d DEPTH] "
			"[-b BASE] [-t TIMEOUT_MS] [-g] SOCKET\n");
		return 2;
	}
	name = argv[optind];
	n = strlen(name);
	if (n == 0 || n >= sizeof(server.sun_path))
		return 2;
	server.sun_family = AF_UNIX;
	memcpy(server.sun_path, name, n);
	if (name[0] == '@')
		server.sun_path[0] = '\0';
	server_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] != '@'));

	c = calloc((size_t)clients, sizeof(*c));
	all = calloc((size_t)clients * (size_t)requests, sizeof(double));
	if (!c || !all)
		return 2;
	pthread_barrier_init(&start, NULL, (unsigned int)clients + 1);
	for (int i = 0; i < clients; i++) {
		c[i].proto = mixed ? (i % 2 ? SLP1 : RAW) : (enum proto)mode;
		c[i].us = all + (size_t)i * (size_t)requests;
		errno = pthread_create(&c[i].thread, NULL, run_client, &c[i]);
		if (errno) {
			perror("flood: pthread_create");
			return 2;
		}
	}
	pthread_barrier_wait(&start);
	t0 = now_us();
	for (int i = 0; i < clients; i++) {
		pthread_join(c[i].thread, NULL);
		if (c[i].error)
			return 2;
		done += c[i].done;
		failed += c[i].failed;
		lost += c[i].lost;
		bad += c[i].bad;
	}
	seconds = (now_us() - t0) / 1e6;
	total = (long)clients * requests;
	qsort(all, (size_t)total, sizeof(double), by_value);
	printf("clients=%d requests=%ld done=%ld failed=%ld lost=%ld bad=%ld seconds=%.3f rate=%.0f "
	       "median_us=%.1f p10_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f\n",
	       clients, total, done, failed, lost, bad, seconds, total / seconds,
	       all[total / 2], all[total / 10], all[total * 9 / 10], all[total * 99 / 100],
	       all[total - 1]);
	return done == total ? 0 : 1;
}
