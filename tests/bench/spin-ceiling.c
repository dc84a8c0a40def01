// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ceiling for the spin method: a bare, lock-free loop of the
 * cheapest task creation there is (src/lib/spinsys.h, the spin method's
 * own), on every CPU, with nothing else: no /proc, no counter read, no
 * landing.
 *
 *   spin-ceiling COUNT
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "spinsys.h"

static long budget;

static void *worker(void *arg)
{
	(void)arg;
	while (__atomic_sub_fetch(&budget, 1, __ATOMIC_RELAXED) >= 0)
		if (spin_once() < 0) {
			perror("clone");
			exit(1);
		}
	return NULL;
}

int main(int argc, char **argv)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t *threads;
	sigset_t all;

	if (argc != 2 || (budget = atol(argv[1])) <= 0)
		return 2;
	/* a new task runs on its creator's stack pointer: no signal may come to it */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	threads = calloc((size_t)n, sizeof(*threads));
	for (long i = 1; i < n; i++)
		pthread_create(&threads[i], NULL, worker, NULL);
	worker(NULL);
	for (long i = 1; i < n; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	return 0;
}
