// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of read_status(), in TAP: a line too long (Groups, with
 * hundreds of supplementary groups) is dropped whole, and the lines after
 * it still come, at every length and buffer size.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int test_number;
static int failures;

static void ok(int passed, const char *what)
{
	printf("%sok %d - %s\n", passed ? "" : "not ", ++test_number, what);
	failures += !passed;
}

/*
 * The file: short lines, then one of `long_len` bytes (newline included),
 * then short lines. Wanted: each line of at most STATUS_LINE_MAX bytes,
 * whole, while it fits in what is left of the size - 1; once full, none.
 */
static int reads_back(const char *path, size_t size, size_t long_len)
{
	static const char *const shorts[] = { "Name:\tx\n", "Uid:\t0\n" };
	static const char *const after[] = { "NSpid:\t7 1\n", "NSsid:\t1\n", "Threads:\t1\n" };
	char file[8192], want[4096] = "", got[4096];
	size_t kept = 0, flen = 0;
	FILE *out;

	for (size_t i = 0; i < 6; i++) {
		char line[4096];
		size_t len;

		if (i == 2) {
			memset(line, '9', long_len - 1);
			memcpy(line, "Groups:", 7);
			line[long_len - 1] = '\n';
			line[long_len] = '\0';
		} else
			strcpy(line, i < 2 ? shorts[i] : after[i - 3]);
		len = strlen(line);
		memcpy(file + flen, line, len);
		flen += len;
		if (len <= STATUS_LINE_MAX && kept < size - 1 && kept + len <= size - 1) {
			strcat(want, line);
			kept += len;
		}
		if (kept == size - 1)
			kept = size;	/* full: nothing more */
	}
	out = fopen(path, "w");
	if (!out || fwrite(file, 1, flen, out) != flen || fclose(out) != 0)
		return 0;
	return read_status(AT_FDCWD, path, got, size) == (ssize_t)strlen(want) &&
	       strcmp(got, want) == 0;
}

int main(void)
{
	char path[] = "/tmp/test-status.XXXXXX";
	char missing[8];
	int fd = mkstemp(path), bad = 0;

	if (fd < 0)
		return 99;
	close(fd);
	for (size_t size = 8; size <= 80; size++)
		for (size_t long_len = 8; long_len <= 3 * size && long_len < 2048; long_len++)
			bad += !reads_back(path, size, long_len);
	ok(bad == 0, "every buffer of 8 to 80 bytes keeps the lines that fit, and drops the rest whole");
	bad = 0;
	for (size_t long_len = 8; long_len < 4096; long_len++)
		bad += !reads_back(path, 4096, long_len) || !reads_back(path, 512, long_len);
	ok(bad == 0, "buffers of 512 and 4096 bytes: a line of up to 4 KiB before NSpid");
	ok(read_status(AT_FDCWD, "/nonexistent/status", missing, sizeof(missing)) == -1,
	   "a missing file is -1");
	unlink(path);
	printf("1..%d\n", test_number);
	return failures ? 1 : 0;
}
