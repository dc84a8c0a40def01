#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# A floor, --at-least: each level raised to its value, a level there or
# past it left alone (never lowered, never wrapped), with every method,
# the dry run, the server and the library; and what it is for: under a
# fork storm, the counters pushed past the pids to restore, then each
# created with --exact, every one lands.

load helpers

setup() {
	requires root
	SERVERS=()
}

teardown() {
	local pid
	for pid in "${SERVERS[@]}"; do
		kill_and_reap "$pid"
	done
	nest_destroy_all
	rm -rf "${NOBODY_DIR:-}"
}

# counters NEST: the nest's counters now, innermost first, as --get reads them
counters() {
	"$SETLASTPID" --ns "/proc/$1/ns/pid" --get | tr , ' '
}

# assert_levels_in LO..HI...: the next pids of the nest, innermost first,
# each within its bounds (one probe for all: each takes a pid)
assert_levels_in() {
	local -a next
	read -r -a next <<<"$(probe_levels "$NEST")"
	local i=0 range
	for range in "$@"; do
		if ((next[i] < ${range%..*} || next[i] > ${range#*..})); then
			echo "level $i: next pid ${next[i]}, want $range (all: ${next[*]})" >&2
			return 1
		fi
		i=$((i + 1))
	done
}

@test "--at-least at depth 1 and 3: levels below their values raised, exactly" {
	nest_create 1
	run_bounded -0 "$SETLASTPID" --at-least --ns "/proc/$NEST/ns/pid" 700
	assert_next "$NEST" 701
	nest_destroy_all
	nest_create 3
	run_bounded -0 "$SETLASTPID" --at-least --verbose --ns "/proc/$NEST/ns/pid" 300,200,100
	[ "$(grep -c '^set level [0-2] pid:\[[0-9]*\] to [0-9]* via ' <<<"$output")" = 3 ]
	assert_next "$NEST" "301 201 101"
}

@test "--at-least at depth 32: every level raised, exactly" {
	[ "$(grep NSpid /proc/self/status | wc -w)" = 2 ] ||
		skip "needs the initial pid namespace to nest 32 deep"
	# 32 levels, the outermost the test's own nest (not the machine's counter)
	nest_create 1
	local outer=$NEST vector want
	nest_create 31 nsenter --target "$outer" --pid --
	vector=$(seq -s, 1000 -10 690)
	want=$(seq -s' ' 1001 -10 691)
	run_bounded -0 nsenter --target "$outer" --pid -- "$SETLASTPID" --at-least \
		--ns "/proc/$NEST/ns/pid" "$vector"
	assert_next "$NEST" "$want"
}

@test "--at-least leaves a level past its value alone, and says so; all past: nothing written" {
	nest_create 3
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 500,500,500
	# level 1 raised; levels 0 and 2 past theirs: left, moved only by tasks of ours
	run_bounded -0 "$SETLASTPID" --at-least --verbose --ns "/proc/$NEST/ns/pid" 100,600,100
	[[ ${lines[0]} =~ ^left\ level\ 0\ pid:\[[0-9]+\]\ at\ 50[0-9]\ \(at\ least\ 100\)$ ]]
	[[ ${lines[1]} =~ ^set\ level\ 1\ pid:\[[0-9]+\]\ to\ 600\ via\  ]]
	[[ ${lines[2]} =~ ^left\ level\ 2\ pid:\[[0-9]+\]\ at\ 50[0-9]\ \(at\ least\ 100\)$ ]]
	assert_levels_in 502..510 601..601 502..510
	# every level past: the counters found are kept, none set back
	remember_levels
	run_bounded -0 "$SETLASTPID" --at-least --verbose --ns "/proc/$NEST/ns/pid" 1,1,1
	[ "$(grep -c '^left level' <<<"$output")" = 3 ]
	assert_moved "2..4 2..4 2..4"
}

@test "--at-least with each method: sysctl, spin (never wrapping), and the ioctl where the kernel has it" {
	nest_create 1
	run_bounded -0 "$SETLASTPID" --at-least --method=sysctl --ns "/proc/$NEST/ns/pid" 900
	assert_next "$NEST" 901
	# the caller's own level, by nobody: spun up to, never past; a value behind: no task
	NOBODY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/setlastpid-floor.XXXXXX")
	chmod 755 "$NOBODY_DIR"
	cp "$SETLASTPID" "$NOBODY_DIR/setlastpid"
	local as_nobody=(nsenter --target "$NEST" --pid -- setpriv --reuid=65534 --regid=65534
		--clear-groups -- "$NOBODY_DIR/setlastpid")
	run_bounded -0 "${as_nobody[@]}" --at-least --verbose 3000
	[[ $output == "set level 0 pid:["*"] to 3000 via spin ("*" tasks)" ]]
	assert_next "$NEST" 3001
	run_bounded -0 "${as_nobody[@]}" --at-least --verbose 10
	[[ $output == "left level 0 pid:["*"] at 300"[0-9]" (at least 10)" ]]
	assert_levels_in 3003..3006
	if kernel_has_ioctl; then
		run_bounded -0 "$SETLASTPID" --at-least --method=ioctl --ns "/proc/$NEST/ns/pid" 5000
		assert_next "$NEST" 5001
	fi
}

@test "--at-least --dry-run: the real run's answer, nothing set" {
	nest_create 3
	remember_levels
	run_bounded -0 "$SETLASTPID" --at-least --dry-run --ns "/proc/$NEST/ns/pid" 100,1,100
	[[ ${lines[0]} == "would set level 0 pid:["*"] to 100 via "* ]]
	[[ ${lines[1]} == "would leave level 1 pid:["*"] at "*" (at least 1)" ]]
	# its one task, to read the counters (and helpers, on 6.14+, for pid_max)
	assert_moved "2..3 2..4 2..5"
	# out of range, too deep: the real run's status, and nothing changes
	local args
	for args in "4194305" "1,1,1,1,1,1,1,1"; do
		remember_levels
		run_bounded --separate-stderr "$SETLASTPID" --at-least -n --ns "/proc/$NEST/ns/pid" "$args"
		local dry=$status
		run_bounded --separate-stderr "$SETLASTPID" --at-least --ns "/proc/$NEST/ns/pid" "$args"
		[ "$status" = "$dry" ] && [ "$status" = 65 ]
		assert_one_error_line
		assert_moved "1..3"
	done
}

@test "--at-least: what it cannot take is a usage error (64), one line" {
	local args
	for args in "--at-least 100 -- true" "--at-least --exact 100 -- true" \
		"--at-least --new-pidns 100 -- true" "--at-least --get" "--at-least --serve=@x"; do
		# shellcheck disable=SC2086 # each case is words
		run_bounded -64 --separate-stderr "$SETLASTPID" $args
		assert_one_error_line "--at-least"
	done
	run_bounded -64 --separate-stderr "$SETLASTPID" --at-least 100 -- true
	assert_stderr_is "setlastpid: --at-least raises the counters and creates nothing: drop COMMAND, and create it after, as in setlastpid --exact VECTOR -- COMMAND"
}

@test "--at-least through the server (SLP1's flag) and the library (SLP_AT_LEAST, a holder too)" {
	nest_create 2
	local sock=@setlastpid-floor-$$-$BATS_TEST_NUMBER
	"$SETLASTPID" --serve="$sock" --ns "/proc/$NEST/ns/pid" 2>/dev/null &
	SERVERS+=("$!")
	wait_until 10 "$SETLASTPID" --connect="$sock" --dry-run 1
	run_bounded -0 "$SETLASTPID" --connect="$sock" --at-least --verbose 400,300
	[[ $output == "set at least 400,300 via the server on $sock" ]]
	assert_next "$NEST" "401 301"
	# past: left, not set back
	run_bounded -0 "$SETLASTPID" --connect="$sock" --at-least 10,10
	assert_levels_in 402..406 302..306
	kill_and_reap "${SERVERS[@]}"
	SERVERS=()
	# the library: a 1.0 report untouched past its end, the floor per level, a holder's
	run_bounded -0 "$API_DRIVER" floor "/proc/$NEST/ns/pid" 1000,20
	[[ ${lines[0]} == "set 1000" ]]
	[[ ${lines[1]} =~ ^left\ 3[0-9][0-9]$ ]]
	[ "${lines[2]}" = "holder: done" ]
	assert_levels_in 1001..1010
}

# storm NEST: forks children that live 3 s, without end, in the nest; the
# forking shell's pid, as the test sees it, in STORM (to pause it)
storm() {
	local pidfile
	pidfile=$(mktemp "$BATS_TEST_TMPDIR/storm.XXXXXX")
	# shellcheck disable=SC2016 # expanded by the shell in the nest
	nsenter --target "$1" --pid -- sh -c 'read -r pid rest </proc/self/stat && echo "$pid" >"$1" &&
		while :; do sleep 3 & sleep 0.005; done' sh "$pidfile" </dev/null >/dev/null 2>&1 &
	NEST_KILL+=("$!")
	wait_until 10 test -s "$pidfile"
	STORM=$(cat "$pidfile")
}

@test "under a fork storm: --at-least past the wanted pids, then --exact for each, lands 40 of 40" {
	nest_create 1
	storm "$NEST"
	local counter first p landed=0 honest=0 got
	sleep 1
	# the pids to restore are ahead of the storm when the floor comes (its
	# forks paused meanwhile: on a busy machine the choice must not race)
	kill -STOP "$STORM"
	read -r counter _ <<<"$(counters "$NEST")"
	first=$((counter + 60))
	run_bounded -0 "$SETLASTPID" --at-least --ns "/proc/$NEST/ns/pid" $((first + 39))
	kill -CONT "$STORM"
	for ((p = first; p < first + 40; p++)); do
		run_bounded "$SETLASTPID" --exact --ns "/proc/$NEST/ns/pid" $((p - 1)) -- "${OWN_PIDS[@]}"
		got=${output%% *}
		[ "$status" = 0 ] && [ "$got" = "$p" ] && landed=$((landed + 1))
	done
	echo "landed $landed of 40" >&2
	[ "$landed" = 40 ]
	# plain runs, without the floor: each lands or says so (75), never a wrong pid
	read -r counter _ <<<"$(counters "$NEST")"
	first=$((counter + 30))
	for ((p = first; p < first + 20; p++)); do
		run_bounded --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" $((p - 1)) -- \
			"${OWN_PIDS[@]}"
		got=${output%% *}
		if [ "$status" = 0 ] && [ "$got" = "$p" ]; then
			honest=$((honest + 1))
		elif [ "$status" = 75 ] || [ "$status" = 65 ]; then
			[ -z "$output" ] || { echo "a refused run printed '$output'" >&2; false; }
			honest=$((honest + 1))
		fi
	done
	[ "$honest" = 20 ]
}

@test "--at-least, spun by three at once toward a value near pid_max: the counter never wraps" {
	pid_max_per_ns || skip "needs a pid_max per pid namespace (Linux 6.14+) to bring it near"
	nest_create 1
	nsenter --target "$NEST" --pid -- sh -c 'echo 20000 >/proc/sys/kernel/pid_max'
	NOBODY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/setlastpid-floor.XXXXXX")
	chmod 755 "$NOBODY_DIR"
	cp "$SETLASTPID" "$NOBODY_DIR/setlastpid"
	# a watcher in the nest that forks nothing: every drop of the counter, said
	nsenter --target "$NEST" --pid -- bash -c 'prev=0; end=$((SECONDS + 60))
		while ((SECONDS < end)); do read -r c </proc/sys/kernel/ns_last_pid
			((c >= prev)) || echo "drop $prev -> $c"; prev=$c
			[ ! -e "$1" ] || break; done >"$1.log"' bash "$NOBODY_DIR/done" &
	local watcher=$! a b c round
	local as_nobody=(nsenter --target "$NEST" --pid -- setpriv --reuid=65534 --regid=65534
		--clear-groups -- "$NOBODY_DIR/setlastpid" --at-least --method=spin 19990)
	# three rounds: a spinner held up at the wrong moment is a matter of chance
	for round in 1 2 3; do
		bounded "${as_nobody[@]}" & a=$!
		bounded "${as_nobody[@]}" & b=$!
		bounded "${as_nobody[@]}" & c=$!
		wait "$a" && wait "$b" && wait "$c"
		assert_levels_in 19991..19999
		[ "$round" = 3 ] || nsenter --target "$NEST" --pid -- sh -c 'echo 2000 >/proc/sys/kernel/ns_last_pid'
	done
	touch "$NOBODY_DIR/done"
	wait "$watcher"
	# the watcher saw the resets to 2000, and no wrap (which comes back below them)
	awk '$4 < 2000 { bad = 1 } END { exit bad }' "$NOBODY_DIR/done.log" ||
		{ cat "$NOBODY_DIR/done.log" >&2; false; }
}

@test "--at-least: a value whose next pid is not below pid_max is refused (65), as the dry run says" {
	nest_create 1
	local max
	max=$(nest_pid_max "$NEST")
	local v
	for v in "$max" $((max - 1)); do
		run_bounded -65 --separate-stderr "$SETLASTPID" --at-least -n --ns "/proc/$NEST/ns/pid" "$v"
		run_bounded -65 --separate-stderr "$SETLASTPID" --at-least --ns "/proc/$NEST/ns/pid" "$v"
		assert_one_error_line "below pid_max"
	done
	run_bounded -0 "$SETLASTPID" --at-least --ns "/proc/$NEST/ns/pid" $((max - 2))
}

@test "--at-least, unprivileged: every level past, nothing to write; the dry run says 0 as the real run" {
	nest_create 1
	local m no_caps=(nsenter --target "$NEST" --pid -- setpriv --inh-caps=-all --bounding-set=-all --)
	for m in sysctl auto; do
		run_bounded -0 --separate-stderr "${no_caps[@]}" "$SETLASTPID" -n --at-least --method="$m" 1
		[[ $output == "would leave level 0 pid:["*"] at "*" (at least 1)" ]]
		run_bounded -0 --separate-stderr "${no_caps[@]}" "$SETLASTPID" -v --at-least --method="$m" 1
		[[ $output == "left level 0 pid:["*"] at "*" (at least 1)" ]]
	done
	# a level to raise: the write is refused, as the dry run says (sysctl), or spun (auto)
	run_bounded -77 --separate-stderr "${no_caps[@]}" "$SETLASTPID" -n --at-least --method=sysctl 900
	run_bounded -77 --separate-stderr "${no_caps[@]}" "$SETLASTPID" --at-least --method=sysctl 900
	run_bounded -0 "${no_caps[@]}" "$SETLASTPID" --at-least 900
	assert_next "$NEST" 901
}
