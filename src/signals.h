/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The caller's signals while COMMAND runs: passed on to it, or left as they were. */
#ifndef SETLASTPID_SIGNALS_H
#define SETLASTPID_SIGNALS_H

#include <signal.h>
#include <sys/types.h>

#include "setlastpid.h"

/*
 * Block SIGINT, SIGTERM, SIGHUP, SIGQUIT and every other signal another
 * process may send that would end this one (SIGUSR1, SIGALRM, the
 * real-time signals...) for the rest of the run, and
 * put them in interrupts: a set is abandoned for one that comes while
 * the levels are written (struct slp_options.interrupt; the library
 * leaves one the caller ignores ignored). One that comes after finds the
 * work done, and exit discards it.
 */
void hold_interrupts(sigset_t *interrupts);

/* The first of interrupts that came while they were held, or 0. */
int pending_interrupt(const sigset_t *interrupts);

/* Die of sig, as the caller would have had it not been held: 128 + sig if not. */
int die_of_signal(int sig);

/*
 * Before COMMAND is created: pass those signals on
 * to it (those the caller does not ignore), held until its pid is known;
 * SIGCHLD at its default, so that COMMAND can be waited for. attr gets
 * what COMMAND must start with: the caller's mask and dispositions.
 */
void forward_signals(struct slp_spawn_attr *attr);

/* COMMAND runs as pid: the caller's mask back, and what came meanwhile is passed on. */
void start_forwarding(pid_t pid, const struct slp_spawn_attr *attr);

/* Wait for COMMAND: its exit status, 128 + N if signal N killed it; -1 with errno. */
int wait_command(pid_t pid);

#endif
