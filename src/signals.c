// SPDX-License-Identifier: GPL-2.0-or-later
/* The caller's signals while COMMAND runs: passed on to it, or left as they were. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "signals.h"

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/*
 * Every signal whose default action ends the process and that another
 * process sends (not those of a fault in this one, SIGPIPE of a lost
 * report, nor SIGKILL): whichever of them comes, the promise is the
 * same, all or nothing; COMMAND's status is its own. The real-time
 * signals glibc keeps for itself are not ours to take.
 */
static const int forwarded_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
	SIGXCPU, SIGXFSZ, SIGIO, SIGPWR,
#ifdef SIGSTKFLT
	SIGSTKFLT,
#endif
};

/* Each of them, and the real-time signals, for each does as for one. */
static void forwarded_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(set, forwarded_signals[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
}

/*
 * Forward the signals the caller does not ignore (one it ignores, as
 * under nohup, stays ignored, here and in COMMAND). They stay blocked
 * until the child's pid is known: one that comes while COMMAND is being
 * created waits, and is then passed on, not lost. An inherited SIG_IGN
 * for SIGCHLD would have the kernel reap COMMAND before it could be
 * waited for: the default here, and COMMAND gets back the caller's.
 */
void hold_interrupts(sigset_t *interrupts)
{
	forwarded_set(interrupts);
	sigprocmask(SIG_BLOCK, interrupts, NULL);
}

void forward_signals(struct slp_spawn_attr *attr)
{
	struct sigaction sa = { .sa_handler = forward_signal }, dfl = { .sa_handler = SIG_DFL };
	struct sigaction old;
	sigset_t forwarded;

	*attr = (struct slp_spawn_attr){
		.flags = SLP_SPAWN_SETSIGMASK | SLP_SPAWN_SETSIGDEF | SLP_SPAWN_SETSIGIGN,
	};
	sigemptyset(&attr->sigdefault);
	sigemptyset(&attr->sigignore);
	sigemptyset(&sa.sa_mask);
	sigemptyset(&dfl.sa_mask);
	forwarded_set(&forwarded);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(&forwarded, sig) != 1)
			continue;
		if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_IGN &&
		    sigaction(sig, &sa, NULL) == 0)
			sigaddset(&attr->sigdefault, sig);
	}
	/* exec resets handlers, but COMMAND must not run one before it execs */
	if (sigaction(SIGCHLD, &dfl, &old) == 0 && old.sa_handler == SIG_IGN)
		sigaddset(&attr->sigignore, SIGCHLD);
	sigprocmask(SIG_BLOCK, &attr->sigdefault, &attr->sigmask);
}

int pending_interrupt(const sigset_t *interrupts)
{
	sigset_t pending;

	if (sigpending(&pending) < 0)
		return 0;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(interrupts, sig) == 1 && sigismember(&pending, sig) == 1)
			return sig;
	return 0;
}

int die_of_signal(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t only;

	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	/* the status a shell sees is the signal's; a core dump is no news */
	prctl(PR_SET_DUMPABLE, 0);
	sigemptyset(&only);
	sigaddset(&only, sig);
	sigprocmask(SIG_UNBLOCK, &only, NULL);
	raise(sig);
	return 128 + sig;
}

void start_forwarding(pid_t pid, const struct slp_spawn_attr *attr)
{
	child_pid = pid;
	sigprocmask(SIG_SETMASK, &attr->sigmask, NULL);
}

int wait_command(pid_t pid)
{
	int wstatus;

	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}
