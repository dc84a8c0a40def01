// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: the VECTOR parser against an independent reading of the grammar. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "setlastpid.h"

/* The grammar, as a second, simple-minded reader: NULL-terminated text. */
static int grammar_accepts(const char *text, struct slp_vector *want)
{
	want->nr = 0;
	for (const char *p = text;; p++) {
		const char *start = p;
		long long value = 0;

		while (*p >= '0' && *p <= '9') {
			value = value * 10 + (*p - '0');
			if (value > INT_MAX || p - start > 10)
				return 0;
			p++;
		}
		if (p == start || (*start == '0' && p - start > 1) || want->nr == SLP_VECTOR_MAX)
			return 0;
		want->pid[want->nr++] = (pid_t)value;
		if (*p == '\0')
			return 1;
		if (*p != ',')
			return 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slp_vector got, want;
	char why[128];
	char *text = malloc(size + 1);
	int accepted;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	accepted = slp_vector_parse(text, &got, why, sizeof(why)) == 0;
	if (accepted != grammar_accepts(text, &want))
		abort();
	if (accepted && (got.nr != want.nr || memcmp(got.pid, want.pid, got.nr * sizeof(pid_t))))
		abort();
	/* a refusal always says why, on one line */
	if (!accepted && (why[0] == '\0' || strchr(why, '\n')))
		abort();
	free(text);
	return 0;
}
