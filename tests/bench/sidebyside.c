// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sidebyside: run whole commands round-robin, one run of each in turn,
 * so that whatever drifts on the machine (caches, frequency, neighbours)
 * falls on all of them alike; print each one's median wall time, its
 * ratio to the first command's, and its peak RSS (from wait4()).
 *
 *   sidebyside [-r RUNS] [-w WARMUP] [-n NAME]... CMD [ARG]... [:: CMD [ARG]...]...
 *
 * A command that starts with @pidns=PATH is born in that pid namespace
 * (the driver enters it with setns() before the clock starts), so that
 * one that writes its own ns_last_pid writes a nest's, not the machine's.
 *
 * Output, one line per command, tab-separated:
 *   NAME  median-us  ratio-to-first  p10-us  p90-us  max-rss-KiB
 * then "#driver-rss  KiB": the driver's own peak. A command's peak RSS
 * as wait4() tells it is the larger of its own and that (posix_spawn
 * execs from the driver's memory, whose high-water mark carries over).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 16

extern char **environ;

struct cmd {
	char **argv;
	int pidns;		/* the pid namespace to be born in, or -1 */
	const char *name;
	double *us;		/* one wall time per measured run */
	long max_rss_kib;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int own_pidns = -1;

static void enter_pidns(int fd)
{
	if (fd >= 0 && setns(fd, CLONE_NEWPID) < 0) {
		perror("setns");
		exit(1);
	}
}

/* One run, stdout and stdin on /dev/null; exits if the command fails. */
static double run_once(struct cmd *cmd, posix_spawn_file_actions_t *actions)
{
	struct rusage usage;
	double start, end;
	int status;
	pid_t pid;

	enter_pidns(cmd->pidns);
	start = now_us();
	errno = posix_spawnp(&pid, cmd->argv[0], actions, NULL, cmd->argv, environ);
	if (errno) {
		perror(cmd->argv[0]);
		exit(1);
	}
	if (cmd->pidns >= 0)
		enter_pidns(own_pidns);
	if (wait4(pid, &status, 0, &usage) < 0) {
		perror("wait4");
		exit(1);
	}
	end = now_us();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "sidebyside: %s failed (status %#x)\n", cmd->name, status);
		exit(1);
	}
	if (usage.ru_maxrss > cmd->max_rss_kib)
		cmd->max_rss_kib = usage.ru_maxrss;
	return end - start;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double quantile(const double *sorted, int n, double q)
{
	return sorted[(int)(q * (n - 1) + 0.5)];
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t actions;
	struct cmd cmds[MAX_CMDS];
	const char *names[MAX_CMDS];
	int runs = 200, warmup = 10, ncmds = 0, nnames = 0, opt, i, r;
	double base = 0;

	while ((opt = getopt(argc, argv, "+r:w:n:")) != -1) {
		if (opt == 'r')
			runs = atoi(optarg);
		else if (opt == 'w')
			warmup = atoi(optarg);
		else if (opt == 'n' && nnames < MAX_CMDS)
			names[nnames++] = optarg;
		else
			return 2;
	}
	if (optind >= argc || runs < 1)
		return 2;
	/* Split the rest at "::" into commands. */
	for (i = optind; i < argc && ncmds < MAX_CMDS; i++) {
		cmds[ncmds] = (struct cmd){ .argv = &argv[i], .pidns = -1 };
		if (strncmp(argv[i], "@pidns=", 7) == 0) {
			cmds[ncmds].pidns = open(argv[i] + 7, O_RDONLY | O_CLOEXEC);
			own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
			if (cmds[ncmds].pidns < 0 || own_pidns < 0) {
				perror(argv[i] + 7);
				return 1;
			}
			cmds[ncmds].argv = &argv[++i];
		}
		while (i < argc && strcmp(argv[i], "::") != 0)
			i++;
		argv[i < argc ? i : argc] = NULL;
		cmds[ncmds].name = ncmds < nnames ? names[ncmds] : cmds[ncmds].argv[0];
		cmds[ncmds].us = calloc(runs, sizeof(double));
		if (!cmds[ncmds].us)
			return 1;
		ncmds++;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
	for (r = 0; r < warmup; r++)
		for (i = 0; i < ncmds; i++)
			run_once(&cmds[i], &actions);
	for (r = 0; r < runs; r++)
		for (i = 0; i < ncmds; i++)
			cmds[i].us[r] = run_once(&cmds[i], &actions);
	for (i = 0; i < ncmds; i++) {
		double median;

		qsort(cmds[i].us, runs, sizeof(double), by_value);
		median = quantile(cmds[i].us, runs, 0.5);
		if (i == 0)
			base = median;
		printf("%s\t%.0f\t%.2f\t%.0f\t%.0f\t%ld\n", cmds[i].name, median, median / base,
		       quantile(cmds[i].us, runs, 0.1), quantile(cmds[i].us, runs, 0.9),
		       cmds[i].max_rss_kib);
		free(cmds[i].us);
	}
	{
		struct rusage self;

		getrusage(RUSAGE_SELF, &self);
		printf("#driver-rss\t%ld\n", self.ru_maxrss);
	}
	return 0;
}
