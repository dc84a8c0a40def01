// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * signal-at: run COMMAND, send it a signal DELAY microseconds after it was
 * forked, wait for it and exit with its status as a shell reports it
 * (128 + N for signal N). For the fault suite: a Ctrl-C or a kill that
 * lands while setlastpid is setting the levels.
 *
 *   signal-at [-g | -G] [-e] [-r FILE] SIGNAL DELAY COMMAND [ARG...]
 *
 * SIGNAL is a name (INT, TERM, KILL, ...) or a number; 0 sends none.
 * -g  COMMAND leads a process group of its own; the signal goes to it alone.
 * -G  the same, and the signal goes to the whole group, as the terminal's
 *     Ctrl-C goes to every process of the foreground job.
 * -e  print COMMAND's running time, "elapsed US", on standard error.
 * -r FILE  be a child subreaper: the processes COMMAND leaves behind come
 *     to signal-at, not to init. Once COMMAND is gone, wait up to 2 s for
 *     them, reap them, kill those still alive then, and write
 *     "orphans N alive M" to FILE: N left behind, M of them still alive
 *     after 2 s.
 * COMMAND starts with every signal unblocked and SIGINT, SIGQUIT, SIGTERM
 * and SIGPIPE at their default (a background job of a shell ignores
 * SIGINT). Exit 125 on a usage or system error of signal-at itself.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ORPHAN_WAIT_US 2000000LL

static const struct {
	const char *name;
	int sig;
} names[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },
};

static int usage(void)
{
	fputs("usage: signal-at [-g | -G] [-e] [-r FILE] SIGNAL DELAY_US COMMAND [ARG...]\n", stderr);
	return 125;
}

static int parse_signal(const char *text)
{
	char *end;
	long n;

	if (strncmp(text, "SIG", 3) == 0)
		text += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(text, names[i].name) == 0)
			return names[i].sig;
	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || *end || end == text || n < 0 || n >= NSIG)
		return -1;
	return (int)n;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until(long long t)
{
	struct timespec at = { .tv_sec = t / 1000000, .tv_nsec = (t % 1000000) * 1000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
		;
}

/* Kill the children still alive (helpers are no threads: each is a child of its own). */
static void kill_children(void)
{
	char path[64];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
	f = fopen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		kill(pid, SIGKILL);
	fclose(f);
}

/* Reap what COMMAND left behind: how many there were, how many outlived the wait. */
static void reap_orphans(const char *report)
{
	long long deadline = now_us() + ORPHAN_WAIT_US;
	int orphans = 0, alive = 0;
	FILE *f;
	pid_t got;

	for (;;) {
		got = waitpid(-1, NULL, WNOHANG | __WALL);
		if (got > 0) {
			orphans++;
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;	/* ECHILD: none left */
		if (now_us() >= deadline) {
			kill_children();
			while ((got = waitpid(-1, NULL, __WALL)) > 0 || (got < 0 && errno == EINTR))
				if (got > 0) {
					orphans++;
					alive++;
				}
			break;
		}
		sleep_until(now_us() + 1000);
	}
	f = fopen(report, "w");
	if (!f || fprintf(f, "orphans %d alive %d\n", orphans, alive) < 0 || fclose(f) != 0)
		perror("signal-at: the orphans' report");
}

int main(int argc, char **argv)
{
	bool group = false, to_group = false, elapsed = false;
	const char *report = NULL;
	long long start, delay;
	int opt, sig, wstatus;
	sigset_t none;
	char *end;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+gGer:")) != -1) {
		switch (opt) {
		case 'G':
			to_group = true;
			/* fall through */
		case 'g':
			group = true;
			break;
		case 'e':
			elapsed = true;
			break;
		case 'r':
			report = optarg;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind < 3)
		return usage();
	sig = parse_signal(argv[optind]);
	errno = 0;
	delay = strtoll(argv[optind + 1], &end, 10);
	if (sig < 0 || errno || *end || delay < 0)
		return usage();
	if (report && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("signal-at: PR_SET_CHILD_SUBREAPER");
		return 125;
	}

	start = now_us();
	pid = fork();
	if (pid < 0) {
		perror("signal-at: fork");
		return 125;
	}
	if (pid == 0) {
		static const int defaults[] = { SIGINT, SIGQUIT, SIGTERM, SIGPIPE };

		if (group)
			setpgid(0, 0);
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			signal(defaults[i], SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[optind + 2], &argv[optind + 2]);
		fprintf(stderr, "signal-at: cannot run %s: %s\n", argv[optind + 2], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	/* the group exists before a signal is sent to it, whoever runs first */
	if (group)
		setpgid(pid, pid);
	if (sig > 0) {
		sleep_until(start + delay);
		if (kill(to_group ? -pid : pid, sig) < 0 && errno != ESRCH) {
			perror("signal-at: kill");
			return 125;
		}
	}
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR) {
			perror("signal-at: waitpid");
			return 125;
		}
	if (elapsed)
		fprintf(stderr, "elapsed %lld\n", now_us() - start);
	if (report)
		reap_orphans(report);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}
