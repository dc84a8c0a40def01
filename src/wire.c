// SPDX-License-Identifier: GPL-2.0-or-later
/* What --serve and --connect say to each other, encoded and decoded in one place (wire.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "wire.h"

size_t wire_encode_request(struct wire_request *req, const struct wire_ask *ask)
{
	uint32_t value = (uint32_t)ask->vec.pid[0];

	if (ask->protocol != WIRE_SLP1) {
		memcpy(req, &value, sizeof(value));
		return sizeof(value);
	}
	memcpy(req->magic, WIRE_MAGIC, 4);
	req->flags = ask->flags;
	req->nr = ask->vec.nr;
	for (uint32_t i = 0; i < ask->vec.nr; i++)
		req->pid[i] = ask->vec.pid[i];
	return WIRE_REQUEST_SIZE(req->nr);
}

const char *wire_decode_request(struct wire_ask *ask, const void *buf, size_t len, bool cut)
{
	struct wire_request wire;
	uint32_t value;

	ask->protocol = len >= 4 && memcmp(buf, WIRE_MAGIC, 3) == 0 ? WIRE_SLP1 : WIRE_PLAIN;
	ask->flags = 0;
	if (ask->protocol == WIRE_PLAIN) {
		if (len != 4 || cut)
			return "neither 4 bytes (a last pid) nor a request of ours (SLP1)";
		memcpy(&value, buf, 4);
		if (value > INT32_MAX)
			return "a last pid above 2147483647";
		ask->vec = (struct slp_vector){ .nr = 1, .pid = { (pid_t)value } };
		return NULL;
	}
	if (((const char *)buf)[3] != WIRE_MAGIC[3])
		return "a version this server does not speak: it speaks SLP1";
	if (len < WIRE_REQUEST_SIZE(1) || cut)
		return "a request of the wrong size";
	memcpy(&wire, buf, len < sizeof(wire) ? len : sizeof(wire));
	if (wire.nr < 1 || wire.nr > SLP_VECTOR_MAX || len != WIRE_REQUEST_SIZE(wire.nr))
		return "a vector of no values, of more than 32, or not the size it says";
	if (wire.flags & ~(WIRE_DRY_RUN | WIRE_COMMAND | WIRE_AT_LEAST))
		return "flags this server does not know";
	if ((wire.flags & WIRE_COMMAND) && (wire.flags & WIRE_AT_LEAST))
		return "a floor with COMMAND: a floor creates nothing";
	ask->vec.nr = wire.nr;
	for (uint32_t i = 0; i < wire.nr; i++) {
		if (wire.pid[i] < 0)
			return "a negative value";
		ask->vec.pid[i] = wire.pid[i];
	}
	ask->flags = wire.flags;
	return NULL;
}

size_t wire_encode_reply(struct wire_reply *rep, enum wire_protocol protocol, int status,
			 const struct slp_error *err, const char *message)
{
	if (protocol != WIRE_SLP1) {
		*(unsigned char *)rep = status != 0;	/* 0 done, 1 not */
		return 1;
	}
	*rep = (struct wire_reply){ .status = status, .level = err ? err->level : -1,
				    .errnum = err ? err->errnum : 0 };
	memcpy(rep->magic, WIRE_MAGIC, 4);
	snprintf(rep->message, sizeof(rep->message), "%s", message ? message : "");
	return WIRE_REPLY_SIZE(strlen(rep->message));
}

enum wire_protocol wire_decode_reply(struct wire_reply *rep, size_t len)
{
	if (len == 1) {
		rep->status = *(unsigned char *)rep;
		return WIRE_PLAIN;
	}
	if (len < WIRE_REPLY_SIZE(0) || memcmp(rep->magic, WIRE_MAGIC, 4) != 0)
		return WIRE_NEITHER;
	/* the line the server would print: one line, nothing past its end */
	if (len < sizeof(*rep))
		((char *)rep)[len] = '\0';
	rep->message[sizeof(rep->message) - 1] = '\0';
	for (char *c = rep->message; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
	return WIRE_SLP1;
}
