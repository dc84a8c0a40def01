/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The spin method's one task: created and gone at once, the cheapest
 * there is. A thread of the caller's (CLONE_THREAD: reaped by the kernel,
 * nothing to wait for) that exits as it starts, in the same instructions,
 * touching no memory: so it runs on the creator's stack pointer and needs
 * no stack of its own. Every signal must be blocked in the creating
 * thread (the new one inherits that): a handler would run on that stack.
 */
#ifndef SETLASTPID_SPINSYS_H
#define SETLASTPID_SPINSYS_H

#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define SPIN_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
		    CLONE_SYSVSEM)

#if defined(__x86_64__)
#define SPIN_IN_PARALLEL 1
/* One task created and ended: its pid, or -errno. */
static inline long spin_once(void)
{
	register long r10 __asm__("r10") = 0;	/* child_tid */
	register long r8 __asm__("r8") = 0;	/* tls */
	long ret = 0;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov %[exit], %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone), "D"((long)SPIN_FLAGS), "S"(0L), "d"(0L), "r"(r10),
			   "r"(r8), [exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
#define SPIN_IN_PARALLEL 1
static inline long spin_once(void)
{
	register long x8 __asm__("x8") = SYS_clone;
	register long x0 __asm__("x0") = SPIN_FLAGS;
	register long x1 __asm__("x1") = 0;	/* stack: ours */
	register long x2 __asm__("x2") = 0;	/* parent_tid */
	register long x3 __asm__("x3") = 0;	/* tls */
	register long x4 __asm__("x4") = 0;	/* child_tid */

	__asm__ volatile("svc 0\n\t"
			 "cbnz x0, 1f\n\t"
			 "mov x8, %[exit]\n\t"
			 "mov x0, #0\n\t"
			 "svc 0\n"
			 "1:"
			 : "+r"(x0), "+r"(x8)
			 : "r"(x1), "r"(x2), "r"(x3), "r"(x4), [exit] "i"(SYS_exit)
			 : "memory");
	return x0;
}
#else
/* Elsewhere a process that exits at once, waited for: slower, one spinner. */
#define SPIN_IN_PARALLEL 0
static inline long spin_once(void)
{
	pid_t pid = vfork();

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -errno;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return pid;
}
#endif

#endif
