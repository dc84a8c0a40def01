// SPDX-License-Identifier: GPL-2.0-or-later
/* setlastpid: set ns_last_pid of a pid namespace and its ancestors at once. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "client.h"
#include "cmdline.h"
#include "diag.h"
#include "json.h"
#include "server.h"
#include "setlastpid.h"
#include "signals.h"

/*
 * --json: each level's pid_max, read before anything is set (a level's
 * own, on Linux 6.14 and later, by a task created there): 0 where it
 * cannot be read, which is no failure of the set's.
 */
static void read_pid_maxes(const struct control *ctl, struct slp_target *target, unsigned int nr,
			   int *pid_max)
{
	struct slp_error err;

	for (unsigned int i = 0; i < SLP_VECTOR_MAX; i++)
		pid_max[i] = 0;
	for (unsigned int i = 0; ctl->json && i < nr; i++)
		if (slp_get_pid_max(target, i, &pid_max[i], &err) < 0 && err.code == SLP_E_TOO_DEEP)
			break;
}

static void report_levels(const struct control *ctl, const struct slp_report *report,
			  const int *pid_max)
{
	if (ctl->json)
		return json_levels(ctl, report, &ctl->vec, pid_max, false);
	for (unsigned int i = 0; i < report->nr; i++) {
		if (ctl->at_least && (report->past & (1u << i))) {
			printf("%s level %u pid:[%llu] at %d (at least %d)\n",
			       ctl->dry_run ? "would leave" : "left", i,
			       (unsigned long long)report->level_ino[i], report->value[i],
			       ctl->vec.pid[i]);
			continue;
		}
		printf("%s level %u pid:[%llu] to %d via %s", ctl->dry_run ? "would set" : "set",
		       i, (unsigned long long)report->level_ino[i], ctl->vec.pid[i],
		       slp_method_name(report->method));
		if (report->method == SLP_METHOD_SPIN)
			printf(" (%llu task%s)", (unsigned long long)report->tasks,
			       report->tasks == 1 ? "" : "s");
		putchar('\n');
	}
}

/*
 * A long spin, on a terminal: one line on stderr, written over, gone at
 * the end. Nothing in scripts.
 */
struct progress_line {
	bool asked, tty, shown;
};

static void show_progress(const struct slp_progress *p, void *arg)
{
	struct progress_line *line = arg;

	if (!line->asked) {
		line->tty = isatty(STDERR_FILENO);
		line->asked = true;
	}
	if (!line->tty || (p->last && !line->shown))
		return;
	if (p->last) {
		fputs("\r\033[K", stderr);
		return;
	}
	fprintf(stderr, "\rsetlastpid: spinning: %llu/%llu tasks, %.0f/s, %.0f s left\033[K",
		(unsigned long long)p->done, (unsigned long long)p->total, p->rate,
		p->seconds_left);
	line->shown = true;
}

static struct progress_line progress_line;

static struct slp_options options_of(const struct control *ctl, const sigset_t *interrupts)
{
	return (struct slp_options){
		.method = ctl->method,
		.flags = (ctl->dry_run ? SLP_DRY_RUN : 0) | (ctl->lock ? SLP_LOCK : 0) |
			 (ctl->exact ? SLP_EXACT : 0) | (ctl->new_pidns ? SLP_NEW_PIDNS : 0) |
			 (ctl->at_least ? SLP_AT_LEAST : 0),
		.interrupt = interrupts,
		.max_spin = ctl->max_spin,
		.progress = show_progress,
		.progress_arg = &progress_line,
	};
}

/*
 * The library's failure: one line and its status (with --json, its
 * document too). A set abandoned for a signal changed nothing, and the
 * caller hears the signal as it was sent.
 */
static int fail(const struct control *ctl, const struct slp_error *err)
{
	char line[1024];
	int status = complain(slp_exit_status(err), "%s", error_line(err, line, sizeof(line)));

	if (ctl->json) {
		stdout_reports_failure();
		json_error(err, err->code == SLP_E_INTERRUPTED ? 128 + err->signal : status, line);
		flush_stdout();
	}
	return err->code == SLP_E_INTERRUPTED ? die_of_signal(err->signal) : status;
}

/* The counters only. */
static int set_counters(const struct control *ctl, struct slp_target *target)
{
	bool reporting = ctl->verbose || ctl->dry_run || ctl->json;
	struct slp_report report;
	struct slp_options opts;
	struct slp_error err;
	sigset_t interrupts;
	int pid_max[SLP_VECTOR_MAX];

	read_pid_maxes(ctl, target, ctl->vec.nr, pid_max);
	/* a dry run changes nothing: a signal may end it as it would any command */
	if (!ctl->dry_run)
		hold_interrupts(&interrupts);
	opts = options_of(ctl, ctl->dry_run ? NULL : &interrupts);
	if (slp_set(target, &ctl->vec, &opts, reporting ? &report : NULL, &err) < 0)
		return fail(ctl, &err);
	if (!ctl->dry_run)
		stdout_reports_done_work();
	if (reporting) {
		if (!ctl->dry_run)
			report_done_work();
		report_levels(ctl, &report, pid_max);
	}
	return EXIT_DONE;
}

/* COMMAND at the pids: created, then waited for, its status handed on. */
static int run_command(const struct control *ctl, struct slp_target *target)
{
	struct slp_spawn_attr attr;
	struct slp_options opts;
	struct slp_report report;
	struct slp_error err;
	int status, pid_max[SLP_VECTOR_MAX];
	pid_t pid;

	read_pid_maxes(ctl, target, ctl->vec.nr, pid_max);
	forward_signals(&attr);
	opts = options_of(ctl, &attr.sigdefault);
	if (slp_spawn(target, &ctl->vec, &opts, ctl->command, &attr, &pid, &report, &err) < 0)
		return fail(ctl, &err);
	if (ctl->dry_run) {
		report_levels(ctl, &report, pid_max);
		if (!ctl->json)
			printf("would run %s%s\n", ctl->command[0],
			       ctl->new_pidns ? " as pid 1 of a new pid namespace below level 0"
					      : "");
		return EXIT_DONE;
	}
	start_forwarding(pid, &attr);
	/* Only now is it true: COMMAND has those pids. Its status is ours, whatever the report's. */
	stdout_reports_done_work();
	if (ctl->verbose || ctl->json) {
		report_done_work();
		report_levels(ctl, &report, pid_max);
		flush_stdout();
	}
	status = wait_command(pid);
	if (status < 0)
		return complain(EXIT_SYSTEM, "cannot wait for %s: %m", ctl->command[0]);
	return status;
}

/*
 * --connect with COMMAND: what COMMAND needs here, checked before the
 * server is asked, so that a failure leaves every level as it was:
 * VECTOR + 1 neither setlastpid's own pid nor in use, at this process's
 * own level and at each above it that it sees. Those are the levels
 * COMMAND's pids are checked at, once the server has set them (it sets
 * every level of its nest, and checks that this process is in level 0
 * of it): here gets VECTOR's first values, as many as are seen here.
 */
static int check_command_here(struct control *here)
{
	struct slp_options opts = options_of(here, NULL);
	struct slp_error err;
	pid_t pid;

	opts.method = SLP_METHOD_PRESET;
	opts.flags |= SLP_DRY_RUN;
	if (slp_spawn(NULL, &here->vec, &opts, here->command, NULL, &pid, NULL, &err) == 0)
		return EXIT_DONE;
	/* levels above the ones seen from here: the server's to set, not ours to check */
	if (err.code == SLP_E_TOO_DEEP && err.limit >= 1 && err.limit < (int64_t)here->vec.nr) {
		here->vec.nr = (uint32_t)err.limit;
		if (slp_spawn(NULL, &here->vec, &opts, here->command, NULL, &pid, NULL, &err) == 0)
			return EXIT_DONE;
	}
	return fail(here, &err);
}

/*
 * --connect: the server sets the counters; COMMAND, if any, is created
 * here, then checked. Once asked, the server cannot be stopped: from
 * just before, the signals are held; one that came first ends it then,
 * nothing asked; one that comes after finds the work done (or refused)
 * and is discarded at exit, or passed on to COMMAND.
 */
static int connect_server(const struct control *ctl)
{
	struct control here = *ctl;
	sigset_t interrupts;
	int status, sig;

	if (ctl->command && (status = check_command_here(&here)) != EXIT_DONE)
		return status;
	if (!ctl->dry_run) {
		hold_interrupts(&interrupts);
		if ((sig = pending_interrupt(&interrupts)) != 0)
			return die_of_signal(sig);
	}
	status = ask_server(ctl);
	if (status != EXIT_DONE || !ctl->command)
		return status;
	here.method = SLP_METHOD_PRESET;
	return run_command(&here, NULL);
}

/* --get: the counters, read back, as VECTOR (with --verbose, a line per level first). */
static int get_counters(const struct control *ctl, struct slp_target *target)
{
	struct slp_report report;
	struct slp_vector vec;
	struct slp_error err;
	char text[SLP_VECTOR_MAX * 12];
	int pid_max[SLP_VECTOR_MAX];

	read_pid_maxes(ctl, target, SLP_VECTOR_MAX, pid_max);
	if (slp_get(target, &vec, &report, &err) < 0)
		return fail(ctl, &err);
	if (ctl->json) {
		json_levels(ctl, &report, &vec, pid_max, true);
		return EXIT_DONE;
	}
	for (unsigned int i = 0; ctl->verbose && i < vec.nr; i++)
		printf("level %u pid:[%llu] is at %d\n", i, (unsigned long long)report.level_ino[i],
		       vec.pid[i]);
	slp_vector_format(&vec, text, sizeof(text));
	puts(text);
	return EXIT_DONE;
}

int main(int argc, char **argv)
{
	struct slp_target *target = NULL;
	struct control ctl;
	struct slp_error err;
	int status;

	close_stdout_at_exit();
	/* only the privileges of whoever runs it: never set-user-ID or file capabilities */
	if (getauxval(AT_SECURE))
		return complain(EXIT_DENIED, "refusing to run set-user-ID, set-group-ID or with "
				"file capabilities: run it with the privileges it should use");
	if (!parse_command_line(argc, argv, &ctl, 0, &status))
		return status;
	/* No --ns: the library takes the caller's own namespace, a lone write if it can. */
	if (ctl.ns_path && slp_target_open(&target, ctl.ns_path, &err) < 0)
		return fail(&ctl, &err);
	status = ctl.connect   ? connect_server(&ctl)
		 : ctl.serve   ? serve(&ctl, target)
		 : ctl.get     ? get_counters(&ctl, target)
		 : ctl.command ? run_command(&ctl, target)
			       : set_counters(&ctl, target);
	slp_target_free(target);
	return status;
}
