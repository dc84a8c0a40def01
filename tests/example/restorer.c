// SPDX-License-Identifier: GPL-2.0-or-later
/* restorer: an example libsetlastpid client that starts COMMAND at VECTOR + 1 in a pid namespace. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sysexits.h>

#include <setlastpid.h>

/* One line on standard error; the exit status setlastpid(8) would give. */
static int fail(const struct slp_error *err)
{
	char text[1024];

	fprintf(stderr, "restorer: %s\n", slp_strerror(err, text, sizeof(text)));
	return slp_exit_status(err);
}

int main(int argc, char **argv)
{
	struct slp_options opts = { .method = SLP_METHOD_AUTO };	/* the counters */
	struct slp_target *target;
	struct slp_vector vec;
	struct slp_error err;
	char why[256];
	int arg = 1, status;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "-x") == 0) {
		opts.flags |= SLP_EXACT;	/* clone3() set_tid: those pids or none */
		arg++;
	}
	if (argc - arg < 3) {
		fprintf(stderr, "usage: restorer [-x] NS_PATH VECTOR COMMAND [ARG...]\n");
		return EX_USAGE;
	}
	if (slp_vector_parse(argv[arg + 1], &vec, why, sizeof(why)) < 0) {
		fprintf(stderr, "restorer: invalid VECTOR '%s': %s\n", argv[arg + 1], why);
		return EX_USAGE;
	}
	if (slp_target_open(&target, argv[arg], &err) < 0)
		return fail(&err);
	if (slp_spawn(target, &vec, &opts, &argv[arg + 2], NULL, &pid, NULL, &err) < 0) {
		status = fail(&err);	/* err points into target: print it first */
		slp_target_free(target);
		return status;
	}
	slp_target_free(target);

	/* COMMAND runs at VECTOR + 1; it is our child, to wait for. */
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "restorer: cannot wait for %s: %s\n", argv[arg + 2],
				strerror(errno));
			return EX_OSERR;
		}
	}
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
