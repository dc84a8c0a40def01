/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Namespace files: open, type, parent, owner; thin ioctl wrappers. */
#ifndef SETLASTPID_NSFS_H
#define SETLASTPID_NSFS_H

#include <stdbool.h>
#include <sys/types.h>

/* Open a namespace file (or anything else: the caller checks the type). */
int ns_open(const char *path);

/* CLONE_NEW* of fd, or -1 with errno (ENOTTY: not a namespace file). */
int ns_type(int fd);

/* "pid", "net", ... for a CLONE_NEW* value; "unknown" for others. */
const char *ns_type_name(int type);

/* New fd for the parent namespace, or -1 (EPERM: above the caller's). */
int ns_parent(int fd);

/* New fd for the user namespace that owns fd's namespace, or -1. */
int ns_owner(int fd);

/* Owner uid of a user namespace, in the caller's user namespace, or -1. */
uid_t ns_owner_uid(int userns_fd);

/* Inode number: with the type, what "pid:[4026531836]" names. */
ino_t ns_inode(int fd);

/*
 * The NSpid line of a /proc/PID/status file at path (relative to dir_fd,
 * as openat() takes it): the process's pids, the one in that /proc's
 * namespace first, its own last. Return how many (at most max), or -1.
 */
int nspid_read(int dir_fd, const char *path, pid_t *nspid, int max);

/* Do two namespace fds refer to the same namespace? */
bool ns_same(int fd_a, int fd_b);

#endif
