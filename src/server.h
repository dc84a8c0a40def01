/* SPDX-License-Identifier: GPL-2.0-or-later */
/* setlastpid --serve=SOCKET: the serving loop (socket.h makes its socket, wire.h says what is said). */
#ifndef SETLASTPID_SERVER_H
#define SETLASTPID_SERVER_H

#include "cmdline.h"
#include "setlastpid.h"

/* Serve target (NULL: our own pid namespace) on ctl->serve until SIGTERM or SIGINT: the exit status. */
int serve(const struct control *ctl, struct slp_target *target);

#endif
