#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# The spin method: an unprivileged user, in a pid namespace root made,
# where the write of ns_last_pid is refused, reaches its own counter by
# creating and ending tasks.

load helpers

setup() {
	requires root
	nest_create 1
	# a copy nobody may run: the build tree may be private
	NOBODY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/setlastpid-spin.XXXXXX")
	chmod 755 "$NOBODY_DIR"
	cp "$SETLASTPID" "$NOBODY_DIR/setlastpid"
	SPIN=("$NOBODY_DIR/setlastpid")
	# a place nobody may write
	mkdir -m 1777 "$NOBODY_DIR/tmp"
	# nobody, in the nest: the process nsenter forks there, then setlastpid itself
	AS_NOBODY=(nsenter --target "$NEST" --pid -- setpriv --reuid=65534 --regid=65534 --clear-groups --)
}

teardown() {
	nest_destroy_all
	rm -rf "$NOBODY_DIR"
}

# counter: the nest's ns_last_pid now (the cat reading it takes one pid more)
counter() {
	nsenter --target "$NEST" --pid -- cat /proc/sys/kernel/ns_last_pid
}

@test "spin: nobody sets its own level, where the write is refused, and the next process gets VALUE + 1" {
	run_bounded -0 "${AS_NOBODY[@]}" "${SPIN[@]}" --verbose 3000
	[[ $output == "set level 0 pid:["*"] to 3000 via spin ("*" tasks)" ]]
	assert_next "$NEST" 3001
	# the direct write would have been refused: auto chose spin
	run_bounded -77 --separate-stderr "${AS_NOBODY[@]}" "${SPIN[@]}" --method=sysctl 4000
}

@test "spin: values one after another, and far, each exact" {
	local value
	# each probe takes a pid, and the process setlastpid runs in: 3 apart at least
	for value in 1000 1003 1006 1500 2400; do
		run_bounded -0 "${AS_NOBODY[@]}" "${SPIN[@]}" "$value"
		assert_next "$NEST" "$((value + 1))"
	done
	run_bounded -0 "${AS_NOBODY[@]}" "${SPIN[@]}" 200000
	assert_next "$NEST" 200001
}

@test "spin: with COMMAND, COMMAND gets VALUE + 1" {
	run_bounded -0 "${AS_NOBODY[@]}" "${SPIN[@]}" 5000 -- "${OWN_PIDS[@]}"
	[ "${output%% *}" = 5001 ]
}

@test "spin: a wrap past pid_max, exact" {
	pid_max_per_ns || skip "needs a pid_max per pid namespace to wrap short (Linux 6.14+)"
	nsenter --target "$NEST" --pid -- sh -c 'echo 3000 >/proc/sys/kernel/pid_max'
	run_bounded -0 "${AS_NOBODY[@]}" "${SPIN[@]}" 2500
	assert_next "$NEST" 2501
	# behind the counter: through pid_max, back to 300 and on
	run_bounded -0 "${AS_NOBODY[@]}" "${SPIN[@]}" --verbose 400
	[[ $output == *" via spin ("*" tasks)" ]]
	assert_next "$NEST" 401
}

@test "spin: below 300 behind the counter is refused at once, nothing created" {
	run_bounded -0 "${AS_NOBODY[@]}" "${SPIN[@]}" 1000
	remember_levels
	run_bounded -65 --separate-stderr "${AS_NOBODY[@]}" "${SPIN[@]}" 200
	assert_one_error_line "cannot spin to 200: it is below 300 and behind the counter ("
	[[ $stderr == *"nothing was created" ]]
	# the only pid taken is that of the process setlastpid ran in
	assert_unchanged_but 1
}

@test "spin: more than --max-spin is refused at once, nothing created" {
	remember_levels
	run_bounded -65 --separate-stderr "${AS_NOBODY[@]}" "${SPIN[@]}" --max-spin=100 50000
	assert_one_error_line "cannot spin to 50000: from "
	[[ $stderr == *", more than the most allowed (100); nothing was created: raise --max-spin, or lower pid_max in the namespace to shorten a wrap" ]]
	assert_unchanged_but 1
	run_bounded -64 --separate-stderr "${AS_NOBODY[@]}" "${SPIN[@]}" --max-spin=0 50000
	assert_one_error_line "invalid --max-spin '0'"
}

@test "spin: --dry-run gives the count, and creates nothing" {
	local before tasks
	# the counter as its reader leaves it (its own pid)
	before=$(counter)
	remember_levels
	run_bounded -0 "${AS_NOBODY[@]}" "${SPIN[@]}" --dry-run 7000
	tasks=${output##*via spin (}
	tasks=${tasks%% task*}
	# from the pid of the process setlastpid ran in, after remember_levels' probe
	[ "$tasks" = $((7000 - before - 2)) ] || { echo "tasks: $tasks, counter was $before" >&2; false; }
	assert_unchanged_but 1
}

@test "spin: more than one level, or another namespace, cannot be spun: 77, nothing created" {
	# a nest of nobody's own below: nobody may write there, not in its own level
	nsenter --target "$NEST" --pid -- setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		unshare --user --map-root-user --pid --fork --kill-child -- \
		sh -c 'read -r pid rest </proc/self/stat; echo "$pid" >"$1"; exec sleep infinity' sh \
		"$NOBODY_DIR/tmp/inner" </dev/null >/dev/null 2>&1 &
	NEST_KILL+=("$!")
	wait_until 10 test -s "$NOBODY_DIR/tmp/inner"
	local inner
	# its pid as /proc, the host's, shows it
	inner=$(cat "$NOBODY_DIR/tmp/inner")
	remember_levels
	run_bounded -77 --separate-stderr "${AS_NOBODY[@]}" "${SPIN[@]}" --method=spin \
		--ns "/proc/$inner/ns/pid" 100,200
	assert_one_error_line "cannot spin to the vector for /proc/$inner/ns/pid: spinning reaches your own pid namespace's last pid alone"
	run_bounded -77 --separate-stderr "${AS_NOBODY[@]}" "${SPIN[@]}" --method=spin \
		--ns "/proc/$inner/ns/pid" 100
	assert_one_error_line "cannot spin to the vector for /proc/$inner/ns/pid"
	# auto: its own level may not be written, and two levels cannot be spun
	run_bounded -77 --separate-stderr "${AS_NOBODY[@]}" "${SPIN[@]}" --ns "/proc/$inner/ns/pid" 100,200
	assert_one_error_line "not permitted to set level 1"
	assert_unchanged_but 3
}

@test "spin: no task left, after success, failure and a signal; SIGINT stops it, the counter said" {
	run_bounded -0 "${AS_NOBODY[@]}" "${SPIN[@]}" 20000
	[ "$(processes_in_nest)" = 1 ]
	run_bounded -65 "${AS_NOBODY[@]}" "${SPIN[@]}" 100
	[ "$(processes_in_nest)" = 1 ]
	# a long way, stopped: env undoes a background job's ignored SIGINT; a
	# shell in the nest tells setlastpid's status (nsenter would not)
	"${AS_NOBODY[@]}" sh -c 'env --default-signal=INT "$0" --max-spin=4000000 3000000 2>"$1/stderr"
		echo $? >"$1/status"' "${SPIN[@]}" "$NOBODY_DIR/tmp" &
	local job=$! pid
	wait_until 10 pgrep --ns "$NEST" --nslist pid -x setlastpid
	pid=$(pgrep --ns "$NEST" --nslist pid -x setlastpid)
	sleep 0.3
	kill -INT "$pid"
	wait_bounded "$job"
	[ "$(cat "$NOBODY_DIR/tmp/status")" = 130 ] ||
		{ echo "status $(cat "$NOBODY_DIR/tmp/status"): $(cat "$NOBODY_DIR/tmp/stderr")" >&2; false; }
	grep -q "^setlastpid: interrupted by SIGINT while spinning to 3000000: ns_last_pid is at [0-9]* now, and stays there; no task is left$" \
		"$NOBODY_DIR/tmp/stderr"
	[ "$(processes_in_nest)" = 1 ]
}

@test "spin: progress on a terminal only" {
	command -v script >/dev/null || skip "needs script (bsdutils)"
	# far enough to take a second or more, and to print
	run_bounded -0 script -qec "${AS_NOBODY[*]} ${SPIN[*]} --max-spin=2000000 900000" /dev/null
	[[ $output == *"setlastpid: spinning: "*" tasks, "*"/s, "*" s left"* ]]
	# no terminal, no line
	run_bounded -0 --separate-stderr "${AS_NOBODY[@]}" "${SPIN[@]}" --max-spin=2000000 1700000
	[ -z "$stderr" ]
	assert_next "$NEST" 1700001
}

@test "spin: exact every time, twenty times" {
	local round value=3000
	for round in $(seq 20); do
		value=$((value + 37 * round))
		run_bounded -0 "${AS_NOBODY[@]}" "${SPIN[@]}" "$value" -- "${OWN_PIDS[@]}"
		[ "${output%% *}" = $((value + 1)) ] ||
			{ echo "round $round: $output, want $((value + 1))" >&2; false; }
	done
}
