// SPDX-License-Identifier: GPL-2.0-or-later
/* VECTOR, the command line's list of last pids: text to array. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vector.h"

static int fail(char *why, size_t why_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A character as a message may show it: 'x', or an escape for the rest. */
static const char *shown(char c, char buf[8])
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x20 && u < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "'\\x%02x'", u);
	return buf;
}

/*
 * One value starts at *text: digits only, no sign, no leading zero (07
 * reads as octal to some), at most INT_MAX. strtol would take signs,
 * spaces and hex prefixes, so the digits are read here.
 */
static int parse_value(const char **text, unsigned int index, pid_t *value,
		       char *why, size_t why_size)
{
	const char *start = *text, *p = start;
	long long sum = 0;
	char buf[8];

	if (*p == ',' || *p == '\0')
		return fail(why, why_size, "value %u is empty", index + 1);
	if (!is_digit(*p))
		return fail(why, why_size, "value %u starts with %s", index + 1, shown(*p, buf));
	for (; is_digit(*p); p++) {
		sum = sum * 10 + (*p - '0');
		if (sum > INT_MAX)
			return fail(why, why_size, "value %u is larger than %d",
				    index + 1, INT_MAX);
	}
	if (*p != ',' && *p != '\0')
		return fail(why, why_size, "value %u contains %s", index + 1, shown(*p, buf));
	if (*start == '0' && p - start > 1)
		return fail(why, why_size,
			    "value %u has a leading zero; write %lld",
			    index + 1, sum);
	*value = (pid_t)sum;
	*text = p;
	return 0;
}

int vector_parse(const char *text, struct pid_vector *vec, char *why, size_t why_size)
{
	const char *p = text;

	if (*p == '\0')
		return fail(why, why_size, "VECTOR is empty");
	vec->nr = 0;
	for (;;) {
		if (vec->nr == VECTOR_MAX)
			return fail(why, why_size,
				    "VECTOR has more than %d values, the deepest nest of pid namespaces",
				    VECTOR_MAX);
		if (parse_value(&p, vec->nr, &vec->pid[vec->nr], why, why_size))
			return -1;
		vec->nr++;
		if (*p == '\0')
			return 0;
		p++;	/* the comma */
	}
}
