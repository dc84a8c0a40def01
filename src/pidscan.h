/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which level holds a pid: the error path of --exact. */
#ifndef SETLASTPID_PIDSCAN_H
#define SETLASTPID_PIDSCAN_H

#include "levels.h"
#include "vector.h"

/*
 * The first level i where pid vec->pid[i] + 1 is in use, found by
 * walking /proc; levels->nr if none is (or /proc does not show it).
 */
unsigned int find_level_in_use(const struct levels *levels, const struct pid_vector *vec);

#endif
