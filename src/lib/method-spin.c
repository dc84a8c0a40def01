// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The way without privilege: ns_last_pid is readable by everyone, and
 * every task created moves it on. To reach a value, create and end tasks
 * until the next pid will be the one wanted: as many at once as there
 * are CPUs, then the last few one at a time, reading the counter after
 * each. Only the caller's own level can be reached so: a task created
 * moves every level above it at once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "spinsys.h"

/* After pid_max, the counter comes back here, never lower (the kernel's RESERVED_PIDS). */
#define RESERVED_PIDS 300

/* Created one at a time, the counter read after each, this close to the end. */
#define LAST_STEPS 16

/* At most this many spinners, the calling thread one of them. */
#define MAX_SPINNERS 64

struct spin_state {
	int fd;			/* ns_last_pid, to read */
	int pid_max;
	pid_t start;		/* the counter when the plan was made */
	pid_t value;		/* where it is to be */
	pid_t floor;		/* from floor to value, all in use between: as good */
	uint64_t steps;		/* tasks to create */
	uint64_t created;	/* tasks created */
	/* the spinners': the budget on a cache line of its own, as every task takes from it */
	long budget __attribute__((aligned(64)));	/* tasks they may still create */
	int stop __attribute__((aligned(64)));
	int failed;		/* an errno a spinner met */
	/*
	 * A floor, SLP_AT_LEAST: other processes' forks count too, and other
	 * floors may spin at once, so a spinner reads the counter before each
	 * task it creates, and stops a few tasks short of the value; the rest, one at
	 * a time, stops at it. A spinner held up between its read and its task
	 * takes one pid past where it read: at most one per spinner at once.
	 */
	bool at_least;
	int spinners;
};

static unsigned int spinners_wanted(void);

/*
 * Where pid x comes in the counter's way from start: pids above it, up
 * to pid_max, then from RESERVED_PIDS on. -1: never (below RESERVED_PIDS,
 * behind the counter).
 */
static long long position(const struct spin_state *s, pid_t x)
{
	if (x >= s->start)
		return x - s->start;
	if (x < RESERVED_PIDS)
		return -1;
	return (long long)(s->pid_max - s->start) + (x - RESERVED_PIDS);
}

/* The pids in use in the caller's own pid namespace, threads' too (the kernel skips them). */
struct used {
	unsigned char *bits;
	int pid_max;
};

static void mark(void *arg, unsigned int level, pid_t pid)
{
	struct used *used = arg;

	(void)level;
	if (pid > 0 && pid < used->pid_max)
		used->bits[pid / 8] |= (unsigned char)(1 << (pid % 8));
}

static bool in_use(const struct used *used, pid_t pid)
{
	return pid > 0 && pid < used->pid_max && (used->bits[pid / 8] & (1 << (pid % 8)));
}

static int scan_used(struct plan *plan, struct used *used, struct slp_error *err)
{
	struct slp_target *own = NULL;
	int ret;

	used->bits = calloc((size_t)used->pid_max / 8 + 1, 1);
	if (!used->bits)
		return fail_sys(err, ENOMEM, "allocate memory for", "the pids in use");
	if (!plan->target && slp_target_open(&own, OWN_PID_NS, err) < 0)
		return -1;
	ret = scan_pids(plan->target ? plan->target : own, 1, mark, used, err);
	slp_target_free(own);
	return ret;
}

/*
 * How many tasks the value costs, pids in use skipped; or why it cannot
 * be reached. The counter is to end at the value, as a write would set
 * it: or, where the value is in use, at the last free pid before it,
 * from where the next pid is the same as after a write.
 */
static int count_steps(struct plan *plan, struct spin_state *s, struct slp_error *err)
{
	struct used used = { .pid_max = s->pid_max };
	pid_t value = plan->vec->pid[0];

	s->value = value;
	if (position(s, value) < 0) {
		fail_code(err, SLP_E_UNREACHABLE, 0, NULL, NULL);
		err->value = value;
		err->got = s->start;
		return -1;
	}
	/* setlastpid's own pid is in use until it is gone, and then the next one again */
	if (value == getpid() && value != s->start) {
		fail_code(err, SLP_E_OWN_PID, 0, NULL, NULL);
		err->value = value;
		err->want = value + 1;
		err->got = s->start;
		err->hint = SLP_HINT_EARLIER;
		return fail_at(err, plan->target, 0);
	}
	if (scan_used(plan, &used, err) < 0) {
		free(used.bits);
		return -1;
	}
	s->floor = value;
	while (s->floor != s->start && in_use(&used, s->floor)) {
		pid_t before = s->floor > RESERVED_PIDS || s->floor > s->start ? s->floor - 1
									    : s->pid_max - 1;

		if (position(s, before) < 0)
			break;
		s->floor = before;
	}
	s->steps = 0;
	for (pid_t pid = s->start; position(s, pid) < position(s, s->floor);) {
		pid = pid + 1 >= s->pid_max ? RESERVED_PIDS : pid + 1;
		if (position(s, pid) < 0)
			break;
		s->steps += !in_use(&used, pid);
	}
	free(used.bits);
	return 0;
}

static int prepare(struct plan *plan, struct slp_error *err)
{
	struct spin_state *s = calloc(1, sizeof(*s));
	uint64_t most = plan->max_spin ? plan->max_spin : SLP_MAX_SPIN_DEFAULT;

	if (!s)
		return fail_sys(err, ENOMEM, "allocate memory for", "spinning");
	plan->spin = s;
	s->fd = last_pid_open(O_RDONLY, err);
	if (s->fd < 0)
		return -1;
	if (read_pid_max(&s->pid_max, err) < 0)
		return -1;
	if (last_pid_read(s->fd, &s->start) < 0)
		return fail_sys(err, errno, "read", NS_LAST_PID);
	/* a floor another process passed since it was read: no task, no wrap, and told so */
	if ((plan->flags & SLP_AT_LEAST) && s->start >= plan->vec->pid[0]) {
		s->value = s->floor = plan->floor.pid[0] = s->start;
		plan->past |= 1;
		return 0;
	}
	if (count_steps(plan, s, err) < 0)
		return -1;
	plan->tasks = s->steps;
	s->at_least = plan->flags & SLP_AT_LEAST;
	s->spinners = (int)spinners_wanted();
	if (s->steps > most) {
		fail_code(err, SLP_E_TOO_FAR, 0, NULL, NULL);
		err->value = (int64_t)s->steps;
		err->limit = (int64_t)most;
		err->want = s->value + 1;
		err->got = s->start;
		err->hint = SLP_HINT_MAX_SPIN;
		return -1;
	}
	return 0;
}

static void release(struct plan *plan)
{
	if (!plan->spin)
		return;
	fd_close(&plan->spin->fd);
	free(plan->spin);
	plan->spin = NULL;
}

/*
 * Up to 256 tasks while the budget lasts, a task each and nothing else:
 * how many, or -1 when the budget is spent or a creation failed.
 */
static int spin_some(struct spin_state *s)
{
	pid_t counter;
	int i;

	for (i = 0; i < 256; i++) {
		long ret;

		if (s->at_least && (last_pid_read(s->fd, &counter) < 0 || counter < s->start ||
				    (long)s->value - counter < LAST_STEPS * (long)s->spinners)) {
			__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
			return -1;
		}

		if (__atomic_sub_fetch(&s->budget, 1, __ATOMIC_RELAXED) < 0)
			return -1;
		ret = spin_once();
		if (ret < 0) {
			__atomic_add_fetch(&s->budget, 1, __ATOMIC_RELAXED);
			/* EAGAIN may have used a pid all the same: the rest goes one by one */
			__atomic_store_n(&s->failed, (int)-ret, __ATOMIC_RELAXED);
			__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
			return -1;
		}
	}
	return i;
}

static void *spinner(void *arg)
{
	struct spin_state *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED) && spin_some(s) > 0)
		;
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct watch {
	const struct plan *plan;
	double started, last;
	struct slp_error *err;
	bool stopped;		/* a signal of the interrupt set came: err says which */
};

/* Now and then: progress, and whether a signal came. */
static void look(struct watch *w, struct spin_state *s, uint64_t done, bool last)
{
	double t = now();

	if (!last && t - w->last < 0.2)
		return;
	w->last = t;
	if (!w->stopped && fail_interrupted(w->err, w->plan->interrupt, "spinning") < 0)
		w->stopped = true;
	if (w->stopped)
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	if (w->plan->progress) {
		struct slp_progress p = { .done = done, .total = s->steps };

		p.rate = t > w->started ? (double)done / (t - w->started) : 0;
		p.seconds_left = p.rate > 0 ? (double)(s->steps - done) / p.rate : 0;
		p.last = last;
		w->plan->progress(&p, w->plan->progress_arg);
	}
}

static unsigned int spinners_wanted(void)
{
	cpu_set_t cpus;
	int n = 1;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		n = CPU_COUNT(&cpus);
	if (!SPIN_IN_PARALLEL || n < 1)
		n = 1;
	return n > MAX_SPINNERS ? MAX_SPINNERS : (unsigned int)n;
}

/* Most of the way, on every CPU: the budget is exact, so no task too many. */
static void spin_in_parallel(struct spin_state *s, struct watch *w, long budget)
{
	pthread_t threads[MAX_SPINNERS];
	unsigned int n = spinners_wanted(), started = 0;
	pthread_attr_t attr;

	s->budget = budget;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (unsigned int i = 1; i < n; i++)
		if (pthread_create(&threads[started], &attr, spinner, s) == 0)
			started++;
	pthread_attr_destroy(&attr);
	/* the calling thread spins too, and looks around now and then */
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED) && spin_some(s) > 0) {
		long left = __atomic_load_n(&s->budget, __ATOMIC_RELAXED);

		look(w, s, (uint64_t)(budget - (left > 0 ? left : 0)), false);
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	/* what the budget lost is what was created */
	s->created += (uint64_t)(budget - (s->budget > 0 ? s->budget : 0));
}

/* The caller's threads, ours only again: no task left behind. */
static void wait_tasks_gone(int threads)
{
	for (int tries = 0; tries < 1000; tries++) {
		if (proc_self_number("\nThreads:") <= threads)
			return;
		sched_yield();
	}
}

static int fail_spin(struct plan *plan, int code, int errnum, pid_t counter,
		     struct slp_error *err)
{
	struct spin_state *s = plan->spin;

	if (code != SLP_E_INTERRUPTED)
		fail_code(err, code, errnum, errnum ? "create a task to spin" : NULL, NULL);
	err->want = s->value + 1;
	err->got = counter;
	err->value = s->value;
	err->target = plan->target ? plan->target->name : OWN_PID_NS;
	err->hint = code == SLP_E_OVERSHOT ? SLP_HINT_RETRY : SLP_HINT_NONE;
	return -1;
}

/* The last steps, one at a time, reading the counter after each. */
static int land(struct plan *plan, struct watch *w, struct slp_error *err)
{
	struct spin_state *s = plan->spin;
	uint64_t tries = 0, most = s->steps + 10 * LAST_STEPS;
	double busy_since = 0;
	pid_t counter;

	for (;;) {
		long long at;
		long ret;

		if (last_pid_read(s->fd, &counter) < 0)
			return fail_sys(err, errno, "read", NS_LAST_PID);
		at = position(s, counter);
		if ((at >= position(s, s->floor) && at <= position(s, s->value)) ||
		    ((plan->flags & SLP_AT_LEAST) && counter >= s->value))
			return 0;
		if (at < 0 || at > position(s, s->value) || tries++ > most)
			return fail_spin(plan, SLP_E_OVERSHOT, 0, counter, err);
		look(w, s, s->created, false);
		if (w->stopped)
			return 0;
		ret = spin_once();
		if (ret >= 0) {
			s->created++;
			busy_since = 0;
			continue;
		}
		/* a pids limit: the helpers of others go, and so will the limit */
		if (ret != -EAGAIN && ret != -ENOMEM)
			return fail_spin(plan, SLP_E_SYSTEM, (int)-ret, counter, err);
		if (busy_since == 0)
			busy_since = now();
		else if (now() - busy_since > 5)
			return fail_spin(plan, SLP_E_SYSTEM, (int)-ret, counter, err);
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	}
}

static int spin(struct plan *plan, struct slp_error *err)
{
	struct spin_state *s = plan->spin;
	struct slp_error stop;
	struct watch w = { .plan = plan, .err = &stop };
	int threads;
	sigset_t all, mask;
	pid_t counter;
	int ret = 0;

	if (plan->flags & SLP_DRY_RUN)
		return 0;
	error_clear(&stop);
	/* unknown (no descriptor to read it with): this thread alone, as before any spinner */
	threads = proc_self_number("\nThreads:");
	threads = threads > 0 ? threads : 1;
	w.started = w.last = now();
	/* a new task runs on its creator's stack pointer: no signal may come to it */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	if (s->steps > LAST_STEPS)
		spin_in_parallel(s, &w, (long)(s->steps - LAST_STEPS));
	if (!w.stopped)
		ret = land(plan, &w, err);
	look(&w, s, s->created, true);
	wait_tasks_gone(threads);
	if (ret == 0 && w.stopped) {
		counter = s->start;
		(void)last_pid_read(s->fd, &counter);
		*err = stop;
		ret = fail_spin(plan, SLP_E_INTERRUPTED, 0, counter, err);
	}
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	return ret;
}

/* Where the counter got to stays: nothing to undo with. */
const struct method method_spin = {
	.id = SLP_METHOD_SPIN,
	.prepare = prepare,
	.write = spin,
	.release = release,
};
