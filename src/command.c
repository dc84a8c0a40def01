// SPDX-License-Identifier: GPL-2.0-or-later
/* -- COMMAND: create it as the next process of the target, at those pids. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#include "command.h"
#include "diag.h"
#include "nsfs.h"
#include "pidscan.h"

/* Why the child did not exec COMMAND, sent up a close-on-exec pipe. */
struct child_report {
	enum { REPORT_STOLEN, REPORT_EXEC } kind;
	unsigned int level;
	pid_t want, got;
	int errnum;
};

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static sigset_t forwarded;	/* those the caller does not ignore */
static sigset_t callers_mask;

/*
 * Forward the signals the caller does not ignore (one it ignores, as
 * under nohup, stays ignored, here and in COMMAND). They stay blocked
 * until the child's pid is known: one that comes while COMMAND is being
 * created waits, and is then passed on, not lost.
 */
static void forward_signals(void)
{
	struct sigaction sa = { .sa_handler = forward_signal }, old;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&forwarded);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		if (sigaction(forwarded_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN &&
		    sigaction(forwarded_signals[i], &sa, NULL) == 0)
			sigaddset(&forwarded, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &forwarded, &callers_mask);
}

/* The child's pid is known: what came meanwhile is forwarded now. */
static void start_forwarding(pid_t pid)
{
	child_pid = pid;
	sigprocmask(SIG_SETMASK, &callers_mask, NULL);
}

/*
 * An inherited SIG_IGN for SIGCHLD would have the kernel reap COMMAND
 * before the tool could wait for it: the default here, and COMMAND gets
 * back what the caller gave.
 */
static struct sigaction callers_sigchld;

static void default_sigchld(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &callers_sigchld);
}

/*
 * In the child, before exec, the caller's signals back: its SIGCHLD, the
 * defaults of those forwarded (exec would reset the handlers anyway),
 * then its mask, so that a signal sent to the whole group while COMMAND
 * was being created acts on it as on COMMAND.
 */
static void restore_callers_signals(void)
{
	sigaction(SIGCHLD, &callers_sigchld, NULL);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		if (sigismember(&forwarded, forwarded_signals[i]))
			signal(forwarded_signals[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, &callers_mask, NULL);
}

/* The pids of this process, innermost first, from NSpid; -1 if unknown. */
static int read_own_pids(pid_t *pids, unsigned int max)
{
	pid_t outer_first[VECTOR_MAX + 2];
	int n = nspid_read(AT_FDCWD, "/proc/self/status", outer_first, VECTOR_MAX + 2);

	for (int i = 0; i < n && i < (int)max; i++)
		pids[i] = outer_first[n - 1 - i];
	return n;
}

static void __attribute__((noreturn)) report_and_exit(int report_fd,
						      const struct child_report *report,
						      int status)
{
	/* Should the pipe fail, the status alone still tells the parent. */
	if (write(report_fd, report, sizeof(*report)) != sizeof(*report))
		_exit(status);
	_exit(status);
}

/* In the child: stop here if another process took one of our pids. */
static void check_pids_or_report(const struct pid_vector *vec, int report_fd)
{
	pid_t pids[VECTOR_MAX];
	int known = read_own_pids(pids, vec->nr);

	for (unsigned int i = 0; i < vec->nr; i++) {
		struct child_report report = {
			.kind = REPORT_STOLEN,
			.level = i,
			.want = vec->pid[i] + 1,
			.got = (int)i < known ? pids[i] : -1,
		};

		if (report.got != report.want)
			report_and_exit(report_fd, &report, EXIT_STOLEN);
	}
}

static void __attribute__((noreturn)) exec_or_report(char **argv, int report_fd)
{
	struct child_report report = { .kind = REPORT_EXEC };

	execvp(argv[0], argv);
	report.errnum = errno;
	report_and_exit(report_fd, &report,
			report.errnum == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/* clone3() with set_tid: the kernel gives these pids or fails. */
static pid_t fork_exact(const struct pid_vector *vec)
{
	pid_t set_tid[VECTOR_MAX];
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uint64_t)(uintptr_t)set_tid,
		.set_tid_size = vec->nr,
	};

	for (unsigned int i = 0; i < vec->nr; i++)
		set_tid[i] = vec->pid[i] + 1;
	return syscall(SYS_clone3, &args, sizeof(args));
}

static void __attribute__((noreturn)) fail_exact(const struct levels *levels,
						 const struct pid_vector *vec, int errnum)
{
	unsigned int level;

	switch (errnum) {
	case EEXIST:
		level = find_level_in_use(levels, vec);
		if (level < levels->nr)
			fail(EXIT_MISFIT,
			     "cannot run COMMAND with --exact: pid %d is in use in level %u (%s) of %s; "
			     "nothing was run",
			     vec->pid[level] + 1, level, level_name(levels, level), levels->path);
		fail(EXIT_MISFIT,
		     "cannot run COMMAND with --exact: one of its pids is in use in %s; nothing was run",
		     levels->path);
	case ENOSYS:
	case E2BIG:
		fail(EXIT_NO_IOCTL,
		     "cannot run COMMAND with --exact: this kernel lacks clone3() with set_tid "
		     "(Linux 5.5); drop --exact");
	default:
		fail_errno(errnum, "cannot run COMMAND with --exact: clone3 failed");
	}
}

static int exit_status_of(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return EXIT_SIGNALED + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

static int wait_child(pid_t pid)
{
	int wstatus;

	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			fail_errno(errno, "cannot wait for COMMAND");
	return exit_status_of(wstatus);
}

/* The child stopped before exec: say why, and exit as util-linux would. */
static void __attribute__((noreturn)) fail_report(const struct levels *levels,
						  const struct child_report *report,
						  const char *command)
{
	if (report->kind == REPORT_EXEC) {
		fprintf(stderr, "setlastpid: cannot run %s: %s\n", command,
			strerror(report->errnum));
		exit(report->errnum == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
	}
	if (report->got < 0)
		fail(EXIT_STOLEN, "cannot run %s: its pid in level %u (%s) of %s is unknown "
				  "(no NSpid in /proc/self/status); nothing was run",
		     command, report->level, level_name(levels, report->level), levels->path);
	fail(EXIT_STOLEN,
	     "cannot run %s: it got pid %d in level %u (%s) of %s, not %d: another process "
	     "was created there first; nothing was run, try again (--exact or --lock prevent this)",
	     command, report->got, report->level, level_name(levels, report->level),
	     levels->path, report->want);
}

int run_command(const struct levels *levels, const struct command *cmd)
{
	struct child_report report;
	int pipefd[2];
	ssize_t len;
	pid_t pid;

	/* setns() moves our next child there; our own level needs no move. */
	if (!levels->level[0].is_callers && setns(levels->level[0].fd, CLONE_NEWPID) < 0)
		fail_errno(errno, "cannot enter %s", levels->path);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		fail_errno(errno, "cannot make a pipe for COMMAND");
	forward_signals();
	default_sigchld();
	/* --verbose lines go out now, not again from the child or after COMMAND's. */
	fflush(stdout);

	pid = cmd->exact ? fork_exact(cmd->vec) : fork();
	if (pid == 0) {
		close(pipefd[0]);
		if (!cmd->exact)
			check_pids_or_report(cmd->vec, pipefd[1]);
		restore_callers_signals();
		exec_or_report(cmd->argv, pipefd[1]);
	}
	if (pid < 0) {
		int errnum = errno;

		if (cmd->exact)
			fail_exact(levels, cmd->vec, errnum);
		fail_errno(errnum, "cannot create COMMAND: fork failed");
	}
	start_forwarding(pid);
	/* COMMAND has its pids: the next restorer may go on. */
	if (cmd->lock_fd >= 0)
		flock(cmd->lock_fd, LOCK_UN);
	close(pipefd[1]);

	/* Nothing to read means exec closed the pipe: COMMAND runs. */
	while ((len = read(pipefd[0], &report, sizeof(report))) < 0 && errno == EINTR)
		;
	close(pipefd[0]);
	if (len == sizeof(report)) {
		wait_child(pid);
		fail_report(levels, &report, cmd->argv[0]);
	}
	return wait_child(pid);
}
