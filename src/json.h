/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -J, --json: what the command reports, as one JSON document on stdout
 * (setlastpid(8), JSON OUTPUT): a set or a dry run, --get's counters, or
 * a failure. Its names and fields are stable; new ones may be added.
 */
#ifndef SETLASTPID_JSON_H
#define SETLASTPID_JSON_H

#include <stdbool.h>

#include "cmdline.h"
#include "setlastpid.h"

/* pid_max[i] of level i, or 0 if unknown. What happened per level: set, left, read. */
void json_levels(const struct control *ctl, const struct slp_report *report,
		 const struct slp_vector *vec, const int *pid_max, bool got);

/* A failure, with the status the command exits with and its one line. */
void json_error(const struct slp_error *err, int status, const char *line);

#endif
