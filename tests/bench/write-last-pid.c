// SPDX-License-Identifier: GPL-2.0-or-later
/* The floor for one level in the caller's own namespace: open, write. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);

	if (argc != 2 || fd < 0)
		return 1;
	return write(fd, argv[1], strlen(argv[1])) < 0;
}
