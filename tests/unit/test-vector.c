// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the VECTOR parser and formatter, in TAP. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "setlastpid.h"

static int test_number;
static int failures;

static void ok(int passed, const char *what, const char *text)
{
	printf("%sok %d - %s: '", passed ? "" : "not ", ++test_number, what);
	/* one TAP line: control bytes as '?' */
	for (int i = 0; text[i] && i < 60; i++)
		putchar(text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?');
	printf("'\n");
	failures += !passed;
}

/* text parses to exactly want[0..nr-1]. */
static void accepts(const char *text, unsigned int nr, const pid_t *want)
{
	struct slp_vector vec;
	char why[128] = "";
	int passed = slp_vector_parse(text, &vec, why, sizeof(why)) == 0 && vec.nr == nr &&
		     memcmp(vec.pid, want, nr * sizeof(pid_t)) == 0;

	ok(passed, "accepts", text);
	if (!passed)
		printf("# got nr %u, why '%s'\n", vec.nr, why);
}

/* text is refused with a message that contains reason. */
static void refuses(const char *text, const char *reason)
{
	struct slp_vector vec;
	char why[128] = "";
	int passed = slp_vector_parse(text, &vec, why, sizeof(why)) == -1 && strstr(why, reason);

	ok(passed, "refuses", text);
	if (!passed)
		printf("# wanted '%s', got '%s'\n", reason, why);
}

static void test_limits(void)
{
	char text[4 * (SLP_VECTOR_MAX + 1) + 1] = "";
	pid_t want[SLP_VECTOR_MAX];

	for (int i = 0; i < SLP_VECTOR_MAX; i++) {
		want[i] = i;
		sprintf(text + strlen(text), "%s%d", i ? "," : "", i);
	}
	accepts(text, SLP_VECTOR_MAX, want);
	strcat(text, ",1");
	refuses(text, "more than 32 values");
}

/* Parsing, then formatting, gives the text back; a short buffer is cut, never overrun. */
static void round_trip(const char *text)
{
	struct slp_vector vec;
	char why[128], buf[512], small[4] = "xyz";
	int len;

	len = slp_vector_parse(text, &vec, why, sizeof(why)) == 0
		      ? slp_vector_format(&vec, buf, sizeof(buf)) : -1;
	ok(len == (int)strlen(text) && strcmp(buf, text) == 0, "formats back", text);
	len = slp_vector_format(&vec, small, sizeof(small));
	ok(len == (int)strlen(text) && strlen(small) == (len < 3 ? (size_t)len : 3) &&
		   strncmp(small, text, strlen(small)) == 0,
	   "formats into 4 bytes, cut", text);
	ok(slp_vector_format(&vec, NULL, 0) == (int)strlen(text), "tells the length needed", text);
}

int main(void)
{
	accepts("100,50,7", 3, (pid_t[]){ 100, 50, 7 });
	accepts("0", 1, (pid_t[]){ 0 });
	accepts("999", 1, (pid_t[]){ 999 });
	accepts("2147483647", 1, (pid_t[]){ INT_MAX });
	accepts("1,0,1", 3, (pid_t[]){ 1, 0, 1 });
	test_limits();

	refuses("", "VECTOR is empty");
	refuses(",", "value 1 is empty");
	refuses("1,,2", "value 2 is empty");
	refuses("1,2,", "value 3 is empty");
	refuses(",1", "value 1 is empty");
	refuses("-1", "value 1 starts with '-'");
	refuses("+1", "value 1 starts with '+'");
	refuses("1,-2", "value 2 starts with '-'");
	refuses(" 1", "value 1 starts with ' '");
	refuses("1 ", "value 1 contains ' '");
	refuses("1, 2", "value 2 starts with ' '");
	refuses("0x10", "value 1 contains 'x'");
	refuses("1e3", "value 1 contains 'e'");
	refuses("1.5", "value 1 contains '.'");
	refuses("1;2", "value 1 contains ';'");
	refuses("1\n", "value 1 contains '\\x0a'");
	refuses("\t1", "value 1 starts with '\\x09'");
	refuses("\xd9\xa1", "value 1 starts with '\\xd9'");
	refuses("007", "value 1 has a leading zero; write 7");
	refuses("00", "value 1 has a leading zero; write 0");
	refuses("2147483648", "value 1 is larger than 2147483647");
	refuses("18446744073709551616", "value 1 is larger than 2147483647");
	refuses("99999999999999999999999999999", "value 1 is larger than 2147483647");
	refuses("1,2147483648", "value 2 is larger than 2147483647");

	round_trip("100,50,7");
	round_trip("0");
	round_trip("2147483647,0,2147483647");
	round_trip("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,"
		   "29,30,31,32");

	printf("1..%d\n", test_number);
	return failures ? 1 : 0;
}
