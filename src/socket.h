/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UNIX datagram sockets: a name on the command line, a path or @NAME in
 * the abstract namespace; and the server's, systemd's (LISTEN_FDS) or
 * made with its group and mode.
 */
#ifndef SETLASTPID_SOCKET_H
#define SETLASTPID_SOCKET_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cmdline.h"

/* Fill addr and its length from name: false if it does not fit. */
bool unix_address(const char *name, struct sockaddr_un *addr, socklen_t *len);

/*
 * The socket to serve on, that gets its senders' credentials: fd 3 under
 * socket activation, else one made at ctl->serve (*made_file: a file to
 * remove at the end). Returns it, or an exit status (negated) having
 * said why.
 */
int open_server_socket(const struct control *ctl, bool *made_file);

/* Close it, and remove the file made for it. */
void close_server_socket(const struct control *ctl, int fd, bool made_file);

#endif
