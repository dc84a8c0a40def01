// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the VECTOR parser, in TAP. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "vector.h"

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
	struct pid_vector vec;
	char why[128] = "";
	int passed = vector_parse(text, &vec, why, sizeof(why)) == 0 && vec.nr == nr &&
		     memcmp(vec.pid, want, nr * sizeof(pid_t)) == 0;

	ok(passed, "accepts", text);
	if (!passed)
		printf("# got nr %u, why '%s'\n", vec.nr, why);
}

/* text is refused with a message that contains reason. */
static void refuses(const char *text, const char *reason)
{
	struct pid_vector vec;
	char why[128] = "";
	int passed = vector_parse(text, &vec, why, sizeof(why)) == -1 && strstr(why, reason);

	ok(passed, "refuses", text);
	if (!passed)
		printf("# wanted '%s', got '%s'\n", reason, why);
}

static void test_limits(void)
{
	char text[4 * (VECTOR_MAX + 1) + 1] = "";
	pid_t want[VECTOR_MAX];

	for (int i = 0; i < VECTOR_MAX; i++) {
		want[i] = i;
		sprintf(text + strlen(text), "%s%d", i ? "," : "", i);
	}
	accepts(text, VECTOR_MAX, want);
	strcat(text, ",1");
	refuses(text, "more than 32 values");
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

	printf("1..%d\n", test_number);
	return failures ? 1 : 0;
}
