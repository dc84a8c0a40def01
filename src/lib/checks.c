// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The checks of a plan: each a rule the kernel (or the act) will apply,
 * asked without acting, in one order. A dry run makes every check of
 * its plan; a real run those the kernel does not make itself, and, when
 * the kernel refuses, all of them again to name the rule it refused by.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "rawsys.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* Level i is the caller's own (a plan without a target has only that one). */
static bool callers(struct plan *plan, unsigned int i)
{
	return !plan->target || target_is_callers(plan->target, i);
}

static const char *target_name(const struct plan *plan)
{
	return plan->target ? plan->target->name : OWN_PID_NS;
}

static int check_resolve(struct plan *plan, struct slp_error *err)
{
	return plan->target ? target_resolve(plan->target, plan->vec->nr, err) : 0;
}

/*
 * COMMAND is to have a pid that is the caller's own (restoring 99 and
 * 100 from one shell, the second setlastpid born at 101): it never can,
 * and no retry helps.
 */
static int check_own_pid(struct plan *plan, struct slp_error *err)
{
	pid_t self = getpid();

	for (unsigned int i = 0; i < plan->vec->nr; i++) {
		if (plan->vec->pid[i] + 1 != self || !callers(plan, i))
			continue;
		fail_code(err, SLP_E_OWN_PID, 0, NULL, plan->argv[0]);
		err->value = self;
		err->hint = SLP_HINT_ORDER;
		return fail_at(err, plan->target, i);
	}
	return 0;
}

/*
 * Room below level 0, where the caller is in it: a pid namespace made
 * for the calling thread's next child, and let go. Only where the way
 * back is sure (its setns() permitted): else the act itself tells.
 */
static int room_below(struct plan *plan, struct slp_error *err)
{
	int saved = pidns_save(err), errnum = 0;

	if (saved < 0)
		return -1;
	if (setns(saved, CLONE_NEWPID) == 0 && unshare(CLONE_NEWPID) < 0)
		errnum = errno;
	pidns_restore(saved);
	if (errnum == ENOSPC)
		return fail_code(err, SLP_E_TOO_DEEP_NEW, errnum, NULL, target_name(plan));
	if (errnum)
		return fail_sys(err, errnum, "create a pid namespace below", target_name(plan));
	return 0;
}

static int check_new_pidns(struct plan *plan, struct slp_error *err)
{
	if (plan->vec->nr >= SLP_VECTOR_MAX)
		return fail_code(err, SLP_E_TOO_DEEP_NEW, ENOSPC, NULL, target_name(plan));
	if (caps_check_own(SLP_CAP_SYS_ADMIN, "create a pid namespace below", err) < 0) {
		err->target = target_name(plan);
		return -1;
	}
	/* below a level not the caller's own, the task made there to create it looks */
	return plan->enter ? 0 : room_below(plan, err);
}

/* Spinning reaches the caller's own level alone: every task created moves each above too. */
static int check_spin(struct plan *plan, struct slp_error *err)
{
	if (plan->vec->nr == 1 && callers(plan, 0))
		return 0;
	fail_code(err, SLP_E_SPIN_OWN_ONLY, 0, NULL, NULL);
	err->target = target_name(plan);
	err->value = plan->vec->nr;
	err->hint = SLP_HINT_PRIVILEGE;
	return -1;
}

/*
 * Each value within the range its level takes: up to its pid_max, less
 * the plan's margin. The caller's pid_max is that of its own level, and
 * of every level where pid_max is one for all; a level with one of its
 * own is bounded here by the most any can have, and its own is read
 * from inside it (a helper), or the kernel's answer tells.
 */
static int check_range(struct plan *plan, struct slp_error *err)
{
	bool per_level = pid_max_per_namespace();
	int pid_max;

	/* hidden by a mount: what writes ns_last_pid finds it missing too; clone3() needs neither */
	if (read_pid_max(&pid_max, err) < 0 && err->code != SLP_E_NO_SYSCTL)
		return -1;
	if (err->code == SLP_E_NO_SYSCTL) {
		error_clear(err);
		pid_max = PID_MAX_LIMIT;
	}
	for (unsigned int i = 0; i < plan->vec->nr; i++) {
		int limit = per_level && !callers(plan, i) ? PID_MAX_LIMIT : pid_max;

		if (plan->vec->pid[i] > limit - plan->margin) {
			fail_range(err, (int)i, plan->vec->pid[i], limit, plan->margin);
			return fail_at(err, plan->target, i);
		}
	}
	return 0;
}

/* The caller's own level alone, without a target: its owner, else the caller's own set. */
static int check_own_level(struct slp_error *err)
{
	struct slp_target *own;
	int ret = slp_target_open(&own, OWN_PID_NS, err);

	if (ret == 0) {
		ret = caps_check_levels(own, 0, 1, 0, err);
		target_free_own(own, err);
	}
	/*
	 * /proc is another pid namespace's, or the descriptors the rule's walk
	 * needs (the write needs one) are not to be had: the caller's own user
	 * namespace is taken to own its pid namespace
	 */
	if (ret == 0 || (err->code != SLP_E_FOREIGN_PROC && err->code != SLP_E_TARGET_MISSING &&
			 err->errnum != EMFILE && err->errnum != ENFILE))
		return ret;
	error_clear(err);
	if (caps_check_own(SLP_CAP_SYS_ADMIN_OR_CHECKPOINT_RESTORE, "set the last pid of", err) == 0)
		return 0;
	err->target = "your own pid namespace";
	return -1;
}

static int check_owners(struct plan *plan, struct slp_error *err)
{
	if (!plan->target)
		return check_own_level(err);
	return caps_check_levels(plan->target, 0, plan->vec->nr, plan->entered, err);
}

/* Not permitted to enter: the capability rule says which level needs what, if it tells. */
static int fail_enter(struct plan *plan, unsigned int i, int errnum, struct slp_error *err)
{
	if (errnum == EPERM && check_owners(plan, err) < 0)
		return -1;
	return fail_entering(err, plan->target, i, errnum);
}

/*
 * setns() into every level a task is to be born in is exactly the check
 * its creation will face, and it changes nothing anyone sees: only where
 * the thread's next child would be born, and that is put back. The
 * caller's own level is written, not entered: its rule is the write's.
 */
static int check_entry(struct plan *plan, struct slp_error *err)
{
	unsigned int nr = plan->vec->nr, i;
	int saved = pidns_save(err), errnum = 0;

	if (saved < 0)
		return -1;
	for (i = 0; i < nr && !errnum; i++)
		if ((plan->entered & (1u << i)) && setns(plan->target->level[i].fd, CLONE_NEWPID) < 0)
			errnum = errno;
	pidns_restore(saved);
	if (errnum)
		return fail_enter(plan, i - 1, errnum, err);
	if (!callers(plan, nr - 1))
		return 0;
	return caps_check_levels(plan->target, nr - 1, nr, 0, err);
}

/*
 * A file execve() would run, and the interpreter its "#!" line names, as
 * deep as the kernel follows them: 0, or why not. A file it cannot read
 * is left to execve().
 */
static int runnable(const char *path, int depth)
{
	char line[256], *interp;
	struct stat st;
	ssize_t len;
	int fd;

	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EACCES;
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
		return errno;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	len = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (len < 3 || line[0] != '#' || line[1] != '!')
		return 0;
	line[len] = '\0';
	interp = line + 2 + strspn(line + 2, " \t");
	interp[strcspn(interp, " \t\n")] = '\0';
	if (!*interp)
		return 0;
	return depth < 4 ? runnable(interp, depth + 1) : ELOOP;
}

/*
 * As execvp() looks: a name with a slash is the file; else each
 * directory of PATH (glibc's default where it is unset), an empty one
 * the current directory. A file found but not runnable is remembered,
 * and told if nothing runnable comes after.
 */
static int command_lookup(const char *name)
{
	const char *dir = getenv("PATH"), *end;
	char file[PATH_MAX];
	int found = ENOENT, why;

	if (!*name || strchr(name, '/'))
		return *name ? runnable(name, 0) : ENOENT;
	for (dir = dir ? dir : "/bin:/usr/bin";; dir = end + 1) {
		end = strchrnul(dir, ':');
		if (snprintf(file, sizeof(file), "%.*s%s%s", (int)(end - dir), dir,
			     end > dir ? "/" : "", name) < (int)sizeof(file)) {
			why = runnable(file, 0);
			if (why == 0)
				return 0;
			if (why == EACCES)
				found = EACCES;
		}
		if (!*end)
			return found;
	}
}

static int check_command(struct plan *plan, struct slp_error *err)
{
	int errnum = command_lookup(plan->argv[0]);

	return errnum ? fail_code(err, SLP_E_EXEC, errnum, "execute", plan->argv[0]) : 0;
}

/*
 * Why clone3() with set_tid cannot be had: a kernel before Linux 5.5
 * (5.3 and 5.4 have clone3() without set_tid), or a seccomp filter that
 * answers for the kernel (Docker's default profile says ENOSYS), as a
 * process under one (Seccomp: 2) is taken to meet.
 */
int fail_no_clone3(int errnum, struct slp_error *err)
{
	/* E2BIG: a kernel's own answer to arguments it does not know */
	bool filtered = errnum != E2BIG && proc_self_number("\nSeccomp:") == 2;

	fail_code(err, filtered ? SLP_E_FILTERED : SLP_E_NO_CLONE3, errnum,
		  filtered ? "clone3()" : NULL, NULL);
	err->hint = SLP_HINT_NO_EXACT;
	return -1;
}

/*
 * Can clone3() with set_tid be used here? It is asked with a set_tid
 * the kernel refuses before it creates anything: EINVAL is yes; ENOSYS,
 * E2BIG, EPERM or EACCES (a kernel without it, a filter) no. Anything
 * else says nothing of it: the real call, which creates nothing either
 * when it fails, tells.
 */
int probe_clone3(struct slp_error *err)
{
	/* clone3()'s arguments up to set_tid_size, Linux 5.5: set_tid NULL, set_tid_size 1 */
	uint64_t args[10] = { [9] = 1 };
	long ret = syscall(SYS_clone3, args, sizeof(args));
	int errnum = errno;

	if (ret == 0)
		_exit(127);	/* a kernel that took it: never here */
	if (ret > 0) {
		waitpid((pid_t)ret, NULL, 0);
		return 0;
	}
	if (errnum != ENOSYS && errnum != E2BIG && errnum != EPERM && errnum != EACCES)
		return 0;
	return fail_no_clone3(errnum, err);
}

static int check_clone3(struct plan *plan, struct slp_error *err)
{
	if (probe_clone3(err) == 0)
		return 0;
	err->file = plan->argv[0];
	return -1;
}

/*
 * A pid COMMAND needs, in use, is no race to retry but a refusal: in the
 * caller's own level, asked of the kernel; elsewhere, /proc tells.
 */
static int check_pids_free(struct plan *plan, struct slp_error *err)
{
	const struct slp_vector *vec = plan->vec;
	unsigned int level = vec->nr;
	long in_use;

	/* a task's pid, or a process group's or session's that outlives its leader */
	if (vec->nr == 1 && callers(plan, 0)) {
		in_use = helper_pid_in_use(plan->target->level[0].fd, vec->pid[0] + 1);
		if (in_use < 0)
			return fail_sys(err, (int)-in_use, "look up the pid it needs in", plan->target->name);
		level = in_use ? 0 : 1;
	} else {
		level = find_level_in_use(plan->target, vec);
	}
	if (level >= vec->nr)
		return 0;
	fail_code(err, SLP_E_PID_IN_USE, EEXIST, NULL, plan->argv[0]);
	err->value = vec->pid[level] + 1;
	return fail_at(err, plan->target, level);
}

int run_checks(struct plan *plan, unsigned int mask, struct slp_error *err)
{
	static const struct {
		enum check check;
		int (*run)(struct plan *plan, struct slp_error *err);
	} checks[] = {
		{ CHECK_SPIN, check_spin }, { CHECK_RESOLVE, check_resolve },
		{ CHECK_OWN_PID, check_own_pid }, { CHECK_NEW_PIDNS, check_new_pidns },
		{ CHECK_RANGE, check_range }, { CHECK_CLONE3, check_clone3 },
		{ CHECK_OWNERS, check_owners },
		{ CHECK_ENTRY, check_entry }, { CHECK_COMMAND, check_command },
		{ CHECK_PIDS_FREE, check_pids_free },
		{ CHECK_INSIDE, crew_check_inside },
	};

	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if ((mask & checks[i].check) && checks[i].run(plan, err) < 0)
			return -1;
	return 0;
}

int plan_refused(struct plan *plan, int errnum, const char *call, const char *what,
		 struct slp_error *err)
{
	const char *name = plan->target ? plan->target->name : OWN_PID_NS;

	if (errnum != EINVAL && errnum != EPERM && errnum != EACCES)
		return fail_sys(err, errnum, call, what ? what : name);
	fail_code(err, errnum == EINVAL ? SLP_E_REFUSED : SLP_E_DENIED, errnum, NULL, NULL);
	err->target = name;
	return plan_explain(plan, err);
}

int plan_explain(struct plan *plan, struct slp_error *err)
{
	struct slp_error why;

	error_clear(&why);
	if (run_checks(plan, plan->checks, &why) < 0)
		*err = why;
	return -1;
}
