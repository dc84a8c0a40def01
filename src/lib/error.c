// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What failed, as a value; its one line of text, in the library's own
 * terms, and its exit status, from one table. What might help is the
 * hint's, for a front end to word.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "internal.h"

void error_clear(struct slp_error *err)
{
	*err = (struct slp_error){ .level = -1 };
}

int fail_code(struct slp_error *err, enum slp_code code, int errnum, const char *call,
	      const char *file)
{
	err->code = code;
	err->errnum = errnum;
	err->call = call;
	err->file = file;
	return -1;
}

int fail_sys(struct slp_error *err, int errnum, const char *call, const char *file)
{
	return fail_code(err, SLP_E_SYSTEM, errnum, call, file);
}

int fail_range(struct slp_error *err, int level, pid_t value, long pid_max, int margin)
{
	fail_code(err, SLP_E_RANGE, 0, NULL, NULL);
	err->level = level;
	err->value = value;
	err->pid_max = pid_max;
	err->limit = pid_max - margin;
	err->hint = SLP_HINT_LOWER;
	return -1;
}

int fail_signal(struct slp_error *err, int sig, const char *doing)
{
	struct sigaction action;

	/* held, a signal the caller ignores is pending all the same: it stays ignored */
	if (sigaction(sig, NULL, &action) == 0 && action.sa_handler == SIG_IGN)
		return 0;
	fail_code(err, SLP_E_INTERRUPTED, EINTR, doing, NULL);
	err->signal = sig;
	return -1;
}

int fail_interrupted(struct slp_error *err, const sigset_t *set, const char *doing)
{
	sigset_t pending, only;

	if (!set || sigpending(&pending) < 0)
		return 0;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(set, sig) != 1 || sigismember(&pending, sig) != 1)
			continue;
		sigemptyset(&only);
		sigaddset(&only, sig);
		(void)sigtimedwait(&only, NULL, &(struct timespec){ 0, 0 });
		if (fail_signal(err, sig, doing) < 0)
			return -1;
	}
	return 0;
}

/*
 * The one table: what each failure is, as setlastpid(8) documents it.
 * The exit statuses are sysexits.h's, as argp's 64 is, and those of
 * util-linux and the shells for a command that cannot run.
 */
static const int exit_status[] = {
	[SLP_OK] = 0,
	[SLP_E_INVALID] = EX_USAGE,
	[SLP_E_SYSTEM] = EX_OSERR,
	[SLP_E_TARGET_MISSING] = EX_NOINPUT,
	[SLP_E_NOT_PIDNS] = EX_DATAERR,
	[SLP_E_TOO_DEEP] = EX_DATAERR,
	[SLP_E_OUTSIDE] = EX_DATAERR,
	[SLP_E_RANGE] = EX_DATAERR,
	[SLP_E_REFUSED] = EX_DATAERR,
	[SLP_E_PID_IN_USE] = EX_DATAERR,
	[SLP_E_DENIED] = EX_NOPERM,
	[SLP_E_NO_IOCTL] = EX_UNAVAILABLE,
	[SLP_E_NO_SYSCTL] = EX_UNAVAILABLE,
	[SLP_E_NO_CLONE3] = EX_UNAVAILABLE,
	[SLP_E_STOLEN] = EX_TEMPFAIL,
	[SLP_E_EXEC] = 126,	/* 127 when not found */
	[SLP_E_INTERRUPTED] = 128,	/* + the signal, as a shell tells it */
	[SLP_E_MASKED] = EX_NOPERM,
	[SLP_E_READ_ONLY] = EX_NOPERM,
	[SLP_E_FILTERED] = EX_NOPERM,
	[SLP_E_NO_PROC] = EX_UNAVAILABLE,
	[SLP_E_FOREIGN_PROC] = EX_UNAVAILABLE,
	[SLP_E_SPIN_OWN_ONLY] = EX_NOPERM,
	[SLP_E_UNREACHABLE] = EX_DATAERR,
	[SLP_E_TOO_FAR] = EX_DATAERR,
	[SLP_E_OVERSHOT] = EX_TEMPFAIL,
	[SLP_E_OWN_PID] = EX_DATAERR,
	[SLP_E_TOO_DEEP_NEW] = EX_DATAERR,
};

SLP_EXPORT int slp_exit_status(const struct slp_error *err)
{
	if (err->code == SLP_E_EXEC && err->errnum == ENOENT)
		return 127;
	if (err->code == SLP_E_INTERRUPTED)
		return 128 + err->signal;
	if ((size_t)err->code < sizeof(exit_status) / sizeof(exit_status[0]))
		return exit_status[err->code];
	return EX_SOFTWARE;
}

/* A bounded appender: the text is cut, never overrun. */
struct text {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3))) add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
}

static const char *ns_type_name(int type)
{
	static const struct {
		int type;
		const char *name;
	} names[] = {
		{ CLONE_NEWNET, "a net" }, { CLONE_NEWNS, "a mnt" }, { CLONE_NEWUTS, "a uts" },
		{ CLONE_NEWIPC, "an ipc" }, { CLONE_NEWUSER, "a user" },
		{ CLONE_NEWCGROUP, "a cgroup" }, { CLONE_NEWTIME, "a time" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	return "an unknown";
}

static const char *cap_name(enum slp_cap cap)
{
	return cap == SLP_CAP_SYS_ADMIN ? "CAP_SYS_ADMIN"
					: "CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE";
}

/* "level 2 (pid:[4026531836]) of /proc/42/ns/pid" */
static void add_level(struct text *t, const struct slp_error *err)
{
	add(t, "level %d (pid:[%llu]) of %s", err->level, (unsigned long long)err->level_ino,
	    err->target ? err->target : "the target");
}

static void add_errno(struct text *t, const struct slp_error *err)
{
	if (err->errnum)
		add(t, ": %s", strerror(err->errnum));
}

/* "cannot CALL [OBJECT][: ERROR]": the object is the level, else the file */
static void add_cannot(struct text *t, const struct slp_error *err)
{
	add(t, "cannot %s", err->call ? err->call : "do it");
	if (err->level >= 0) {
		add(t, " ");
		add_level(t, err);
	} else if (err->file) {
		add(t, " %s", err->file);
		/* a process to create, and where */
		if (err->target)
			add(t, " in %s", err->target);
	}
	add_errno(t, err);
}

static void add_denied(struct text *t, const struct slp_error *err)
{
	if (err->cap != SLP_CAP_NONE && err->level >= 0) {
		add(t, "not permitted to set ");
		add_level(t, err);
		add(t, ": it needs %s in ", cap_name(err->cap));
		if (err->owner_ino)
			add(t, "user:[%llu]", (unsigned long long)err->owner_ino);
		else
			add(t, "a user namespace above yours");
		add(t, ", which owns it");
	} else if (err->cap != SLP_CAP_NONE) {
		add(t, "not permitted to %s %s: that needs %s in your own user namespace",
		    err->call ? err->call : "enter the pid namespaces of", err->target,
		    cap_name(err->cap));
	} else if (err->level >= 0) {
		add(t, "not permitted to %s ", err->call ? err->call : "set");
		add_level(t, err);
		add_errno(t, err);
	} else if (err->file) {
		add_cannot(t, err);
	} else {
		add(t, "not permitted to set the pid namespaces of %s", err->target);
		add_errno(t, err);
	}
}

/* The command (COMMAND's name) a call was to create. */
static const char *command(const struct slp_error *err)
{
	return err->file ? err->file : "the process";
}

static void add_range(struct text *t, const struct slp_error *err)
{
	add(t, "value %d of the vector, %lld, is above ", err->level + 1, (long long)err->value);
	if (err->limit == err->pid_max)
		add(t, "pid_max (%lld)", (long long)err->limit);
	else if (err->limit == err->pid_max - 1)
		add(t, "pid_max - 1 (%lld), the most a counter gets to by creating tasks",
		    (long long)err->limit);
	else
		add(t, "pid_max - 2 (%lld): the process created gets the value + 1, which must "
		       "be below pid_max (%lld)", (long long)err->limit, (long long)err->pid_max);
}

/* The codes of a process to create: its pids, its file. */
static bool add_process(struct text *t, const struct slp_error *err)
{
	switch (err->code) {
	case SLP_E_PID_IN_USE:
		if (err->level < 0)
			add(t, "cannot create %s: one of its pids is in use in %s", command(err),
			    err->target);
		else
			add(t, "cannot create %s: pid %lld is in use in ", command(err),
			    (long long)err->value);
		if (err->level >= 0)
			add_level(t, err);
		add(t, "; nothing was run");
		return true;
	case SLP_E_STOLEN:
		add(t, "cannot run %s: ", command(err));
		if (err->got < 0) {
			add(t, "its pid in ");
			add_level(t, err);
			add(t, " is unknown (no NSpid in /proc/self/status); nothing was run");
			return true;
		}
		add(t, "it got pid %d in ", err->got);
		add_level(t, err);
		add(t, ", not %d: another process was created there first; nothing was run",
		    err->want);
		return true;
	case SLP_E_OWN_PID:
		if (err->want) {
			add(t, "cannot spin to %lld: it is this process's own pid, which no task can "
			       "take while it runs, and the counter is past it (at %d)",
			    (long long)err->value, err->got);
			return true;
		}
		add(t, "cannot create %s: pid %lld in ", command(err), (long long)err->value);
		add_level(t, err);
		add(t, " is this process's own, free only once it is gone; nothing was set");
		return true;
	case SLP_E_TOO_DEEP_NEW:
		add(t, "cannot create a pid namespace below %s: it is as deep as pid namespaces "
		       "nest (32 levels); nothing was run", err->file);
		return true;
	case SLP_E_NO_CLONE3:
		add(t, "cannot create %s with clone3() set_tid: this kernel lacks it (Linux 5.5)",
		    command(err));
		return true;
	case SLP_E_FILTERED:
		add(t, "cannot create %s: a seccomp filter refuses %s here (Seccomp: 2 in "
		       "/proc/self/status), as a container's default profile does",
		    command(err), err->call);
		return true;
	case SLP_E_EXEC:
		add(t, "cannot run %s", command(err));
		add_errno(t, err);
		return true;
	default:
		return false;
	}
}

/* The codes of spinning: how far the counter is, and where it went. */
static bool add_spin(struct text *t, const struct slp_error *err)
{
	switch (err->code) {
	case SLP_E_SPIN_OWN_ONLY:
		add(t, "cannot spin to the vector for %s: spinning reaches your own pid "
		       "namespace's last pid alone, one value (every task created moves each "
		       "level above it too)", err->target);
		return true;
	case SLP_E_UNREACHABLE:
		add(t, "cannot spin to %lld: it is below 300 and behind the counter (%d), which "
		       "comes back no lower than 300 after pid_max; nothing was created",
		    (long long)err->value, err->got);
		return true;
	case SLP_E_TOO_FAR:
		add(t, "cannot spin to %d: from %d that takes %lld tasks, more than the most "
		       "allowed (%lld); nothing was created", err->want - 1, err->got,
		    (long long)err->value, (long long)err->limit);
		return true;
	case SLP_E_OVERSHOT:
		add(t, "cannot spin to %lld: the counter went past it, to %d, as other processes "
		       "were created meanwhile", (long long)err->value, err->got);
		return true;
	case SLP_E_INTERRUPTED:
		if (sigabbrev_np(err->signal))
			add(t, "interrupted by SIG%s", sigabbrev_np(err->signal));
		else
			add(t, "interrupted by signal %d", err->signal);
		if (err->want)
			add(t, " while spinning to %lld: ns_last_pid is at %d now, and stays there; "
			       "no task is left", (long long)err->value, err->got);
		else
			add(t, " while %s %s", err->call ? err->call : "setting",
			    err->file ? err->file : err->target ? err->target : "the levels");
		return true;
	default:
		return false;
	}
}

/* Where the counters are: /proc and its files. */
static bool add_proc(struct text *t, const struct slp_error *err)
{
	switch (err->code) {
	case SLP_E_NO_SYSCTL:
		add(t, "cannot open %s: it is not in this /proc: the kernel lacks "
		       "CONFIG_CHECKPOINT_RESTORE, or a mount hides /proc/sys/kernel",
		    err->file ? err->file : NS_LAST_PID);
		return true;
	case SLP_E_MASKED:
		add(t, "cannot set the last pid: %s is masked here, not procfs's own (a container "
		       "runtime's mask)", err->file);
		return true;
	case SLP_E_READ_ONLY:
		add(t, "cannot set the last pid: /proc/sys is read-only here, as containers have "
		       "it by default");
		return true;
	case SLP_E_NO_PROC:
		add(t, "cannot go on: /proc is not mounted here");
		return true;
	case SLP_E_FOREIGN_PROC:
		add(t, "cannot go on: /proc here shows another pid namespace, where this process "
		       "has no pid (%s is missing)", err->file ? err->file : "/proc/self");
		return true;
	default:
		return false;
	}
}

/* The vector against the target: its levels and their ranges. */
static void add_levels(struct text *t, const struct slp_error *err)
{
	switch (err->code) {
	case SLP_OK:
		add(t, "done");
		break;
	case SLP_E_INVALID:
		add(t, "invalid argument: %s", err->call);
		break;
	case SLP_E_NOT_PIDNS:
		if (err->ns_type)
			add(t, "%s is %s namespace, not a pid namespace", err->file,
			    ns_type_name(err->ns_type));
		else
			add(t, "%s is not a namespace file", err->file);
		break;
	case SLP_E_TOO_DEEP:
		add(t, "the vector has %lld values but %s is %lld level%s deep as seen from here",
		    (long long)err->value, err->target, (long long)err->limit,
		    err->limit == 1 ? "" : "s");
		break;
	case SLP_E_OUTSIDE:
		add_level(t, err);
		add(t, " is not your own pid namespace or below it");
		break;
	case SLP_E_RANGE:
		add_range(t, err);
		break;
	case SLP_E_REFUSED:
		add(t, "the kernel refused the vector for %s", err->target);
		add_errno(t, err);
		break;
	case SLP_E_DENIED:
		add_denied(t, err);
		break;
	case SLP_E_NO_IOCTL:
		add(t, "cannot set %s: this kernel lacks NS_SET_LAST_PID_VEC", err->target);
		break;
	case SLP_E_SYSTEM:
	case SLP_E_TARGET_MISSING:
		add_cannot(t, err);
		break;
	default:
		add(t, "unknown error %d", (int)err->code);
		break;
	}
}

SLP_EXPORT char *slp_strerror(const struct slp_error *err, char *buf, size_t size)
{
	struct text t = { buf, size, 0 };

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (err->undo != SLP_UNDO_NONE && err->level >= 0 && err->call) {
		/* a write that failed: which level, and whether the rest is back */
		add(&t, "cannot set ");
		add_level(&t, err);
		add(&t, err->errnum ? ": %s failed" : ": %s", err->call);
		add_errno(&t, err);
	} else if (!add_process(&t, err) && !add_spin(&t, err) && !add_proc(&t, err)) {
		add_levels(&t, err);
	}
	if (err->undo != SLP_UNDO_NONE)
		add(&t, err->undo == SLP_UNDO_DONE ? "; the levels written were put back"
						   : "; the levels written may not have been put back");
	return buf;
}

SLP_EXPORT const char *slp_method_name(enum slp_method method)
{
	static const char *const names[] = {
		[SLP_METHOD_AUTO] = "auto", [SLP_METHOD_IOCTL] = "ioctl",
		[SLP_METHOD_SYSCTL] = "sysctl", [SLP_METHOD_EXACT] = "clone3 set_tid (VECTOR + 1)",
		[SLP_METHOD_SPIN] = "spin", [SLP_METHOD_PRESET] = "preset",
	};

	return (size_t)method < sizeof(names) / sizeof(names[0]) ? names[method] : "unknown";
}
