// SPDX-License-Identifier: LGPL-2.1-or-later
/* VECTOR, the command line's list of last pids: text to array and back. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int refuse(char *why, size_t why_size, const char *fmt, ...)
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
		return refuse(why, why_size, "value %u is empty", index + 1);
	if (!is_digit(*p))
		return refuse(why, why_size, "value %u starts with %s", index + 1, shown(*p, buf));
	for (; is_digit(*p); p++) {
		sum = sum * 10 + (*p - '0');
		if (sum > INT_MAX)
			return refuse(why, why_size, "value %u is larger than %d",
				    index + 1, INT_MAX);
	}
	if (*p != ',' && *p != '\0')
		return refuse(why, why_size, "value %u contains %s", index + 1, shown(*p, buf));
	if (*start == '0' && p - start > 1)
		return refuse(why, why_size, "value %u has a leading zero; write %lld", index + 1,
			      sum);
	*value = (pid_t)sum;
	*text = p;
	return 0;
}

SLP_EXPORT int slp_vector_parse(const char *text, struct slp_vector *vec, char *why, size_t why_size)
{
	const char *p = text;

	if (*p == '\0')
		return refuse(why, why_size, "VECTOR is empty");
	vec->nr = 0;
	for (;;) {
		if (vec->nr == SLP_VECTOR_MAX)
			return refuse(why, why_size,
				    "VECTOR has more than %d values, the deepest nest of pid namespaces",
				    SLP_VECTOR_MAX);
		if (parse_value(&p, vec->nr, &vec->pid[vec->nr], why, why_size))
			return -1;
		vec->nr++;
		if (*p == '\0')
			return 0;
		p++;	/* the comma */
	}
}

SLP_EXPORT int slp_vector_format(const struct slp_vector *vec, char *buf, size_t size)
{
	size_t len = 0;

	if (size > 0)
		buf[0] = '\0';
	for (uint32_t i = 0; i < vec->nr && i < SLP_VECTOR_MAX; i++) {
		int n = snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0,
				 i ? ",%d" : "%d", vec->pid[i]);

		if (n < 0)
			return -1;
		len += (size_t)n;
	}
	return (int)len;
}
