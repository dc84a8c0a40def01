// SPDX-License-Identifier: LGPL-2.1-or-later
/* What failed, as a value; its one line of text and its exit status, from one table. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sysexits.h>

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

/*
 * The one table: what each failure is, as setlastpid(8) documents it.
 * The exit statuses are sysexits.h's, as argp's 64 is, and those of
 * util-linux and the shells for a COMMAND that cannot run.
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
	switch (type) {
	case CLONE_NEWNET:
		return "net";
	case CLONE_NEWNS:
		return "mnt";
	case CLONE_NEWUTS:
		return "uts";
	case CLONE_NEWIPC:
		return "ipc";
	case CLONE_NEWUSER:
		return "user";
	case CLONE_NEWCGROUP:
		return "cgroup";
	case CLONE_NEWTIME:
		return "time";
	default:
		return "unknown";
	}
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

static void add_undo(struct text *t, const struct slp_error *err)
{
	if (err->undo != SLP_UNDO_NONE)
		add(t, err->undo == SLP_UNDO_DONE ? "; the levels written were put back"
						  : "; the levels written may not have been put back");
}

/* A write that failed: which level, and whether the rest is back. */
static void add_after_write(struct text *t, const struct slp_error *err)
{
	add(t, "cannot set ");
	add_level(t, err);
	add(t, err->errnum ? ": %s failed" : ": %s", err->call);
	add_errno(t, err);
	add_undo(t, err);
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

static void add_stolen(struct text *t, const struct slp_error *err)
{
	if (err->got < 0) {
		add(t, "cannot run %s: its pid in ", err->file);
		add_level(t, err);
		add(t, " is unknown (no NSpid in /proc/self/status); nothing was run");
		return;
	}
	add(t, "cannot run %s: it got pid %d in ", err->file, err->got);
	add_level(t, err);
	add(t, ", not %d: another process was created there first; nothing was run, try again",
	    err->want);
	/* what would have prevented it, in this run */
	if (err->lock && err->exact_usable)
		add(t, " (one that does not take --lock; --exact prevents this)");
	else if (err->lock)
		add(t, " (one that does not take --lock)");
	else if (err->exact_usable)
		add(t, " (--exact or --lock prevent this)");
	else
		add(t, " (--lock prevents this among restorers that take it)");
}

static void add_range(struct text *t, const struct slp_error *err)
{
	add(t, "value %d of VECTOR, %lld, is above %s (%lld): give 0 to %lld", err->level + 1,
	    (long long)err->value,
	    err->exact  ? "pid_max - 2, as --exact creates VECTOR + 1"
	    : err->spun ? "pid_max - 1, the most a counter gets to by creating tasks"
			: "pid_max",
	    (long long)err->limit, (long long)err->limit);
}

SLP_EXPORT char *slp_strerror(const struct slp_error *err, char *buf, size_t size)
{
	struct text t = { buf, size, 0 };

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (err->undo != SLP_UNDO_NONE && err->level >= 0 && err->call) {
		add_after_write(&t, err);
		return buf;
	}
	switch (err->code) {
	case SLP_OK:
		add(&t, "done");
		break;
	case SLP_E_INVALID:
		add(&t, "invalid argument: %s", err->call);
		break;
	case SLP_E_SYSTEM:
	case SLP_E_TARGET_MISSING:
		add_cannot(&t, err);
		break;
	case SLP_E_NOT_PIDNS:
		if (err->ns_type)
			add(&t, "%s is a %s namespace, not a pid namespace: give /proc/PID/ns/pid",
			    err->file, ns_type_name(err->ns_type));
		else
			add(&t, "%s is not a namespace file: give /proc/PID/ns/pid", err->file);
		break;
	case SLP_E_TOO_DEEP:
		add(&t, "VECTOR has %lld values but %s is %lld level%s deep as seen from here: "
			"give at most %lld",
		    (long long)err->value, err->target, (long long)err->limit,
		    err->limit == 1 ? "" : "s", (long long)err->limit);
		break;
	case SLP_E_OUTSIDE:
		add_level(&t, err);
		add(&t, " is not your own pid namespace or below it: run setlastpid from a "
			"namespace that contains it");
		break;
	case SLP_E_RANGE:
		add_range(&t, err);
		break;
	case SLP_E_REFUSED:
		add(&t, "the kernel refused VECTOR for %s", err->target);
		add_errno(&t, err);
		break;
	case SLP_E_PID_IN_USE:
		add(&t, "cannot run COMMAND%s: ", err->exact ? " with --exact" : "");
		if (err->level >= 0) {
			add(&t, "pid %lld is in use in ", (long long)err->value);
			add_level(&t, err);
		} else {
			add(&t, "one of its pids is in use in %s", err->target);
		}
		add(&t, "; nothing was run");
		break;
	case SLP_E_INTERRUPTED:
		if (sigabbrev_np(err->signal))
			add(&t, "interrupted by SIG%s", sigabbrev_np(err->signal));
		else
			add(&t, "interrupted by signal %d", err->signal);
		if (err->spun)
			add(&t, " while spinning to %lld: ns_last_pid is at %d now, and stays there; "
				"no task is left", (long long)err->value, err->got);
		else
			add(&t, " while setting %s", err->target ? err->target : "the levels");
		break;
	case SLP_E_SPIN_OWN_ONLY:
		add(&t, "cannot spin to VECTOR for %s: spinning reaches your own pid namespace's "
			"last pid alone, one value (every task created moves each level above it "
			"too); setting more levels, or another namespace's, needs the privilege to "
			"write ns_last_pid there", err->target);
		break;
	case SLP_E_UNREACHABLE:
		add(&t, "cannot spin to %lld: it is below 300 and behind the counter (%d), which "
			"comes back no lower than 300 after pid_max; nothing was created",
		    (long long)err->value, err->got);
		break;
	case SLP_E_TOO_FAR:
		add(&t, "cannot spin to %d: from %d that takes %lld tasks, more than --max-spin "
			"(%lld); raise it, or lower pid_max in the namespace to shorten a wrap; "
			"nothing was created", err->want - 1, err->got, (long long)err->value,
		    (long long)err->limit);
		break;
	case SLP_E_OWN_PID:
		if (err->spun) {
			add(&t, "cannot spin to %lld: it is setlastpid's own pid, which no task can "
				"take while setlastpid runs, and the counter is past it (at %d): run "
				"setlastpid from the parent namespace, or before the counter gets there",
			    (long long)err->value, err->got);
			break;
		}
		add(&t, "cannot run COMMAND: pid %lld in ", (long long)err->value);
		add_level(&t, err);
		add(&t, " is setlastpid's own, free only once setlastpid is gone: set the "
			"counters alone (setlastpid %lld && COMMAND), restore in descending order, "
			"or run setlastpid from the parent namespace; nothing was set",
		    (long long)err->value - 1);
		break;
	case SLP_E_TOO_DEEP_NEW:
		add(&t, "cannot create a pid namespace below %s: it is as deep as pid namespaces "
			"nest (32 levels); nothing was run", err->file);
		break;
	case SLP_E_OVERSHOT:
		add(&t, "cannot spin to %lld: the counter went past it, to %d, as other processes "
			"were created meanwhile; try again", (long long)err->value, err->got);
		break;
	case SLP_E_DENIED:
		add_denied(&t, err);
		break;
	case SLP_E_NO_IOCTL:
		add(&t, "cannot set %s: this kernel lacks NS_SET_LAST_PID_VEC; --method=auto or "
			"--method=sysctl set the same counters through ns_last_pid", err->target);
		break;
	case SLP_E_NO_SYSCTL:
		add(&t, "cannot open %s: the kernel lacks CONFIG_CHECKPOINT_RESTORE or /proc is "
			"not mounted", NS_LAST_PID);
		break;
	case SLP_E_NO_CLONE3:
		add(&t, "cannot run COMMAND with --exact: this kernel lacks clone3() with set_tid "
			"(Linux 5.5); drop --exact");
		break;
	case SLP_E_STOLEN:
		add_stolen(&t, err);
		break;
	case SLP_E_EXEC:
		add(&t, "cannot run %s", err->file);
		add_errno(&t, err);
		break;
	case SLP_E_MASKED:
		add(&t, "cannot set the last pid: %s is masked here, not procfs's own (a container "
			"runtime's mask, as --security-opt mask=... makes): run without that mask",
		    err->file);
		break;
	case SLP_E_READ_ONLY:
		add(&t, "cannot set the last pid: /proc/sys is read-only here, as containers have it "
			"by default: run the container with --security-opt unmask=/proc/sys (Podman) "
			"or systempaths=unconfined (Docker), or give setlastpid CAP_SYS_ADMIN to write "
			"behind it%s", err->spawn ? ", or use --exact" : "");
		break;
	case SLP_E_FILTERED:
		add(&t, "cannot %s: a seccomp filter refuses %s here (Seccomp: 2 in "
			"/proc/self/status), as a container's default profile does%s",
		    err->spawn ? "run COMMAND with --exact" : "go on", err->call,
		    err->spawn ? ": drop --exact, or run the container with a profile that allows "
				 "it (CAP_SYS_ADMIN does, in Docker's)" : "");
		break;
	case SLP_E_NO_PROC:
		add(&t, "cannot set the last pid: /proc is not mounted here: mount procfs "
			"(mount -t proc proc /proc) or run setlastpid where it is");
		break;
	case SLP_E_FOREIGN_PROC:
		add(&t, "cannot set the last pid: /proc here shows another pid namespace, where "
			"this process has no pid (%s is missing): run setlastpid where /proc is "
			"its own pid namespace's or an ancestor's", err->file ? err->file : "/proc/self");
		break;
	default:
		add(&t, "unknown error %d", (int)err->code);
		break;
	}
	add_undo(&t, err);
	return buf;
}

SLP_EXPORT const char *slp_method_name(enum slp_method method)
{
	switch (method) {
	case SLP_METHOD_AUTO:
		return "auto";
	case SLP_METHOD_IOCTL:
		return "ioctl";
	case SLP_METHOD_SYSCTL:
		return "sysctl";
	case SLP_METHOD_EXACT:
		return "clone3 set_tid (VECTOR + 1)";
	case SLP_METHOD_SPIN:
		return "spin";
	case SLP_METHOD_PRESET:
		return "preset";
	}
	return "unknown";
}
