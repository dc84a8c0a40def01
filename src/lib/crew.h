/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A crew: one helper in each level of a target but the caller's own,
 * each able to read and write its level's ns_last_pid, which only a task
 * of that level may. Helpers take jobs one after another, each writing
 * its result back in memory they share with the caller (CLONE_VM); the
 * caller does the jobs of its own level itself. The sysctl method's crew
 * does one write and goes; a holder's stays for more.
 */
#ifndef SLP_CREW_H
#define SLP_CREW_H

#include "internal.h"

#define crew_open(...) slp__crew_open(__VA_ARGS__)
#define crew_close(...) slp__crew_close(__VA_ARGS__)
#define crew_open_borrowing(...) slp__crew_open_borrowing(__VA_ARGS__)
#define crew_set_value(...) slp__crew_set_value(__VA_ARGS__)
#define crew_start(...) slp__crew_start(__VA_ARGS__)
#define crew_give(...) slp__crew_give(__VA_ARGS__)
#define crew_stop(...) slp__crew_stop(__VA_ARGS__)
#define crew_alive(...) slp__crew_alive(__VA_ARGS__)
#define crew_mend(...) slp__crew_mend(__VA_ARGS__)
#define crew_first_failure(...) slp__crew_first_failure(__VA_ARGS__)
#define job_needs_undo(...) slp__job_needs_undo(__VA_ARGS__)
#define crew_is_callers(...) slp__crew_is_callers(__VA_ARGS__)
#define format_pid(...) slp__format_pid(__VA_ARGS__)
#define crew_fail(...) slp__crew_fail(__VA_ARGS__)
#define crew_all_undone(...) slp__crew_all_undone(__VA_ARGS__)
#define crew_write_alone(...) slp__crew_write_alone(__VA_ARGS__)

enum job_what {
	DO_NOTHING,
	DO_CHECK,	/* the checks only: the level's pid_max, a pid in use */
	DO_WRITE,	/* the checks, then read the value there and write ours */
	DO_UNDO,	/* write back what DO_WRITE replaced */
	DO_EXIT,
};

/* One level's job, in memory its helper shares with the caller. */
struct job {
	/* set by the caller before each job */
	enum job_what what;
	pid_t value;		/* to write, and to check against the level's pid_max */
	char text[16];
	size_t len;
	bool check_pid_max;	/* read the level's pid_max (its own, Linux 6.14+) */
	pid_t check_pid;	/* > 0: note whether this pid is in use in the level */
	/* set by whoever does it */
	char old[16];		/* the value it replaced */
	size_t old_len;		/* 0 until it was read */
	bool written;
	bool undone;
	bool pid_in_use;
	long pid_max;		/* the level's pid_max, if read */
	const char *call;	/* the first failure, if any */
	int errnum;
	/* between the two */
	bool wanted;		/* a level of the request */
	int state;		/* JOB_RUNNING, JOB_DONE; the kernel clears it when the helper is gone */
	pid_t helper;		/* its pid, in our pid namespace; 0 for none */
	pid_t own_pid;		/* its pid in its level */
	bool killed;		/* it died of a signal, or went unseen */
	bool once;		/* one job, then gone (helpers one at a time: see rawsys.h) */
	int sysctl_fd;
	const int *gen;		/* the crew's job counter, which it waits on */
	const int *creator;	/* the crew's pidfd of the caller */
};

enum { JOB_GONE = 0, JOB_RUNNING = 1, JOB_DONE = 2 };

struct crew {
	struct slp_target *target;
	unsigned int nr;
	int sysctl_fd;		/* ns_last_pid, read and write, shared by all */
	char *stacks;		/* one helper stack per level */
	bool stay;		/* helpers stay for more jobs */
	int gen;		/* bumped for each job the caller gives: the helpers' futex */
	int creator;		/* a pidfd of the caller's process, for helpers to see it gone; or -1 */
	int back;		/* the caller's pid_for_children, to come back to after setns() */
	bool borrowed;		/* stacks, back and creator are another crew's */
	struct job jobs[SLP_VECTOR_MAX];
};

/* The stacks, and what every job needs: nothing is created yet. */
int crew_open(struct crew *crew, struct slp_target *target, unsigned int nr, int sysctl_fd,
	      bool stay, struct slp_error *err);
void crew_close(struct crew *crew);
/*
 * A crew of helpers that do one job each, on what from holds (its stacks,
 * its descriptors): for an undo once from's own helpers are gone, with
 * nothing to acquire. Nothing can fail.
 */
void crew_open_borrowing(struct crew *crew, const struct crew *from);

/* jobs[i] for a write of value (the job itself is given by crew_start or crew_give). */
void crew_set_value(struct crew *crew, unsigned int i, pid_t value);

/*
 * Create the helpers innermost first, each doing `what` at once (the
 * caller's own level is done by the caller, last), and wait for them.
 * Stops at the first helper that cannot be created (its job says why).
 */
void crew_start(struct crew *crew, enum job_what what);

/* Give each wanted level `what`, helpers and the caller's own, and wait for them all. */
void crew_give(struct crew *crew, enum job_what what);

/* Every helper gone (DO_EXIT) and reaped. */
void crew_stop(struct crew *crew);

/* Is any helper there (made, not reaped yet)? */
bool crew_alive(const struct crew *crew);

/* Recreate the helpers found gone, for a crew that stays: 0, or -1 (see their jobs). */
int crew_mend(struct crew *crew);

/* The first wanted level whose job did not happen for sure; -1 if none. */
int crew_first_failure(const struct crew *crew, enum job_what what);

/* err from the job of level failed: what it met there; -1. */
int crew_fail(struct crew *crew, int failed, struct slp_error *err);

/*
 * The caller's own level i, the only one asked for: one write, by the
 * caller, nothing to put back, the kernel's range check (its EINVAL, then
 * pid_max read to say so). 0, or -1 with err.
 */
int crew_write_alone(struct crew *crew, unsigned int i, pid_t value, struct slp_error *err);
/* Is every level written back as it was? */
bool crew_all_undone(const struct crew *crew);

/* May this level hold a value of ours that was not put back? */
bool job_needs_undo(const struct job *job);

/* A pid in decimal, as ns_last_pid takes it, in buf (16 bytes): its length. No stdio. */
size_t format_pid(char *buf, pid_t pid);

/* The caller's own level is it, or a helper's. */
bool crew_is_callers(const struct crew *crew, unsigned int i);


#endif
