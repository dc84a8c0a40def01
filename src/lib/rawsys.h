/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pread and pwrite for the sysctl method's helpers. A helper runs in the
 * caller's memory (CLONE_VM) next to the caller and its other helpers, and
 * so shares their thread-local errno: where the architecture allows,
 * these enter the kernel directly and return -errno, leaving errno alone.
 */
#ifndef SETLASTPID_RAWSYS_H
#define SETLASTPID_RAWSYS_H

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
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
#elif defined(__aarch64__)
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
#define HELPERS_MAY_OVERLAP 0
#endif

#if HELPERS_MAY_OVERLAP
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
#else
/* Through libc, errno and all: the caller waits for each helper in turn. */
static inline long length_or_minus_errno(ssize_t ret)
{
	return ret < 0 ? -errno : ret;
}

#define helper_pread(fd, buf, len) length_or_minus_errno(pread(fd, buf, len, 0))
#define helper_pwrite(fd, buf, len) length_or_minus_errno(pwrite(fd, buf, len, 0))
#endif

#endif
