// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc as this process finds it, in a container or not: mounted or not,
 * its own or another pid namespace's; a file that cannot be opened says
 * why, there and then.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "internal.h"

#define PID_FOR_CHILDREN "/proc/thread-self/ns/pid_for_children"

bool is_procfs(int fd)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) < 0)
		return false;
	if (fs.f_type == PROC_SUPER_MAGIC)
		return true;
	errno = ENOTSUP;
	return false;
}

int proc_fail_missing(const char *path, struct slp_error *err)
{
	struct statfs fs;
	struct stat st;

	err->hint = SLP_HINT_PROC;
	if (statfs("/proc", &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC)
		return fail_code(err, SLP_E_NO_PROC, ENOENT, NULL, "/proc");
	/* /proc/self names this process in /proc's pid namespace: none, no self */
	if (stat("/proc/self", &st) < 0 && errno == ENOENT)
		return fail_code(err, SLP_E_FOREIGN_PROC, ENOENT, NULL, "/proc/self");
	err->hint = SLP_HINT_NONE;
	return fail_sys(err, ENOENT, "open", path);
}

int proc_open(const char *path, int flags, struct slp_error *err)
{
	int fd = fd_off_stdio(open(path, flags | O_CLOEXEC)), errnum = errno;

	if (fd >= 0)
		return fd;
	switch (errnum) {
	case ENOENT:
		return proc_fail_missing(path, err);
	case EACCES:
	case EPERM:
		return fail_code(err, SLP_E_DENIED, errnum, "open", path);
	default:
		return fail_sys(err, errnum, "open", path);
	}
}

int proc_self_number(const char *field)
{
	char status[4096];
	pid_t n;

	return read_status(AT_FDCWD, "/proc/self/status", status, sizeof(status)) > 0 &&
	       status_ids(status, field, &n, 1) == 1 ? n : -1;
}

int read_pid_max(int *pid_max, struct slp_error *err)
{
	char text[16];
	ssize_t len;
	int fd = proc_open(PID_MAX, O_RDONLY, err), errnum;

	/* missing where /proc is this process's: as ns_last_pid missing, one cause */
	if (fd < 0 && err->code == SLP_E_SYSTEM && err->errnum == ENOENT)
		err->code = SLP_E_NO_SYSCTL;
	if (fd < 0)
		return -1;
	len = read(fd, text, sizeof(text) - 1);
	errnum = errno;
	close(fd);
	if (len <= 0)
		return fail_sys(err, len < 0 ? errnum : 0, "read", PID_MAX);
	text[len] = '\0';
	*pid_max = atoi(text);
	return 0;
}

bool pid_max_per_namespace(void)
{
	/* the kernel's release, asked once: 0 not yet, 1 no, 2 yes */
	static int known;
	int answer = __atomic_load_n(&known, __ATOMIC_RELAXED);
	struct utsname u;
	unsigned int major, minor;

	if (answer)
		return answer == 2;
	/* Linux 6.14 gave every pid namespace a pid_max of its own */
	answer = uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
			 (major > 6 || (major == 6 && minor >= 14)) ? 2 : 1;
	__atomic_store_n(&known, answer, __ATOMIC_RELAXED);
	return answer == 2;
}

int pidns_save(struct slp_error *err)
{
	return proc_open(PID_FOR_CHILDREN, O_RDONLY, err);
}

/*
 * setns() back may be refused (a caller with CAP_SYS_ADMIN over the
 * levels but not over its own pid namespace): then it stays where the
 * last setns() left it, where only the caller's next child is born.
 */
void pidns_back(int saved)
{
	if (saved >= 0)
		(void)setns(saved, CLONE_NEWPID);
}

void pidns_restore(int saved)
{
	pidns_back(saved);
	if (saved >= 0)
		close(saved);
}
