/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The system calls of the sysctl method's helpers. A helper runs in the
 * caller's memory (CLONE_VM) next to the caller and its other helpers,
 * and so shares their thread-local errno: where the architecture allows,
 * these enter the kernel directly and return -errno, leaving errno
 * alone, and helpers may then run side by side and wait for a verdict.
 */
#ifndef SETLASTPID_RAWSYS_H
#define SETLASTPID_RAWSYS_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/futex.h>

/* SLP_GENERIC_HELPERS (CPPFLAGS=-DSLP_GENERIC_HELPERS): the portable path below on any machine, to test it */
#if defined(__x86_64__) && !defined(SLP_GENERIC_HELPERS)
#define HELPERS_MAY_OVERLAP 1
static inline long raw_syscall4(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__) && !defined(SLP_GENERIC_HELPERS)
#define HELPERS_MAY_OVERLAP 1
static inline long raw_syscall4(long nr, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;

	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}
#else
/*
 * Through libc, errno and all: the caller waits for each helper in turn,
 * and no helper waits for a verdict.
 */
#define HELPERS_MAY_OVERLAP 0
static inline long raw_syscall4(long nr, long a, long b, long c, long d)
{
	long ret = syscall(nr, a, b, c, d);

	return ret < 0 ? -errno : ret;
}
#endif

/* pread(fd, buf, len, 0): the length read, or -errno. */
static inline long helper_pread(int fd, void *buf, size_t len)
{
	return raw_syscall4(SYS_pread64, fd, (long)buf, (long)len, 0);
}

/* pwrite(fd, buf, len, 0): the length written, or -errno. */
static inline long helper_pwrite(int fd, const void *buf, size_t len)
{
	return raw_syscall4(SYS_pwrite64, fd, (long)buf, (long)len, 0);
}

/* openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC): the descriptor, or -errno. */
static inline long helper_open(const char *path)
{
	return raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
}

static inline void helper_close(int fd)
{
	raw_syscall4(SYS_close, fd, 0, 0, 0);
}

/*
 * Is pid in use in the helper's own pid namespace, by a task, or by a
 * process group or session that outlives its leader? F_SETOWN on fd, a
 * file of our own, looks the pid up whatever holds it: 1 if in use, 0 if
 * not (ESRCH), or -errno. (kill(pid, 0) and kill(-pid, 0) miss a session.)
 */
static inline long helper_pid_in_use(int fd, pid_t pid)
{
	long ret = raw_syscall4(SYS_fcntl, fd, F_SETOWN, pid, 0);

	if (ret == 0)
		raw_syscall4(SYS_fcntl, fd, F_SETOWN, 0, 0);
	return ret == 0 ? 1 : ret == -ESRCH ? 0 : ret;
}

/*
 * SIGKILL when the task that created it dies; false if that has happened
 * already, before the death signal was armed. creator is a pidfd of the
 * creator's process (readable once it has exited), or -1 if there is none.
 */
static inline bool helper_die_with_creator(int creator)
{
	struct pollfd pfd = { .fd = creator, .events = POLLIN };
	struct timespec now = { 0, 0 };

	raw_syscall4(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0);
	if (creator >= 0)
		return raw_syscall4(SYS_ppoll, (long)&pfd, 1, (long)&now, 0) == 0;
	/*
	 * The creator is in a pid namespace above the helper's, where the
	 * helper sees no parent (0) until it is reparented to one of its
	 * own; a reaper above is 0 too: this misses that case.
	 */
	return raw_syscall4(SYS_getppid, 0, 0, 0, 0) == 0;
}

/* Sleep while *word is value. */
static inline void futex_wait(int *word, int value)
{
	raw_syscall4(SYS_futex, (long)word, FUTEX_WAIT, value, 0);
}

/* Wake every task sleeping on *word. */
static inline void futex_wake_all(int *word)
{
	raw_syscall4(SYS_futex, (long)word, FUTEX_WAKE, 0x7fffffff, 0);
}

#endif
