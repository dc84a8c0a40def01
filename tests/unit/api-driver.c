// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Drives libsetlastpid the way a long-running restore tool would, for
 * tests/library.bats: one target, many calls, failures among them, and
 * two threads on two targets at once. Prints what it did; exits 0 only
 * if every call did what it should and no descriptor was left behind.
 *
 *   api-driver rounds NS_PATH VECTOR N
 *   api-driver threads NS_PATH_A VECTOR_A NS_PATH_B VECTOR_B N
 *   api-driver back NS_PATH VECTOR
 *   api-driver floor NS_PATH VECTOR
 *   api-driver signals NS_PATH VECTOR N
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "setlastpid.h"
#include "open-fds.h"

static void parse_or_die(const char *text, struct slp_vector *vec)
{
	char why[128];

	if (slp_vector_parse(text, vec, why, sizeof(why)) < 0) {
		fprintf(stderr, "api-driver: %s: %s\n", text, why);
		exit(2);
	}
}

static int complain(const char *what, const struct slp_error *err)
{
	char text[512];

	fprintf(stderr, "api-driver: %s: %s (status %d)\n", what,
		slp_strerror(err, text, sizeof(text)), slp_exit_status(err));
	return -1;
}

/* One round: a dry run, a set, 32 levels (too deep: refused), COMMAND at the pids. */
static int round_on(struct slp_target *target, const struct slp_vector *vec)
{
	struct slp_options dry = { .flags = SLP_DRY_RUN };
	struct slp_vector deep = *vec;
	char *argv[] = { "true", NULL };
	struct slp_error err;
	int status;
	pid_t pid;

	if (slp_set(target, vec, &dry, NULL, &err) < 0)
		return complain("dry run", &err);
	if (slp_set(target, vec, NULL, NULL, &err) < 0)
		return complain("set", &err);
	/* more levels than any nest this test makes, seen from here */
	while (deep.nr < SLP_VECTOR_MAX)
		deep.pid[deep.nr++] = 1;
	if (slp_set(target, &deep, NULL, NULL, &err) == 0 || err.code != SLP_E_TOO_DEEP) {
		fprintf(stderr, "api-driver: a vector too deep was not refused as such\n");
		return -1;
	}
	if (slp_spawn(target, vec, NULL, argv, NULL, &pid, NULL, &err) < 0)
		return complain("spawn", &err);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "api-driver: COMMAND did not exit 0\n");
		return -1;
	}
	return 0;
}

static int rounds(const char *path, const char *text, int n)
{
	struct slp_target *target;
	struct slp_vector vec;
	struct slp_error err;
	int fds;

	parse_or_die(text, &vec);
	if (slp_target_open(&target, path, &err) < 0)
		return complain(path, &err);
	/* The target keeps the levels it resolves: count from the first round on. */
	if (round_on(target, &vec) < 0)
		return -1;
	fds = open_fds();
	for (int i = 1; i < n; i++) {
		if (round_on(target, &vec) < 0)
			return -1;
		if (open_fds() != fds) {
			fprintf(stderr, "api-driver: round %d: %d descriptors open, %d before\n", i,
				open_fds(), fds);
			return -1;
		}
	}
	/* the last word: the counters at VECTOR, for the test to see */
	if (slp_set(target, &vec, NULL, NULL, &err) < 0)
		return complain("set", &err);
	slp_target_free(target);
	printf("%d rounds, %d descriptors open throughout\n", n, fds);
	return 0;
}

struct worker {
	pthread_t thread;
	const char *path;
	struct slp_vector vec;
	int n;
	int failed;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct slp_target *target;
	struct slp_error err;

	if (slp_target_open(&target, w->path, &err) < 0) {
		w->failed = complain(w->path, &err);
		return NULL;
	}
	for (int i = 0; i < w->n && !w->failed; i++)
		if (slp_set(target, &w->vec, NULL, NULL, &err) < 0)
			w->failed = complain(w->path, &err);
	slp_target_free(target);
	return NULL;
}

static int threads(char **argv, int n)
{
	struct worker w[2] = {
		{ .path = argv[0], .n = n }, { .path = argv[2], .n = n },
	};

	parse_or_die(argv[1], &w[0].vec);
	parse_or_die(argv[3], &w[1].vec);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0)
			return -1;
	for (int i = 0; i < 2; i++)
		pthread_join(w[i].thread, NULL);
	if (w[0].failed || w[1].failed)
		return -1;
	printf("2 threads, %d sets each\n", n);
	return 0;
}

/* The namespace this thread's next child is born in. */
static ino_t pid_for_children(void)
{
	struct stat st;

	return stat("/proc/thread-self/ns/pid_for_children", &st) == 0 ? st.st_ino : 0;
}

/*
 * Each call that enters the levels, failing or not, leaves this thread's
 * next child where it was (a fault may make any of them fail: that is
 * the test's doing, and told, but not judged here).
 */
static int back(const char *path, const char *text)
{
	static const char *const names[] = { "dry run", "set", "spawn", "get" };
	char *argv[] = { "true", NULL };
	ino_t before = pid_for_children();
	struct slp_target *target;
	struct slp_vector vec, got;
	struct slp_error err;
	int moved = 0, ret, status;
	pid_t pid;

	parse_or_die(text, &vec);
	if (slp_target_open(&target, path, &err) < 0)
		return complain(path, &err);
	for (int call = 0; call < 4; call++) {
		switch (call) {
		case 0:
			ret = slp_set(target, &vec, &(struct slp_options){ .flags = SLP_DRY_RUN },
				      NULL, &err);
			break;
		case 1:
			ret = slp_set(target, &vec, NULL, NULL, &err);
			break;
		case 2:
			ret = slp_spawn(target, &vec, NULL, argv, NULL, &pid, NULL, &err);
			if (ret == 0)
				waitpid(pid, &status, 0);
			break;
		default:
			ret = slp_get(target, &got, NULL, &err);
			break;
		}
		if (ret < 0)
			complain(names[call], &err);
		if (pid_for_children() != before) {
			fprintf(stderr, "api-driver: after the %s, this thread's next child is "
					"born elsewhere\n", names[call]);
			moved = 1;
		}
	}
	slp_target_free(target);
	if (moved)
		return -1;
	printf("pid_for_children kept\n");
	return 0;
}

/* A 1.0 caller's report, and what lies after it in its memory. */
struct old_report {
	enum slp_method method;
	uint32_t nr;
	uint64_t level_ino[SLP_VECTOR_MAX];
	uint64_t tasks;
	unsigned char after[4 + 4 * SLP_VECTOR_MAX];
};

/*
 * SLP_AT_LEAST through slp_set() and a holder: each prints, per level,
 * "left VALUE" or "set VALUE". A call without the flag writes no byte
 * past a 1.0 report.
 */
static int floor_of(const char *path, const char *text)
{
	struct slp_options opts = { .flags = SLP_AT_LEAST };
	union { struct slp_report report; struct old_report old; } u;
	struct slp_target *target;
	struct slp_holder *holder;
	struct slp_vector vec;
	struct slp_error err;
	int ret = 0;

	parse_or_die(text, &vec);
	if (slp_target_open(&target, path, &err) < 0)
		return complain(path, &err);
	memset(&u, 0xa5, sizeof(u));
	if (slp_set(target, &vec, &(struct slp_options){ .flags = SLP_DRY_RUN }, &u.report, &err) < 0)
		ret = complain("dry run", &err);
	for (size_t i = 0; i < sizeof(u.old.after); i++)
		if (u.old.after[i] != 0xa5) {
			fprintf(stderr, "api-driver: a report without SLP_AT_LEAST written past "
					"1.0's end, at byte %zu of what follows it\n", i);
			ret = -1;
			break;
		}
	if (ret == 0 && slp_set(target, &vec, &opts, &u.report, &err) < 0)
		ret = complain("floor", &err);
	for (unsigned int i = 0; ret == 0 && i < u.report.nr; i++)
		printf("%s %d\n", u.report.past & (1u << i) ? "left" : "set", u.report.value[i]);
	if (ret == 0 && slp_holder_open(&holder, target, NULL, &err) == 0) {
		if (slp_holder_set(holder, &vec, SLP_AT_LEAST, &err) < 0)
			ret = complain("holder's floor", &err);
		else
			printf("holder: done\n");
		slp_holder_free(holder);
	} else if (ret == 0) {
		ret = complain("holder", &err);
	}
	if (ret == 0 && slp_spawn(target, &vec, &opts, (char *[]){ "true", NULL }, NULL,
				  &(pid_t){ 0 }, NULL, &err) == 0) {
		fprintf(stderr, "api-driver: slp_spawn() took SLP_AT_LEAST\n");
		ret = -1;
	}
	slp_target_free(target);
	return ret;
}

/*
 * A caller with a handler for SIGUSR1, which it does not block, and a
 * thread that sends it to the whole process group all along: N spawns,
 * preset, at VECTOR + 3i, where the counter is not. Each must be refused
 * by the child's own check (SLP_E_STOLEN), however the signal falls, and
 * the caller's handler must never run in a child.
 */
static pid_t driver_pid;
static volatile sig_atomic_t stop_sending;
static int handled_in_child[2] = { -1, -1 };

static void on_usr1(int sig)
{
	(void)sig;
	if (getpid() != driver_pid)
		(void)!write(handled_in_child[1], "!", 1);
}

static void *send_usr1(void *arg)
{
	(void)arg;
	while (!stop_sending)
		kill(0, SIGUSR1);
	return NULL;
}

static int signals(const char *path, const char *text, int n)
{
	struct slp_options preset = { .method = SLP_METHOD_PRESET };
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct slp_target *target;
	struct slp_vector vec;
	struct slp_error err;
	int refused = 0, ret = 0;
	pthread_t sender;
	char byte;

	parse_or_die(text, &vec);
	/* a process group of its own: the signals go to no one else */
	if (setpgid(0, 0) < 0 || pipe(handled_in_child) < 0)
		return -1;
	driver_pid = getpid();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (slp_target_open(&target, path, &err) < 0)
		return complain("open", &err);
	pthread_create(&sender, NULL, send_usr1, NULL);
	for (int i = 0; i < n && ret == 0; i++) {
		struct slp_vector at = vec;
		pid_t pid;

		at.pid[0] += 3 * i;
		if (slp_spawn(target, &at, &preset, (char *[]){ "true", NULL }, NULL, &pid, NULL,
			      &err) == 0) {
			fprintf(stderr, "api-driver: spawn %d: 0, pid %d, though %d was not the next\n", i,
				(int)pid, at.pid[0] + 1);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			ret = -1;
		} else if (err.code == SLP_E_STOLEN) {
			refused++;
		} else {
			ret = complain("spawn", &err);
		}
	}
	stop_sending = 1;
	pthread_join(sender, NULL);
	slp_target_free(target);
	close(handled_in_child[1]);
	if (read(handled_in_child[0], &byte, 1) == 1) {
		fprintf(stderr, "api-driver: the caller's handler ran in a child\n");
		ret = -1;
	}
	printf("%d of %d refused by the child's check\n", refused, n);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "floor") == 0)
		return floor_of(argv[2], argv[3]) ? 1 : 0;
	if (argc == 5 && strcmp(argv[1], "rounds") == 0)
		return rounds(argv[2], argv[3], atoi(argv[4])) ? 1 : 0;
	if (argc == 7 && strcmp(argv[1], "threads") == 0)
		return threads(argv + 2, atoi(argv[6])) ? 1 : 0;
	if (argc == 4 && strcmp(argv[1], "back") == 0)
		return back(argv[2], argv[3]) ? 1 : 0;
	if (argc == 5 && strcmp(argv[1], "signals") == 0)
		return signals(argv[2], argv[3], atoi(argv[4])) ? 1 : 0;
	fprintf(stderr, "usage: api-driver rounds NS_PATH VECTOR N\n"
			"       api-driver threads NS_PATH_A VECTOR_A NS_PATH_B VECTOR_B N\n"
			"       api-driver back NS_PATH VECTOR\n"
			"       api-driver floor NS_PATH VECTOR\n"
			"       api-driver signals NS_PATH VECTOR N\n");
	return 2;
}
