/* SPDX-License-Identifier: GPL-2.0-or-later */
/* setlastpid --serve and --connect: the server and its client (wire.h says what they say). */
#ifndef SETLASTPID_SERVER_H
#define SETLASTPID_SERVER_H

#include "cmdline.h"
#include "setlastpid.h"

/* Serve target (NULL: our own pid namespace) on ctl->serve until SIGTERM or SIGINT: the exit status. */
int serve(const struct control *ctl, struct slp_target *target);

/* Ask the server on ctl->connect to set ctl->vec: 0 done, or the status, having said why. */
int ask_server(const struct control *ctl);

#endif
