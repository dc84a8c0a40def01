#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# Setting the counters in real nests of pid namespaces through ns_last_pid,
# the method every kernel has, and checking them the way a user would: the
# NSpid of the next process created there.

load helpers

setup() {
	requires root
}

@test "depth 1: the next process gets VECTOR + 1" {
	nest_create 1
	run_bounded -0 "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 100
	[ -z "$output" ]
	assert_next "$NEST" "101"
}

@test "depth 3: 100,50,7 gives 101 inside, 51 in its parent, 8 in the grandparent" {
	nest_create 3
	run_bounded -0 "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 100,50,7
	[ -z "$output" ]
	[[ $(next_nspid "$NEST") == *" 8 51 101" ]]
}

@test "depth 32, the deepest nest: every level exact" {
	local levels
	levels=$(grep NSpid /proc/self/status | wc -w)
	[ "$levels" = 2 ] || skip "needs to run in the initial pid namespace to nest 32 deep"
	nest_create 32
	local vector want
	vector=$(seq -s, 100 10 410)
	want=$(seq -s' ' 101 10 411)
	run_bounded -0 "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" "$vector"
	assert_next "$NEST" "$want"
}

@test "a short VECTOR sets the innermost levels; each level above takes one helper's pid" {
	nest_create 3
	remember_levels
	run_bounded -0 "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 300,200
	local -a before
	read -r -a before <<<"$BEFORE"
	# Two helpers, one per level named, each took a pid in the level above.
	assert_next "$NEST" "301 201 $((before[2] + 1 + 2))"
}

@test "the caller's own namespace needs no helper: setlastpid N, then the next process" {
	nest_create 2
	# bash forks awk because exit follows it
	run_bounded -0 nsenter --target "$NEST" --pid -- bash -c '"$0" 500 && awk "/^NSpid:/ { print \$NF }" /proc/self/status; exit' "$SETLASTPID"
	[ "$output" = 501 ]
}

@test "--method=auto sets the same counters on any kernel" {
	nest_create 3
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 120,60,30
	[[ $(next_nspid "$NEST") == *" 31 61 121" ]]
}

@test "--verbose: one line per level with depth, namespace, value and method" {
	nest_create 2
	local method=sysctl
	run_bounded -0 "$SETLASTPID" --verbose --ns "/proc/$NEST/ns/pid" 100,50
	kernel_has_ioctl && method=ioctl
	local ino0 ino1
	ino0=$(stat -L -c %i "/proc/$NEST/ns/pid")
	[ "${lines[0]}" = "set level 0 pid:[$ino0] to 100 via $method" ]
	[[ ${lines[1]} =~ ^set\ level\ 1\ pid:\[[0-9]+\]\ to\ 50\ via\ $method$ ]]
	ino1=${lines[1]#*pid:[}
	ino1=${ino1%%]*}
	[ "$ino1" != "$ino0" ]
	[ "${#lines[@]}" = 2 ]
}

@test "--dry-run checks, prints what it would do, and changes nothing" {
	nest_create 3
	remember_levels
	run_bounded -0 "$SETLASTPID" --dry-run --method=sysctl --ns "/proc/$NEST/ns/pid" 100,50,7
	[[ ${lines[0]} == "would set level 0 pid:["*"] to 100 via sysctl" ]]
	[[ ${lines[2]} == "would set level 2 pid:["*"] to 7 via sysctl" ]]
	# nothing written; on Linux 6.14+ a helper per level read its pid_max
	assert_unchanged_but "$(probe_pids 3)"
}

@test "no helper outlives the tool, none is left a zombie" {
	nest_create 3
	run_bounded -0 "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 100,50,7
	[ "$(processes_in_nest)" = 1 ]	# the nest's own process, nothing else
}

# Every failure: one line, its status, and no level changed.
@test "exit 64 on a malformed VECTOR leaves the nest as it was" {
	nest_create 2
	remember_levels
	run_bounded -64 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 100,-5
	assert_one_error_line "invalid VECTOR"
	assert_unchanged
}

@test "exit 65: a value above pid_max, in any level, changes no level" {
	pid_max_per_ns && skip "each level has a pid_max of its own here: see the next test"
	nest_create 3
	remember_levels
	local max
	max=$(pid_max)
	run_bounded -65 --separate-stderr "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" "100,50,$((max + 1))"
	assert_stderr_is "setlastpid: value 3 of the vector, $((max + 1)), is above pid_max ($max): give 0 to $max"
	assert_unchanged
	run_bounded -0 "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" "0,$max"
}

@test "Linux 6.14+: each level by its own pid_max, not the caller's" {
	pid_max_per_ns || skip "this kernel has one pid_max for all (before Linux 6.14)"
	nest_create 3
	local max
	max=$(pid_max)
	# a nest's own pid_max is the kernel's limit, above the host's: the
	# kernel takes a value the caller's pid_max would refuse
	[ "$(nest_pid_max "$NEST")" -gt "$max" ] || skip "the nest's pid_max is not above the host's"
	run_bounded -0 "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" "$((max + 100)),50,7"
	assert_next "$NEST" "$((max + 101)) 51 8"
	# and a level that lowered its own refuses what is above it, from inside
	nsenter --target "$NEST" --pid -- sh -c 'echo 1000 >/proc/sys/kernel/pid_max'
	remember_levels
	run_bounded -65 --separate-stderr "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 1500,50,7
	assert_one_error_line "value 1 of the vector, 1500, is above pid_max (1000): give 0 to 1000"
	# the dry run says so too
	run_bounded -65 --separate-stderr "$SETLASTPID" --dry-run --method=sysctl --ns "/proc/$NEST/ns/pid" 1500,50,7
	assert_stderr_is "setlastpid: value 1 of the vector, 1500, is above pid_max (1000): give 0 to 1000"
	# no level changed, but for the helpers' pids: two runs of at most
	# three each (a round makes no more helpers once one has failed,
	# which it may learn before it makes the next, or not)
	assert_moved "3 1..5 1..7"
	run_bounded -65 --separate-stderr "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" "100,50,$((4194304 + 1))"
	assert_stderr_is "setlastpid: value 3 of the vector, 4194305, is above pid_max (4194304): give 0 to 4194304"
}

@test "exit 65: more levels than the nest has, as seen from the caller, changes no level" {
	nest_create 2
	remember_levels
	run_bounded -65 --separate-stderr "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 10,20,30,40
	assert_stderr_is "setlastpid: the vector has 4 values but /proc/$NEST/ns/pid is 3 levels deep as seen from here: give at most 3"
	assert_unchanged
}

@test "exit 65: more levels than visible from inside the nest" {
	nest_create 2
	run_bounded -65 --separate-stderr nsenter --target "$NEST" --pid -- "$SETLASTPID" --method=sysctl 10,20
	assert_one_error_line "the vector has 2 values but /proc/self/ns/pid is 1 level deep as seen from here"
}

@test "exit 77: an unprivileged user changes no level" {
	nest_create 2
	remember_levels
	run_bounded -77 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 100,50
	# /proc/PID/ns/pid of root's process is not nobody's to open.
	assert_one_error_line "cannot open /proc/$NEST/ns/pid: Permission denied"
	assert_unchanged
}

@test "exit 77: without CAP_SYS_ADMIN, the level and the capability are named" {
	nest_create 2
	remember_levels
	run_bounded -77 --separate-stderr capsh --drop=cap_sys_admin,cap_checkpoint_restore -- -c \
		'exec "$0" --method=sysctl --ns "$1" 100,50' "$SETLASTPID" "/proc/$NEST/ns/pid"
	assert_one_error_line "not permitted to set level 0 (pid:["
	[[ $stderr == *") of /proc/$NEST/ns/pid: it needs CAP_SYS_ADMIN in user:["*"], which owns it" ]]
	assert_unchanged
}

@test "the caller's own level alone: one open and one write, no check before them" {
	command -v strace >/dev/null || skip "needs strace"
	! asan_build || skip "an ASan build makes system calls of its own"
	local calls value
	# the caller's own level is a nest's, never the machine's
	nest_create 1
	value=$(($(nest_pid_max "$NEST") / 2))
	# what the program does once start-up is done: the loader unmaps
	# ld.so.cache last, a static binary's start-up ends with mprotect
	calls=$(bounded nsenter --target "$NEST" --pid -- strace -qq "$SETLASTPID" "$value" 2>&1 >/dev/null |
		awk '/^(munmap|mprotect)\(/ { n = 0; next } { line[n++] = $0 } END { for (i = 0; i < n; i++) print line[i] }' |
		grep -v -E '^(prctl|getrandom|brk)\(' | awk -F'(' '{ printf "%s ", $1 }')
	# prctl: libcap's start-up; getrandom and brk: malloc's (argp's).
	# rt_sigprocmask holds SIGINT and the like, so that a signal after the
	# write finds the work done; fstatfs tells a masked ns_last_pid.
	[ "$calls" = "rt_sigprocmask openat fstatfs pwrite64 close close exit_group " ] ||
		{ echo "system calls: $calls" >&2; return 1; }
	bounded nsenter --target "$NEST" --pid -- strace -qq -e trace=openat "$SETLASTPID" "$value" 2>&1 |
		grep -q '"/proc/sys/kernel/ns_last_pid", O_WRONLY'
	assert_next "$NEST" "$((value + 1))"	# that one write set the nest's counter
}

@test "the caller's own level alone: the kernel's refusal is explained, exit 77" {
	local value
	# the caller's own level is that of a nest where nothing else runs
	nest_create 1
	value=$(($(nest_pid_max "$NEST") / 2))
	remember_levels
	run_bounded -77 --separate-stderr nsenter --target "$NEST" --pid -- \
		capsh --drop=cap_sys_admin,cap_checkpoint_restore -- -c \
		'exec "$0" --method=sysctl "$1"' "$SETLASTPID" "$value"
	assert_one_error_line "not permitted to set level 0 (pid:["
	[[ $stderr == *") of /proc/self/ns/pid: it needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE in user:["*"], which owns it" ]]
	assert_unchanged_but 1	# setlastpid itself, nsenter's child, took one pid
}

@test "the caller's own level alone: above pid_max, exit 65 naming the range" {
	local max
	nest_create 1
	max=$(nest_pid_max "$NEST")
	remember_levels
	run_bounded -65 --separate-stderr nsenter --target "$NEST" --pid -- \
		"$SETLASTPID" --method=sysctl "$((max + 1))"
	assert_stderr_is "setlastpid: value 1 of the vector, $((max + 1)), is above pid_max ($max): give 0 to $max"
	assert_unchanged_but 1
}

@test "exit 65: a level outside the caller's own pid namespace tree, before any write" {
	nest_create 2
	# inside the nest, the host's /proc still shows this shell's namespace
	run_bounded -65 --separate-stderr nsenter --target "$NEST" --pid -- \
		"$SETLASTPID" --method=sysctl --ns "/proc/$$/ns/pid" 100
	assert_one_error_line "level 0 (pid:[$(stat -L -c %i /proc/self/ns/pid)]) of /proc/$$/ns/pid is not your own pid namespace or below it"
}

@test "a write the kernel refuses after the checks: every level written is put back" {
	command -v strace >/dev/null || skip "needs strace"
	nest_create 3
	remember_levels
	# the helper of level 0 writes first; the kernel (strace, here) says no
	run_bounded -65 --separate-stderr strace -f -qq -o /dev/null -e inject=pwrite64:error=EINVAL:when=1 \
		"$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 2000,500,400
	assert_stderr_is "setlastpid: cannot set level 0 (pid:[$(stat -L -c %i "/proc/$NEST/ns/pid")]) of /proc/$NEST/ns/pid: write failed: Invalid argument; the levels written were put back"
	# every level as it was: each is one on for the probe, and one for each
	# helper created at or below it; level 0's is made first, the others
	# only if the round has not yet learnt of its failure (one helper at a
	# time, it has: see SLP_GENERIC_HELPERS)
	assert_moved "2 2..3 2..4"
}

@test "exit 77: set-user-ID or file capabilities are refused, before anything else" {
	command -v setcap >/dev/null || skip "needs setcap (libcap2-bin)"
	local copy=$BATS_TEST_TMPDIR/setlastpid
	cp "$SETLASTPID" "$copy"
	chmod 4755 "$copy"
	chmod 755 "$BATS_TEST_TMPDIR"
	run_bounded -77 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups -- "$copy" --dry-run 1
	assert_stderr_is "setlastpid: refusing to run set-user-ID, set-group-ID or with file capabilities: run it with the privileges it should use"
	chmod 755 "$copy"
	setcap cap_sys_admin+ep "$copy"
	run_bounded -77 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups -- "$copy" --dry-run 1
	assert_one_error_line "refusing to run set-user-ID"
}

@test "exit 69 when ns_last_pid is not there, with --lock or without: one status for one cause" {
	nest_create 1
	mkdir "$BATS_TEST_TMPDIR/empty"
	# an empty directory over /proc/sys/kernel, in a mount namespace of the test's own
	local hide='mount --bind "$1" /proc/sys/kernel && shift && exec "$@"'
	local opts
	for opts in "--lock" "--method=sysctl" "--lock --method=sysctl"; do
		# shellcheck disable=SC2086 # opts is split on purpose
		run_bounded -69 --separate-stderr unshare --mount --propagation private -- sh -c "$hide" sh \
			"$BATS_TEST_TMPDIR/empty" nsenter --target "$NEST" --pid -- "$SETLASTPID" $opts 5
		assert_stderr_is "setlastpid: cannot open /proc/sys/kernel/ns_last_pid: it is not in this /proc: the kernel lacks CONFIG_CHECKPOINT_RESTORE, or a mount hides /proc/sys/kernel"
	done
}

@test "exit 69 with no /proc, --ns a bind-mounted namespace file, COMMAND too: the dry run agrees" {
	! asan_build || skip "an ASan build cannot start without /proc"
	nest_create 1
	touch "$BATS_TEST_TMPDIR/ns"
	# in a mount namespace of the test's own: the nest's namespace file
	# bound to a file of ours, then /proc unmounted there
	# shellcheck disable=SC2016 # expanded by that shell
	local script='mount --bind "/proc/$1/ns/pid" "$2" && umount -l /proc && shift 2 && exec "$@"'
	local args
	remember_levels
	for args in "500 -- true" "-n 500 -- true" "500" "-n 500" "--exact 500 -- true"; do
		# shellcheck disable=SC2086 # args is split on purpose
		run_bounded -69 --separate-stderr unshare --mount --propagation private -- sh -c "$script" sh \
			"$NEST" "$BATS_TEST_TMPDIR/ns" "$SETLASTPID" --ns "$BATS_TEST_TMPDIR/ns" $args
		assert_one_error_line "/proc is not mounted here"
	done
	assert_unchanged
}
