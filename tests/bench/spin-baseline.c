// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The baseline for the spin method: what set_ns_last_pid does to move
 * the counter, written from its description. nproc + 2 threads, each
 * taking a shared count under a mutex and creating a task with
 * clone(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD
 * | CLONE_SYSVSEM | CLONE_VFORK) that exits at once; the main thread
 * waits on a condition variable until COUNT tasks were created.
 *
 *   spin-baseline COUNT
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
	       CLONE_SYSVSEM | CLONE_VFORK)
#define STACK 16384

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static long created, wanted;

static int child(void *arg)
{
	(void)arg;
	return 0;
}

static void *worker(void *arg)
{
	char *stack = malloc(STACK);

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		if (created >= wanted) {
			pthread_cond_signal(&done);
			pthread_mutex_unlock(&lock);
			break;
		}
		created++;
		pthread_mutex_unlock(&lock);
		if (clone(child, stack + STACK, FLAGS, NULL) < 0) {
			perror("clone");
			exit(1);
		}
	}
	free(stack);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) + 2;
	pthread_t *threads;

	if (argc != 2 || (wanted = atol(argv[1])) <= 0)
		return 2;
	threads = calloc((size_t)n, sizeof(*threads));
	for (long i = 0; i < n; i++)
		pthread_create(&threads[i], NULL, worker, NULL);
	pthread_mutex_lock(&lock);
	while (created < wanted)
		pthread_cond_wait(&done, &lock);
	pthread_mutex_unlock(&lock);
	for (long i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	return 0;
}
