// SPDX-License-Identifier: GPL-2.0-or-later
/* -J, --json: the command's reports as one JSON document (setlastpid(8), JSON OUTPUT). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "json.h"

/* The length of a valid UTF-8 sequence at c (overlong, surrogate and past U+10FFFF forms not), or 0. */
static int utf8_length(const unsigned char *c)
{
	int n = *c >= 0xf0 && *c <= 0xf4 ? 4 : *c >= 0xe0 ? 3 : *c >= 0xc2 && *c < 0xe0 ? 2 : 0;
	unsigned int cp = n == 4 ? *c & 0x07u : n == 3 ? *c & 0x0fu : *c & 0x1fu;

	if (*c >= 0xf5)
		return 0;
	for (int i = 1; i < n; i++) {
		if ((c[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (c[i] & 0x3fu);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/*
 * A string, quoted: UTF-8 as it is, control characters as \u00XX, and
 * a byte that is not UTF-8 as U+FFFD, so that the document is valid.
 */
static void json_string(const char *text)
{
	putchar('"');
	for (const unsigned char *c = (const unsigned char *)(text ? text : ""); *c; c++) {
		int n = *c >= 0x80 ? utf8_length(c) : 1;

		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			printf("\\u%04x", *c);
		else if (n == 0)
			fputs("\\ufffd", stdout);
		else
			fwrite(c, 1, (size_t)n, stdout);
		c += n > 1 ? n - 1 : 0;
	}
	putchar('"');
}

void json_levels(const struct control *ctl, const struct slp_report *report,
		 const struct slp_vector *vec, const int *pid_max, bool got)
{
	printf("{\"version\":1,\"dry_run\":%s", ctl->dry_run ? "true" : "false");
	if (!got) {
		fputs(",\"method\":", stdout);
		json_string(slp_method_name(report->method));
		printf(",\"tasks\":%llu", (unsigned long long)report->tasks);
	}
	if (ctl->command) {
		fputs(",\"command\":", stdout);
		json_string(ctl->command[0]);
	}
	fputs(",\"levels\":[", stdout);
	for (unsigned int i = 0; i < report->nr; i++) {
		bool left = ctl->at_least && (report->past & (1u << i));

		printf("%s{\"level\":%u,\"ns\":%llu,\"value\":%d,", i ? "," : "", i,
		       (unsigned long long)report->level_ino[i],
		       ctl->at_least ? report->value[i] : vec->pid[i]);
		if (pid_max[i] > 0)
			printf("\"pid_max\":%d,", pid_max[i]);
		else
			fputs("\"pid_max\":null,", stdout);
		if (ctl->at_least)
			printf("\"at_least\":%d,", vec->pid[i]);
		printf("\"action\":\"%s\"}", got ? "read" : left ? "left" : "set");
	}
	fputs("]}\n", stdout);
}

/* The library's codes by name: the document's words, never renumbered. */
static const char *const code_names[] = {
	[SLP_OK] = "ok", [SLP_E_INVALID] = "invalid", [SLP_E_SYSTEM] = "system",
	[SLP_E_TARGET_MISSING] = "target-missing", [SLP_E_NOT_PIDNS] = "not-pidns",
	[SLP_E_TOO_DEEP] = "too-deep", [SLP_E_OUTSIDE] = "outside", [SLP_E_RANGE] = "range",
	[SLP_E_REFUSED] = "refused", [SLP_E_PID_IN_USE] = "pid-in-use", [SLP_E_DENIED] = "denied",
	[SLP_E_NO_IOCTL] = "no-ioctl", [SLP_E_NO_SYSCTL] = "no-sysctl",
	[SLP_E_NO_CLONE3] = "no-clone3", [SLP_E_STOLEN] = "stolen", [SLP_E_EXEC] = "exec",
	[SLP_E_INTERRUPTED] = "interrupted", [SLP_E_MASKED] = "masked",
	[SLP_E_READ_ONLY] = "read-only", [SLP_E_FILTERED] = "filtered", [SLP_E_NO_PROC] = "no-proc",
	[SLP_E_FOREIGN_PROC] = "foreign-proc", [SLP_E_SPIN_OWN_ONLY] = "spin-own-only",
	[SLP_E_UNREACHABLE] = "unreachable", [SLP_E_TOO_FAR] = "too-far",
	[SLP_E_OVERSHOT] = "overshot", [SLP_E_OWN_PID] = "own-pid",
	[SLP_E_TOO_DEEP_NEW] = "too-deep-new",
};

void json_error(const struct slp_error *err, int status, const char *line)
{
	static const char *const undo[] = { "none", "done", "failed" };
	bool known = (size_t)err->code < sizeof(code_names) / sizeof(code_names[0]);

	printf("{\"version\":1,\"error\":{\"status\":%d,\"code\":", status);
	json_string(known ? code_names[err->code] : "unknown");
	fputs(",\"message\":", stdout);
	json_string(line);
	if (err->level >= 0)
		printf(",\"level\":%d", err->level);
	else
		fputs(",\"level\":null", stdout);
	if (err->level >= 0 && err->level_ino)
		printf(",\"ns\":%llu", (unsigned long long)err->level_ino);
	else
		fputs(",\"ns\":null", stdout);
	printf(",\"errno\":%d,\"errno_name\":", err->errnum);
	if (err->errnum)
		json_string(strerrorname_np(err->errnum));
	else
		fputs("null", stdout);
	printf(",\"value\":%lld,\"limit\":%lld,\"want\":%d,\"got\":%d,\"signal\":%d,\"undo\":\"%s\"}}\n",
	       (long long)err->value, (long long)err->limit, (int)err->want, (int)err->got,
	       err->signal, err->undo <= SLP_UNDO_FAILED ? undo[err->undo] : "failed");
}
