#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# End to end: a nest three deep with a small tree of processes, recorded
# by tests/restore-nest.sh, ended, rebuilt from the record by setlastpid
# alone in a fresh outer nest of the test's own, and recorded again: the
# two records are the same, pids at every level and parents.

load helpers

RESTORE=${TESTS_SRCDIR:-$BATS_TEST_DIRNAME}/restore-nest.sh

setup() {
	requires root
	command -v lsns >/dev/null || skip "needs lsns"
}

# tree_script: the sample nest, one level per run of it; each level's pid 1
# writes "PID NSPID..." (PID as /proc names it) to DIR/LLEVEL once it has
# started its children. Pids have holes: short-lived processes in between.
tree_script() {
	cat >"$BATS_TEST_TMPDIR/tree.sh" <<'EOF'
#!/bin/bash
# tree.sh LEVEL DIR: pid 1 of level LEVEL (1 to 3) of the sample nest
level=$1 dir=$2
sleep infinity &
for _ in $(seq "$level"); do /bin/true; done
sleep infinity &
# a shell with children, below level 1
[ "$level" = 1 ] || bash -c 'sleep infinity & /bin/true; sleep infinity & wait' &
# the next level, made by unshare --fork, whose child is its pid 1
[ "$level" = 3 ] || unshare --pid --fork --kill-child bash "$0" $((level + 1)) "$dir" &
read -r pid _ </proc/self/stat
while read -r key nspid; do [ "$key" = NSpid: ] && break; done </proc/self/status
echo "$pid $nspid" >"$dir/L$level.new" && mv "$dir/L$level.new" "$dir/L$level"
wait
EOF
}

# sleeps_in PID N: N sleep processes in PID's pid namespace, its own.
sleeps_in() {
	[ "$(pgrep --ns "$1" --nslist pid -c -x sleep)" = "$2" ]
}

# build_sample: OUTER, an outer nest of the test's own, and below it the
# sample nest, with one more sleep entered into level 2 from outside (its
# parent is no process of the nest). ROOT is the nest's outermost pid 1,
# as OUTER sees it.
build_sample() {
	nest_create 1
	OUTER=$NEST
	tree_script
	mkdir "$BATS_TEST_TMPDIR/tree"
	nsenter --target "$OUTER" --pid -- unshare --pid --fork --kill-child \
		bash "$BATS_TEST_TMPDIR/tree.sh" 1 "$BATS_TEST_TMPDIR/tree" </dev/null >/dev/null 2>&1 &
	NEST_KILL+=("$!")
	local level pid
	for level in 1 2 3; do
		wait_until 10 test -s "$BATS_TEST_TMPDIR/tree/L$level"
	done
	read -r pid _ <"$BATS_TEST_TMPDIR/tree/L2"
	nsenter --target "$pid" --pid -- sleep infinity </dev/null >/dev/null 2>&1 &
	NEST_KILL+=("$!")
	# every sleep is there: 2 in level 1, 4 and the one entered in 2, 4 in 3
	read -r pid _ <"$BATS_TEST_TMPDIR/tree/L1"
	wait_until 10 sleeps_in "$pid" 2
	for level in 2 3; do
		read -r pid _ <"$BATS_TEST_TMPDIR/tree/L$level"
		wait_until 10 sleeps_in "$pid" $((level == 2 ? 5 : 4))
	done
	read -r _ _ ROOT _ <"$BATS_TEST_TMPDIR/tree/L1"
}

# own_proc PID: the command prefix that runs a command in PID's pid
# namespace with a /proc of that namespace.
own_proc() {
	OWN_PROC=(nsenter --target "$1" --pid -- unshare --mount --propagation private --
		sh -c 'mount -t proc proc /proc && exec "$@"' sh)
}

# record_into OUTER FILE: the nest below OUTER, whose pid 1 there is ROOT.
record_into() {
	own_proc "$1"
	run_bounded -0 "${OWN_PROC[@]}" "$RESTORE" record "$ROOT" "$2"
	[ -z "$output" ]
}

@test "record: one line per process of the nest, its pids from the outer level down, its level and parent" {
	build_sample
	record_into "$OUTER" "$BATS_TEST_TMPDIR/record"
	cat "$BATS_TEST_TMPDIR/record" >&2
	local -a lines
	mapfile -t lines < <(grep -v '^#' "$BATS_TEST_TMPDIR/record")
	# tree.sh's "[ ... ] || COMMAND &" is a subshell that forks COMMAND.
	# Level 1: pid 1, 2 sleeps, a subshell and its unshare, which made
	# level 2; level 2: the same, a subshell, its shell and the shell's 2
	# sleeps, and the sleep entered from outside; level 3: pid 1, 2 sleeps,
	# a subshell, its shell and the shell's 2 sleeps
	[ "${#lines[@]}" = 22 ]
	[ "$(grep -c '^1 ' "$BATS_TEST_TMPDIR/record")" = 5 ]
	[ "$(grep -c '^2 ' "$BATS_TEST_TMPDIR/record")" = 10 ]
	[ "$(grep -c '^3 ' "$BATS_TEST_TMPDIR/record")" = 7 ]
	# the root first, pid 1 of level 1 at ROOT, its parent outside
	[ "${lines[0]}" = "1 init $ROOT - $ROOT,1 -" ]
	local level role ns nspid parent inits=0 outside=0
	for line in "${lines[@]}"; do
		read -r level role ns _ nspid parent <<<"$line"
		# a pid per level from the outer one down; pid 1 exactly for an init
		[ "$(tr , ' ' <<<"$nspid" | wc -w)" = $((level + 1)) ]
		if [ "$role" = init ]; then
			[[ $nspid == *,1 ]] && [ "$ns" = "${nspid%%,*}" ]
			inits=$((inits + 1))
		else
			[[ $nspid != *,1 ]]
		fi
		# a parent is a process of the record, or outside the nest
		if [ "$parent" = - ]; then
			outside=$((outside + 1))
		else
			grep -q "^[0-9]* [a-z]* [0-9]* [0-9-]* $parent " "$BATS_TEST_TMPDIR/record"
		fi
	done
	[ "$inits" = 3 ]
	[ "$outside" = 2 ]	# the root, and the sleep entered into level 2
	# the same from the test's own level, its /proc showing more levels above
	local pid
	read -r pid _ <"$BATS_TEST_TMPDIR/tree/L1"
	run_bounded -0 "$RESTORE" record "$pid" "$BATS_TEST_TMPDIR/from-here"
	[ -z "$output" ]
	diff "$BATS_TEST_TMPDIR/record" "$BATS_TEST_TMPDIR/from-here" >&2
}

# rebuild_and_compare [--exact]: the sample nest, recorded, ended, rebuilt
# in a fresh outer nest and recorded again: the same record.
rebuild_and_compare() {
	build_sample
	record_into "$OUTER" "$BATS_TEST_TMPDIR/before"
	nest_destroy_all
	nest_create 1
	# the rebuild runs from this level, where the record needs low pids free
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 20000
	own_proc "$NEST"
	run_bounded -0 "${OWN_PROC[@]}" "$RESTORE" rebuild "$BATS_TEST_TMPDIR/before" "$@"
	[[ $output =~ ^rebuilt\ 22\ processes\ in\ 3\ levels\ below\ this\ one.*\ in\ [0-9]+\ ms\;\ the\ nest\ is\ /proc/$ROOT$ ]]
	echo "# $output" >&3
	record_into "$NEST" "$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" >&2
}

@test "rebuild: the same nest, every pid at every level and every parent, through the counters" {
	rebuild_and_compare
}

@test "rebuild --exact: the same nest, with clone3() set_tid where setlastpid creates the process" {
	rebuild_and_compare --exact
}

@test "rebuild refuses before anything when a pid the record needs is in use here" {
	build_sample
	record_into "$OUTER" "$BATS_TEST_TMPDIR/record"
	# the same outer nest: every outer pid of the record is in use there
	local before
	before=$(pgrep --ns "$OUTER" --nslist pid -c)
	own_proc "$OUTER"
	run_bounded -1 --separate-stderr "${OWN_PROC[@]}" "$RESTORE" rebuild "$BATS_TEST_TMPDIR/record"
	assert_stderr_is "restore-nest.sh: pid $ROOT, which the record needs here, is in use"
	[ "$(pgrep --ns "$OUTER" --nslist pid -c)" = "$before" ]
}

@test "rebuild refuses a /proc that is not its level's, and the initial pid namespace" {
	build_sample
	record_into "$OUTER" "$BATS_TEST_TMPDIR/record"
	nest_destroy_all
	nest_create 1
	run_bounded -1 --separate-stderr nsenter --target "$NEST" --pid -- \
		"$RESTORE" rebuild "$BATS_TEST_TMPDIR/record"
	[[ $stderr == "restore-nest.sh: /proc shows the pid namespace "*" levels up: mount one for this one (unshare --mount, mount -t proc proc /proc)" ]]
	[ "$(pgrep --ns "$NEST" --nslist pid -c)" = 1 ]
	if [ "$(readlink /proc/self/ns/pid)" = "pid:[4026531836]" ]; then
		run_bounded -1 --separate-stderr "$RESTORE" rebuild "$BATS_TEST_TMPDIR/record"
		assert_stderr_is "restore-nest.sh: run rebuild in the pid namespace that stands for the record's outer level, not the initial one"
	fi
}
