/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A socket's name on the command line: a path, or @NAME in the abstract namespace. */
#ifndef SETLASTPID_UNIXADDR_H
#define SETLASTPID_UNIXADDR_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Fill addr and its length from name: false if it does not fit. */
bool unix_address(const char *name, struct sockaddr_un *addr, socklen_t *len);

/* Is name an abstract one (@NAME), with no file? */
bool unix_abstract(const char *name);

#endif
