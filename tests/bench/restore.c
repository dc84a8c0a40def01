// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * restore: a thousand processes rebuilt at recorded pids in a fresh nest
 * three deep, each way a restorer has, side by side: every round makes
 * each way's nest anew and runs the ways one after another, so that
 * whatever drifts on the machine falls on all alike.
 *
 *   restore [-n PROCESSES] [-r ROUNDS] [-w WAY] SETLASTPID NOOP
 *
 * The record: process i has pid 10 + 2i in the innermost level, 3000 +
 * 3i in the middle one and 9000 + i in the outermost, free in a fresh
 * nest; its parent is the restorer (as CRIU's root task is the parent of
 * what it forks first). Each process is NOOP, a static program that
 * exits at once, waited for before the next: what is timed is one
 * process, from nothing to reaped, exact at every level. The ways:
 *
 *   floor         a bare loop: clone3() with set_tid at every level, exec, wait
 *   lib exact     slp_spawn() with SLP_EXACT
 *   lib counters  slp_spawn() with the sysctl method, helpers made per call
 *   lib kept      slp_holder_set() then slp_spawn() with SLP_METHOD_PRESET:
 *                 a kept crew, the server's core, for hosts without clone3()
 *   cmd exact     setlastpid --exact --ns NEST VECTOR -- NOOP
 *   cmd counters  setlastpid --ns NEST VECTOR -- NOOP
 *   server        one SLP1 request to setlastpid --serve --ns NEST, then
 *                 slp_spawn() with SLP_METHOD_PRESET (what --connect does)
 *   shared floor  the floor's loop, each process made as posix_spawn()
 *                 makes one: clone3() with CLONE_VM | CLONE_VFORK, no page
 *                 table copied (x86-64; elsewhere the row is left out)
 *   static        with -s STATIC, the command's two ways again, STATIC a
 *                 setlastpid linked as ./configure LDFLAGS=-static links it
 *
 * -w WAY runs the floor and that way alone (0 to 9, in the order above).
 *
 * Output, one line per way, tab-separated: NAME, processes per second
 * (median of the rounds), per-process median and p90 in microseconds
 * (over every process of every round), peak RSS in KiB (the worker's own,
 * and its largest child's), the ratio of the median to the floor's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "setlastpid.h"

#define DEPTH 3

extern char **environ;

enum way { FLOOR, LIB_EXACT, LIB_COUNTERS, LIB_KEPT, CMD_EXACT, CMD_COUNTERS, SERVER, SHARED_FLOOR,
	   STATIC_EXACT, STATIC_COUNTERS, WAYS };

static const char *const way_names[WAYS] = {
	"floor: clone3() set_tid loop", "library, SLP_EXACT", "library, counters (helpers per call)",
	"library, counters (kept crew)", "command, --exact", "command, counters",
	"server, a request per process", "floor, in shared memory (CLONE_VM | CLONE_VFORK)",
	"command, --exact (static build)", "command, counters (static build)",
};

static int processes = 1000, rounds = 3, only = -1;
static const char *setlastpid, *setlastpid_static, *noop;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Process i's recorded pids, innermost first. */
static void record(int i, pid_t pids[DEPTH])
{
	pids[0] = 10 + 2 * i;
	pids[1] = 3000 + 3 * i;
	pids[2] = 9000 + i;
}

/*
 * A fresh nest DEPTH deep below us, held by its innermost init: the pid
 * of its top (ours to kill: the rest die with it) and of that init, as we
 * number them.
 */
static pid_t nest_make(pid_t *inner)
{
	int fds[2];
	pid_t top, child;

	if (pipe(fds) < 0)
		die("pipe");
	top = fork();
	if (top < 0)
		die("fork");
	if (top == 0) {
		close(fds[0]);
		for (int i = 0; i < DEPTH; i++) {
			if (unshare(CLONE_NEWPID) < 0)
				die("unshare");
			child = fork();
			if (child < 0)
				die("fork");
			if (child > 0) {
				waitpid(child, NULL, 0);
				_exit(0);
			}
			prctl(PR_SET_PDEATHSIG, SIGKILL);
		}
		/* the innermost init: its pid as /proc (the driver's) numbers it */
		char line[256];
		FILE *status = fopen("/proc/self/status", "r");
		pid_t outer = 0;

		while (status && fgets(line, sizeof(line), status))
			if (sscanf(line, "NSpid: %d", &outer) == 1)
				break;
		if (write(fds[1], &outer, sizeof(outer)) != sizeof(outer))
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (read(fds[0], inner, sizeof(*inner)) != sizeof(*inner) || *inner <= 0) {
		fprintf(stderr, "restore: a nest did not start\n");
		exit(1);
	}
	close(fds[0]);
	return top;
}

static void nest_free(pid_t top)
{
	kill(top, SIGKILL);
	waitpid(top, NULL, 0);
}

static void fail_lib(const char *what, int i, const struct slp_error *err)
{
	char text[512];

	fprintf(stderr, "restore: %s, process %d: %s\n", what, i, slp_strerror(err, text, sizeof(text)));
	exit(1);
}

static void reap(pid_t pid, int i)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "restore: process %d ended badly (status %#x)\n", i, status);
		exit(1);
	}
}

/* The floor: what the kernel itself costs. */
static void floor_one(int i, const pid_t pids[DEPTH])
{
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)pids,
		.set_tid_size = DEPTH,
	};
	char *argv[] = { (char *)noop, NULL };
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));

	if (pid < 0)
		die("clone3");
	if (pid == 0) {
		execve(noop, argv, environ);
		_exit(127);
	}
	reap(pid, i);
}

#ifdef __x86_64__
#define HAVE_SHARED_FLOOR 1
static char shared_stack[65536] __attribute__((aligned(16)));

static void __attribute__((noreturn)) shared_child(void)
{
	char *argv[] = { (char *)noop, NULL };

	execve(noop, argv, environ);
	_exit(127);
}

/*
 * The floor as posix_spawn() makes a process: the child starts on a stack
 * of its own in our memory (hence a few lines of assembly: in C it would
 * return to a frame it does not have), and we go on once it has executed.
 */
static void shared_floor_one(int i, const pid_t pids[DEPTH])
{
	struct clone_args args = {
		.flags = CLONE_VM | CLONE_VFORK,
		.exit_signal = SIGCHLD,
		.stack = (uintptr_t)shared_stack,
		.stack_size = sizeof(shared_stack),
		.set_tid = (uintptr_t)pids,
		.set_tid_size = DEPTH,
	};
	void (*fn)(void) = shared_child;
	long pid;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "call *%[fn]\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(pid)
			 : "0"((long)SYS_clone3), "D"(&args), "S"(sizeof(args)), [fn] "r"(fn)
			 : "rcx", "r11", "memory", "cc");
	if (pid < 0) {
		errno = (int)-pid;
		die("clone3");
	}
	reap((pid_t)pid, i);
}
#else
#define HAVE_SHARED_FLOOR 0
static void shared_floor_one(int i, const pid_t pids[DEPTH])
{
	floor_one(i, pids);
}
#endif

static void command_one(int i, const pid_t pids[DEPTH], const char *ns, bool exact,
			const char *command)
{
	char vector[64], *argv[8];
	int n = 0;
	pid_t pid;

	snprintf(vector, sizeof(vector), "%d,%d,%d", pids[0] - 1, pids[1] - 1, pids[2] - 1);
	argv[n++] = (char *)command;
	if (exact)
		argv[n++] = "--exact";
	argv[n++] = "--ns";
	argv[n++] = (char *)ns;
	argv[n++] = vector;
	argv[n++] = "--";
	argv[n++] = (char *)noop;
	argv[n] = NULL;
	if (posix_spawn(&pid, command, NULL, NULL, argv, environ) != 0)
		die("posix_spawn");
	reap(pid, i);
}

/* An SLP1 request (setlastpid-wire(7)), its reply's status. */
static int ask(int sock, const pid_t pids[DEPTH])
{
	unsigned char req[12 + 4 * DEPTH], rep[16 + 512];
	uint32_t flags = 0, nr = DEPTH;
	int32_t status;

	memcpy(req, "SLP1", 4);
	memcpy(req + 4, &flags, 4);
	memcpy(req + 8, &nr, 4);
	for (int k = 0; k < DEPTH; k++) {
		int32_t v = pids[k] - 1;

		memcpy(req + 12 + 4 * k, &v, 4);
	}
	if (send(sock, req, sizeof(req), 0) != (ssize_t)sizeof(req) ||
	    recv(sock, rep, sizeof(rep), 0) < 16)
		die("request");
	memcpy(&status, rep + 4, 4);
	return status;
}

/* A server for the nest, and a socket connected to it. */
static pid_t serve(const char *ns, int *sock)
{
	char name[108], arg[128];
	char *argv[] = { (char *)setlastpid, arg, "--ns", (char *)ns, NULL };
	struct sockaddr_un addr = { .sun_family = AF_UNIX }, self = { .sun_family = AF_UNIX };
	socklen_t len;
	pid_t pid;

	snprintf(name, sizeof(name), "setlastpid-restore-bench-%d", getpid());
	snprintf(arg, sizeof(arg), "--serve=@%s", name);
	if (posix_spawn(&pid, setlastpid, NULL, NULL, argv, environ) != 0)
		die("posix_spawn");
	memcpy(addr.sun_path + 1, name, strlen(name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	*sock = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (*sock < 0 || bind(*sock, (struct sockaddr *)&self, sizeof(sa_family_t)) < 0)
		die("socket");
	for (int tries = 0; connect(*sock, (struct sockaddr *)&addr, len) < 0; tries++) {
		if (tries > 2000)
			die("connect to the server");
		usleep(5000);
	}
	return pid;
}

/* One way's round in a fresh nest: every process's time in us[]. */
static void run_way(enum way way, double *us)
{
	struct slp_options opts = { .method = SLP_METHOD_SYSCTL };
	struct slp_options preset = { .method = SLP_METHOD_PRESET };
	struct slp_options exact = { .flags = SLP_EXACT };
	char *argv[] = { (char *)noop, NULL };
	struct slp_holder *holder = NULL;
	struct slp_target *target = NULL;
	struct slp_error err;
	pid_t inner, top = nest_make(&inner), server = 0, pid;
	char ns[64];
	int sock = -1, fd;

	snprintf(ns, sizeof(ns), "/proc/%d/ns/pid", inner);
	if (way == FLOOR || way == SHARED_FLOOR) {
		fd = open(ns, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
			die("setns");
		close(fd);
	} else if (way != CMD_EXACT && way != CMD_COUNTERS && way != STATIC_EXACT &&
		   way != STATIC_COUNTERS && slp_target_open(&target, ns, &err) < 0) {
		fail_lib("open", -1, &err);
	}
	if (way == LIB_KEPT && slp_holder_open(&holder, target, &opts, &err) < 0)
		fail_lib("holder", -1, &err);
	if (way == SERVER)
		server = serve(ns, &sock);
	for (int i = 0; i < processes; i++) {
		pid_t pids[DEPTH];
		struct slp_vector vec = { .nr = DEPTH };
		double start;

		record(i, pids);
		for (int k = 0; k < DEPTH; k++)
			vec.pid[k] = pids[k] - 1;
		start = now_us();
		switch (way) {
		case FLOOR:
			floor_one(i, pids);
			break;
		case SHARED_FLOOR:
			shared_floor_one(i, pids);
			break;
		case LIB_EXACT:
		case LIB_COUNTERS:
			if (slp_spawn(target, &vec, way == LIB_EXACT ? &exact : &opts, argv, NULL, &pid,
				      NULL, &err) < 0)
				fail_lib("spawn", i, &err);
			reap(pid, i);
			break;
		case LIB_KEPT:
		case SERVER:
			if (way == LIB_KEPT ? slp_holder_set(holder, &vec, 0, &err) < 0
					    : ask(sock, pids) != 0)
				fail_lib("set", i, &err);
			if (slp_spawn(target, &vec, &preset, argv, NULL, &pid, NULL, &err) < 0)
				fail_lib("spawn", i, &err);
			reap(pid, i);
			break;
		case CMD_EXACT:
		case CMD_COUNTERS:
			command_one(i, pids, ns, way == CMD_EXACT, setlastpid);
			break;
		case STATIC_EXACT:
		case STATIC_COUNTERS:
			command_one(i, pids, ns, way == STATIC_EXACT, setlastpid_static);
			break;
		default:
			break;
		}
		us[i] = now_us() - start;
	}
	if (server) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	slp_holder_free(holder);
	slp_target_free(target);
	nest_free(top);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double at(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), by_value);
	return v[(size_t)(q * (double)(n - 1) + 0.5)];
}

/* A way not run: not the one -w asked for, or not to be had here. */
static bool left_out(int w)
{
	return (only >= 0 && w != only && w != FLOOR) || (w == SHARED_FLOOR && !HAVE_SHARED_FLOOR) ||
	       ((w == STATIC_EXACT || w == STATIC_COUNTERS) && !setlastpid_static);
}

int main(int argc, char **argv)
{
	double *us[WAYS], rate[WAYS][16], median[WAYS];
	long self_kib[WAYS] = { 0 }, *child_kib;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:s:w:")) != -1) {
		if (opt == 's')
			setlastpid_static = optarg;
		else if (opt == 'w')
			only = atoi(optarg);
		else if (opt == 'n')
			processes = atoi(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind != 2 || processes < 1 || processes > 2000 || rounds < 1 || rounds > 16 ||
	    only >= WAYS) {
		fprintf(stderr, "usage: restore [-n 1..2000] [-r 1..16] [-s STATIC] [-w 0..%d] SETLASTPID NOOP\n",
			WAYS - 1);
		return 2;
	}
	setlastpid = argv[optind];
	noop = argv[optind + 1];
	/* what each worker's largest child peaked at, told back in shared memory */
	child_kib = mmap(NULL, sizeof(long) * WAYS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			 -1, 0);
	if (child_kib == MAP_FAILED)
		die("mmap");
	memset(child_kib, 0, sizeof(long) * WAYS);
	for (int w = 0; w < WAYS; w++) {
		us[w] = mmap(NULL, sizeof(double) * (size_t)(processes * rounds), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (us[w] == MAP_FAILED)
			die("mmap");
	}
	for (int r = 0; r < rounds; r++)
		for (int w = 0; w < WAYS; w++) {
			if (left_out(w))
				continue;
			double *times = us[w] + (size_t)r * (size_t)processes, sum = 0;
			struct rusage ru;
			int status;
			pid_t worker = fork();

			if (worker < 0)
				die("fork");
			if (worker == 0) {
				struct rusage children;

				run_way(w, times);
				getrusage(RUSAGE_CHILDREN, &children);
				if (children.ru_maxrss > child_kib[w])
					child_kib[w] = children.ru_maxrss;
				_exit(0);
			}
			if (wait4(worker, &status, 0, &ru) != worker || !WIFEXITED(status) ||
			    WEXITSTATUS(status) != 0) {
				fprintf(stderr, "restore: the worker of '%s' failed\n", way_names[w]);
				return 1;
			}
			self_kib[w] = ru.ru_maxrss > self_kib[w] ? ru.ru_maxrss : self_kib[w];
			for (int i = 0; i < processes; i++)
				sum += times[i];
			rate[w][r] = processes / (sum / 1e6);
		}
	for (int w = 0; w < WAYS; w++) {
		size_t n = (size_t)(processes * rounds);
		double p90;

		if (left_out(w))
			continue;
		median[w] = at(us[w], n, 0.5);
		p90 = at(us[w], n, 0.9);
		printf("%s\t%.0f\t%.1f\t%.1f\t%ld\t%ld\t%.2f\n", way_names[w],
		       at(rate[w], (size_t)rounds, 0.5), median[w], p90, self_kib[w], child_kib[w],
		       median[w] / median[FLOOR]);
	}
	return 0;
}
