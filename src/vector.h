/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VECTOR, the command line's list of last pids: text to array. */
#ifndef SETLASTPID_VECTOR_H
#define SETLASTPID_VECTOR_H

#include <stddef.h>
#include <sys/types.h>

/* The kernel's MAX_PID_NS_LEVEL: the most levels one call may name. */
#define VECTOR_MAX 32

/* Last pids, innermost namespace first, as NS_SET_LAST_PID_VEC takes them. */
struct pid_vector {
	unsigned int nr;
	pid_t pid[VECTOR_MAX];
};

/*
 * Parse "100,50,7": 1 to VECTOR_MAX decimal integers from 0 to INT_MAX,
 * separated by single commas, nothing else. On error return -1 and put a
 * message that names the fault and the fix in why (at most why_size bytes).
 */
int vector_parse(const char *text, struct pid_vector *vec, char *why, size_t why_size);

#endif
