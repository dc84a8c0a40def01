/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The caller's signals while COMMAND runs: passed on to it, or left as they were. */
#ifndef SETLASTPID_SIGNALS_H
#define SETLASTPID_SIGNALS_H

#include <sys/types.h>

#include "setlastpid.h"

/*
 * Before COMMAND is created: pass SIGINT, SIGTERM, SIGHUP and SIGQUIT on
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
