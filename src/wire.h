/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What --serve and --connect say to each other over a UNIX datagram
 * socket; man/setlastpid-wire.7 specifies it (a change here is a change
 * there, and of tests/server/client.py, its client written from the page
 * alone). Two kinds of request:
 *
 * - set_ns_last_pid's, byte for byte: 4 bytes, a native-endian uint32,
 *   the last pid of level 0 of the served nest; the reply is 1 byte,
 *   0 done, 1 not.
 * - ours, SLP1: a whole VECTOR and flags; the reply says the status the
 *   command would exit with, the level at fault, the errno, and the line
 *   it would print.
 *
 * A client of ours that gets 1 byte back speaks to a server of
 * set_ns_last_pid's protocol alone (it refuses SLP1): one value may be
 * asked again its way.
 *
 * Every integer is native-endian: both ends are on one machine.
 */
#ifndef SETLASTPID_WIRE_H
#define SETLASTPID_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "setlastpid.h"

#define WIRE_MAGIC "SLP1"		/* 4 bytes, no NUL: the version is its last */
#define WIRE_DRY_RUN 1u
/*
 * COMMAND follows, created by the sender in its own pid namespace: refuse
 * (65, nothing set) unless that is level 0 of the served nest.
 */
#define WIRE_COMMAND 2u
/* A floor: each level raised to its value, one past it left alone. Not with WIRE_COMMAND. */
#define WIRE_AT_LEAST 4u

struct wire_request {
	char magic[4];
	uint32_t flags;			/* WIRE_DRY_RUN, WIRE_COMMAND, WIRE_AT_LEAST */
	uint32_t nr;			/* 1 to 32 */
	int32_t pid[SLP_VECTOR_MAX];	/* nr of them: the datagram is 12 + 4 * nr bytes */
};

/* setlastpid-wire(7), "SLP1 requests" and "Malformed datagrams" */
#define WIRE_REQUEST_SIZE(nr) (12 + 4 * (size_t)(nr))

struct wire_reply {
	char magic[4];
	int32_t status;			/* 0 done; else the command's exit status */
	int32_t level;			/* the level at fault, or -1 */
	int32_t errnum;			/* the errno, or 0 */
	char message[512];		/* the command's line, NUL-terminated; "" when done */
};

/* setlastpid-wire(7), "SLP1 replies" and STATUSES */
#define WIRE_REPLY_SIZE(len) (16 + (size_t)(len) + 1)

/* Which protocol a datagram speaks. */
enum wire_protocol { WIRE_NEITHER, WIRE_PLAIN /* set_ns_last_pid's */, WIRE_SLP1 };

/* A request, decoded: set_ns_last_pid's asks one value, no flags. */
struct wire_ask {
	enum wire_protocol protocol;
	uint32_t flags;			/* WIRE_DRY_RUN, WIRE_COMMAND, WIRE_AT_LEAST */
	struct slp_vector vec;
};

/* ask in req, in its protocol (set_ns_last_pid's: the first value alone): its size. */
size_t wire_encode_request(struct wire_request *req, const struct wire_ask *ask);
/* len bytes (cut: more) as ask: NULL, or what is wrong; ask->protocol is the reply's even then. */
const char *wire_decode_request(struct wire_ask *ask, const void *buf, size_t len, bool cut);
/* The reply, in protocol, in rep (err and message: SLP1's alone): its size. */
size_t wire_encode_reply(struct wire_reply *rep, enum wire_protocol protocol, int status,
			 const struct slp_error *err, const char *message);
/* An answer of len bytes: set_ns_last_pid's byte made rep->status, SLP1's message one line. */
enum wire_protocol wire_decode_reply(struct wire_reply *rep, size_t len);

#endif
