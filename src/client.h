/* SPDX-License-Identifier: GPL-2.0-or-later */
/* setlastpid --connect=SOCKET VECTOR: ask a server (--serve) to set the counters. */
#ifndef SETLASTPID_CLIENT_H
#define SETLASTPID_CLIENT_H

#include "cmdline.h"

/* Ask the server on ctl->connect to set ctl->vec: 0 done, or the status, having said why. */
int ask_server(const struct control *ctl);

#endif
