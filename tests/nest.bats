#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# Rebuilding nests: --new-pidns makes COMMAND pid 1 of a new pid namespace
# below the level --ns names, at VECTOR + 1 there and above; --get reads
# the counters back as a VECTOR; neither runs COMMAND at setlastpid's own
# pid. Each test checks what COMMAND saw of itself (its NSpid, innermost
# first) or what the next process of the nest gets.

load helpers

setup() {
	requires root
}

# The nests 32 deep need the initial pid namespace: 32 is as deep as they go.
requires_initial_pidns() {
	[ "$(grep NSpid /proc/self/status | wc -w)" = 2 ] ||
		skip "needs to run in the initial pid namespace to nest $1 deep"
}

# nest_in_outer DEPTH: an outer nest of the test's own (its holder in
# OUTER), and DEPTH levels below it (NEST), so that setlastpid can run in
# OUTER, whose counter is the test's to set, never the machine's.
nest_in_outer() {
	nest_create 1
	OUTER=$NEST
	nest_create "$1" nsenter --target "$OUTER" --pid --
}

# own_pids_like VECTOR: the regex COMMAND's OWN_PIDS output matches when it
# is pid 1 of a new pid namespace at VECTOR + 1 above, with any pid in the
# levels above those (the test's own, the machine's).
own_pids_like() {
	local v re='^1'
	for v in ${1//,/ }; do
		re+=" $((v + 1))"
	done
	echo "$re( [0-9]+)*\$"
}

# level_ns PID I: the pid namespace (pid:[INODE]) of level I of the nest
# whose innermost holder is PID: that of its I-th ancestor, each level's
# holder being the child of the unshare one level up.
level_ns() {
	local pid=$1 i stat
	for ((i = 0; i < $2; i++)); do
		read -r stat <"/proc/$pid/stat"
		stat=${stat##*) }
		read -r _ pid _ <<<"$stat"
	done
	readlink "/proc/$pid/ns/pid"
}

# --- --new-pidns ------------------------------------------------------

@test "--new-pidns at depth 1: COMMAND is pid 1 of a new namespace, VECTOR + 1 above; with --exact too" {
	nest_create 1
	local exact
	for exact in "" --exact; do
		run_bounded -0 "$SETLASTPID" $exact --new-pidns --ns "/proc/$NEST/ns/pid" 100 -- \
			"${OWN_PIDS[@]}"
		[[ $output =~ $(own_pids_like 100) ]] || { echo "${exact:-plain}: got '$output'" >&2; false; }
		# its own pid namespace, one below the nest's: one level more than the nest's holder
		[ "$(wc -w <<<"$output")" = $(($(grep NSpid "/proc/$NEST/status" | wc -w))) ]
		[ "$(processes_in_nest)" = 1 ]	# COMMAND was below it, and is gone
	done
}

@test "--new-pidns at depth 3, with and without --exact: every level exact, pid 1 first" {
	nest_create 3
	local exact vector=300,200,100
	for exact in "" --exact; do
		[ -z "$exact" ] || vector=400,250,150
		run_bounded -0 "$SETLASTPID" $exact --new-pidns --ns "/proc/$NEST/ns/pid" "$vector" -- \
			"${OWN_PIDS[@]}"
		[[ $output =~ $(own_pids_like "$vector") ]] || { echo "${exact:-plain}: got '$output'" >&2; false; }
	done
	# --exact writes no counter: the nest goes on from the first run's, but
	# for the maker, one task created in level 0 to make COMMAND below it
	remember_levels
	run_bounded -0 "$SETLASTPID" --exact --new-pidns --ns "/proc/$NEST/ns/pid" 500,400,300 -- true
	assert_unchanged_but 1 1 1
	[ "$(processes_in_nest)" = 1 ]
}

@test "--new-pidns from level 0 itself: COMMAND is setlastpid's child, no maker" {
	nest_create 2
	run_bounded -0 nsenter --target "$NEST" --pid -- "$SETLASTPID" --new-pidns 700 -- "${OWN_PIDS[@]}"
	[[ $output =~ $(own_pids_like 700) ]]
	run_bounded -0 nsenter --target "$NEST" --pid -- "$SETLASTPID" --exact --new-pidns 800 -- "${OWN_PIDS[@]}"
	[[ $output =~ $(own_pids_like 800) ]]
}

@test "--new-pidns at depth 31 makes level 32, the deepest: every level exact, with and without --exact" {
	requires_initial_pidns 31
	nest_create 31
	local vector
	vector=$(seq -s, 100 10 400)	# 31 values: the nest, not the machine's own level
	run_bounded -0 "$SETLASTPID" --new-pidns --ns "/proc/$NEST/ns/pid" "$vector" -- "${OWN_PIDS[@]}"
	[[ $output =~ $(own_pids_like "$vector") ]]
	[ "$(wc -w <<<"$output")" = 33 ]	# levels 32 to 0
	vector=$(seq -s, 105 10 405)
	run_bounded -0 "$SETLASTPID" --exact --new-pidns --ns "/proc/$NEST/ns/pid" "$vector" -- "${OWN_PIDS[@]}"
	[[ $output =~ $(own_pids_like "$vector") ]]
}

@test "--new-pidns at depth 32: no namespace below level 32 (MAX_PID_NS_LEVEL); exit 65, nothing changed" {
	requires_initial_pidns 32
	nest_create 32
	local exact vector inode
	vector=$(seq -s, 100 10 410)	# every level of the nest: refused before anything
	for exact in "" --exact; do
		remember_levels
		run_bounded -65 --separate-stderr "$SETLASTPID" $exact --new-pidns --ns "/proc/$NEST/ns/pid" \
			"$vector" -- touch "$BATS_TEST_TMPDIR/ran"
		assert_stderr_is "setlastpid: cannot create a pid namespace below /proc/$NEST/ns/pid: it is as deep as pid namespaces nest (32 levels); nothing was run"
		assert_unchanged
	done
	# a shorter VECTOR passes the checks made here: the maker, made in
	# level 0 before anything is written, finds no room below it
	remember_levels
	run_bounded -65 --separate-stderr "$SETLASTPID" --new-pidns --ns "/proc/$NEST/ns/pid" 100 -- \
		touch "$BATS_TEST_TMPDIR/ran"
	assert_stderr_is "setlastpid: cannot create a pid namespace below /proc/$NEST/ns/pid: it is as deep as pid namespaces nest (32 levels); nothing was run"
	# nothing written: every level moved by the maker's pid alone
	local moved=()
	for ((inode = 0; inode < 32; inode++)); do moved+=(1); done
	assert_unchanged_but "${moved[@]}"
	remember_levels
	run_bounded -65 --separate-stderr "$SETLASTPID" --exact --new-pidns --ns "/proc/$NEST/ns/pid" 100 -- \
		touch "$BATS_TEST_TMPDIR/ran"
	assert_stderr_is "setlastpid: cannot create a pid namespace below /proc/$NEST/ns/pid: it is as deep as pid namespaces nest (32 levels); nothing was run"
	assert_unchanged_but 1	# the maker's pid; --exact wrote nothing
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[ "$(processes_in_nest)" = 1 ]
}

@test "--new-pidns, a pid in use: exit 65, nothing run, nothing left behind, no level changed but for our tasks" {
	nest_create 2
	local exact vector level inode
	for exact in "" --exact; do
		# pid 1 of level 0 is the nest's holder; pid 1 of level 1, its outer init
		for vector in 0,80 80,0; do
			level=0
			[ "$vector" = 0,80 ] || level=1
			inode=$(level_ns "$NEST" "$level")
			remember_levels
			run_bounded -65 --separate-stderr "$SETLASTPID" $exact --new-pidns --ns "/proc/$NEST/ns/pid" \
				"$vector" -- touch "$BATS_TEST_TMPDIR/ran"
			if [ -n "$exact" ]; then
				assert_stderr_is "setlastpid: cannot create touch: pid 1 is in use in level $level ($inode) of /proc/$NEST/ns/pid; nothing was run"
				assert_unchanged_but 1 1	# the maker
			else
				# checked by the helpers before any write
				assert_stderr_is "setlastpid: cannot create touch: pid 1 is in use in level $level ($inode) of /proc/$NEST/ns/pid; nothing was run"
				# the maker and level 0's helper in both levels, level 1's helper in level 1
				assert_unchanged_but 2 3
			fi
			[ ! -e "$BATS_TEST_TMPDIR/ran" ]
			[ "$(processes_in_nest)" = 1 ]
		done
	done
}

@test "--new-pidns without CAP_SYS_ADMIN: exit 77 before anything, nothing created" {
	nest_create 1
	local exact
	for exact in "" --exact; do
		remember_levels
		run_bounded -77 --separate-stderr capsh --drop=cap_sys_admin -- -c \
			'exec "$0" $1 --new-pidns --ns "$2" 80 -- touch "$3"' \
			"$SETLASTPID" "$exact" "/proc/$NEST/ns/pid" "$BATS_TEST_TMPDIR/ran"
		assert_stderr_is "setlastpid: not permitted to create a pid namespace below /proc/$NEST/ns/pid: that needs CAP_SYS_ADMIN in your own user namespace"
		assert_unchanged
		[ "$(processes_in_nest)" = 1 ]
		[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	done
}

@test "--new-pidns needs COMMAND: usage error 64" {
	nest_create 1
	run_bounded -64 --separate-stderr "$SETLASTPID" --new-pidns --ns "/proc/$NEST/ns/pid" 80
	assert_stderr_is "setlastpid: --new-pidns creates a process: give it, as in setlastpid --new-pidns VECTOR -- COMMAND"
}

# --- --get ------------------------------------------------------------

# get_round_trip DEPTH: --get from OUTER (or, with no OUTER, from the test's
# own level, for a nest 32 deep whose VECTOR stops short of it), then set
# what it read: the two together change nothing. --get's task took the
# pids the next process would have got, and setting what --get read,
# those less one, gives them back: the next process gets what it would
# have got without either, --get + 1, at every level below the caller.
get_round_trip() {
	local depth=$1 runner=() values
	[ -z "${OUTER:-}" ] || runner=(nsenter --target "$OUTER" --pid --)
	remember_levels
	run_bounded -0 "${runner[@]}" "$SETLASTPID" --get --ns "/proc/$NEST/ns/pid"
	[[ $output =~ ^[0-9]+(,[0-9]+)*$ ]]
	values=${output//,/ }
	[ "$(wc -w <<<"$values")" = "$depth" ]
	# what --get read: what its task took, less one; in OUTER, the caller's
	# own level, setlastpid itself took one before it
	local -a before read_back
	read -r -a before <<<"$BEFORE"
	read -r -a read_back <<<"$values"
	[ -z "${OUTER:-}" ] || before[depth - 1]=$((before[depth - 1] + 1))
	[ "${read_back[*]}" = "${before[*]}" ] || { echo "--get read '$values', after '$BEFORE'" >&2; false; }
	run_bounded -0 "${runner[@]}" "$SETLASTPID" --ns "/proc/$NEST/ns/pid" "$output"
	[ -z "$output" ]
	# so the next process gets what it would have got without the two
	assert_next "$NEST" "$(plus "$values" 1)"
}

@test "--get round trip at depth 1: set what it read, and the next process gets --get + 1" {
	nest_in_outer 1
	get_round_trip 2	# the nest's level and OUTER's, the caller's own
}

@test "--get round trip at depth 3" {
	nest_in_outer 3
	get_round_trip 4
}

@test "--get round trip at depth 32, from the initial namespace: 32 values, never the machine's own" {
	requires_initial_pidns 32
	nest_create 32
	get_round_trip 32
}

@test "--get reads without writing: a second --get reads one more in each level below the caller" {
	nest_in_outer 3
	local -a first second
	run_bounded -0 nsenter --target "$OUTER" --pid -- "$SETLASTPID" --get --ns "/proc/$NEST/ns/pid"
	IFS=, read -r -a first <<<"$output"
	run_bounded -0 nsenter --target "$OUTER" --pid -- "$SETLASTPID" --get --ns "/proc/$NEST/ns/pid"
	IFS=, read -r -a second <<<"$output"
	# its task took one pid in each level; in OUTER, the caller's own,
	# the second setlastpid took one more
	[ "${second[*]}" = "$((first[0] + 1)) $((first[1] + 1)) $((first[2] + 1)) $((first[3] + 2))" ]
}

@test "--get alone moves the counters on by one, its task's: the next process gets --get + 2" {
	nest_in_outer 3
	run_bounded -0 nsenter --target "$OUTER" --pid -- "$SETLASTPID" --get --ns "/proc/$NEST/ns/pid"
	local values=${output//,/ }
	# the next process, created in the nest from OUTER: its own NSpid
	run_bounded -0 nsenter --target "$OUTER" --pid -- nsenter --target "$NEST" --pid -- "${OWN_PIDS[@]}"
	# in OUTER, the second nsenter takes one more before it
	local -a got want
	read -r -a got <<<"$output"
	got=("${got[@]:0:4}")	# not the machine's level
	read -r -a want <<<"$(plus "$values" 2)"
	want[3]=$((want[3] + 1))
	[ "${got[*]}" = "${want[*]}" ]
}

@test "--get --verbose: a line per level, its namespace and value, then VECTOR" {
	nest_in_outer 3
	run_bounded -0 --separate-stderr nsenter --target "$OUTER" --pid -- "$SETLASTPID" --get --verbose \
		--ns "/proc/$NEST/ns/pid"
	local -a lines values
	mapfile -t lines <<<"$output"
	[ "${#lines[@]}" = 5 ]
	IFS=, read -r -a values <<<"${lines[4]}"
	[ "${#values[@]}" = 4 ]
	local i
	for ((i = 0; i < 4; i++)); do
		[ "${lines[i]}" = "level $i $(level_ns "$NEST" "$i") is at ${values[i]}" ] ||
			{ echo "line $i: '${lines[i]}'" >&2; false; }
	done
	[ -z "$stderr" ]
}

# --- setlastpid's own pid ----------------------------------------------

# In the nest, a shell reads the counter C with a builtin (no process
# created), then forks setlastpid: nothing else is created in the nest
# meanwhile, so setlastpid is pid C + 1 there. VECTOR C asks COMMAND to
# be C + 1: setlastpid's own, which it can never be.
@test "COMMAND at setlastpid's own pid: exit 65 before anything is set, with and without --exact and --new-pidns" {
	nest_create 2
	local options inode
	inode=$(readlink "/proc/$NEST/ns/pid")
	for options in "" --exact --new-pidns "--exact --new-pidns"; do
		remember_levels
		# shellcheck disable=SC2016 # expanded by the shell in the nest
		run_bounded -0 --separate-stderr nsenter --target "$NEST" --pid -- bash -c \
			'read -r c </proc/sys/kernel/ns_last_pid
			"$0" $1 "$c" -- touch "$2"
			echo "$c $?"' "$SETLASTPID" "$options" "$BATS_TEST_TMPDIR/ran"
		local c=${output% *}
		[ "${output#* }" = 65 ] || { echo "$options: status ${output#* }" >&2; false; }
		assert_stderr_is "setlastpid: cannot create touch: pid $((c + 1)) in level 0 ($inode) of /proc/self/ns/pid is this process's own, free only once it is gone; nothing was set: restore in descending order, or run setlastpid from the parent namespace"
		[ ! -e "$BATS_TEST_TMPDIR/ran" ]
		# nothing set, nothing created but the shell and setlastpid themselves
		assert_unchanged_but 2 2
	done
}

@test "COMMAND at setlastpid's own pid in the caller's level, --ns naming a level below it: exit 65, nothing set" {
	nest_in_outer 1
	local inode
	inode=$(readlink "/proc/$OUTER/ns/pid")
	remember_levels
	# shellcheck disable=SC2016 # expanded by the shell in OUTER
	run_bounded -0 --separate-stderr nsenter --target "$OUTER" --pid -- bash -c \
		'read -r c </proc/sys/kernel/ns_last_pid
		"$0" --ns "$1" 500,"$c" -- touch "$2"
		echo "$c $?"' "$SETLASTPID" "/proc/$NEST/ns/pid" "$BATS_TEST_TMPDIR/ran"
	local c=${output% *}
	[ "${output#* }" = 65 ]
	assert_one_error_line "pid $((c + 1)) in level 1 ($inode) of /proc/$NEST/ns/pid is this process's own"
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	assert_unchanged_but 0 2	# level 0 untouched; in OUTER, the shell and setlastpid
}

# --- /proc an ancestor's ----------------------------------------------

@test "from a level whose /proc is an ancestor's, a level above at its next pid: COMMAND gets it" {
	nest_in_outer 2
	# the next process created in the nest, from OUTER: its pids
	local -a next
	read -r -a next <<<"$(probe_levels "$NEST")"
	# level 1 at exactly its next pid; the caller in OUTER, with the machine's /proc
	run_bounded -0 nsenter --target "$OUTER" --pid -- "$SETLASTPID" --ns "/proc/$NEST/ns/pid" \
		"100,${next[1]},500" -- "${OWN_PIDS[@]}"
	[[ $output == "101 $((next[1] + 1)) 501 "* ]]
}
