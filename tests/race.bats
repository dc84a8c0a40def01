#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # OWN_PIDS comes from helpers.bash
# The race between setting the counters and creating COMMAND: a namespace
# where something keeps forking, and restorers running side by side. The
# counts go to the TAP stream as comments.

load helpers

setup() {
	requires root
}

# Keep creating processes in the nest until teardown.
start_noise() {
	nsenter --target "$NEST" --pid -- sh -c 'while :; do /bin/true; done' </dev/null >/dev/null 2>&1 &
	NEST_KILL+=("$!")
}

# restore_round OPTIONS... VALUE: one restore of a 2-level vector; print
# "exact", "refused" (75: taken meanwhile), "in use" (65: taken before the
# set; the noise's processes hold pids too) or "wrong STATUS OUTPUT".
restore_round() {
	local value=${*: -1} out status=0
	out=$(bounded "$SETLASTPID" "${@:1:$#-1}" --ns "/proc/$NEST/ns/pid" "$value,$value" -- \
		"${OWN_PIDS[@]}" 2>/dev/null) || status=$?
	if [ "$status" = 0 ] && [[ $out == "$((value + 1)) $((value + 1)) "* ]]; then
		echo exact
	elif [ "$status" = 75 ]; then
		echo refused
	elif [ "$status" = 65 ]; then
		echo "in use"
	else
		echo "wrong $status $out"
	fi
}

count() {
	grep -c "^$1" "$2" || true
}

@test "noisy namespace: plain mode runs COMMAND only with its pids, else exits 75" {
	nest_create 2
	start_noise
	local round results=$BATS_TEST_TMPDIR/plain
	for round in $(seq 25); do
		restore_round $((1000 + 4 * round))
	done >"$results"
	echo "# noisy namespace, plain: $(count exact "$results") exact, $(count refused "$results") refused (75), $(count "in use" "$results") in use (65), $(count wrong "$results") wrong" >&3
	[ "$(count wrong "$results")" = 0 ] || { cat "$results" >&2; false; }
}

@test "noisy namespace: --exact is exact every time" {
	nest_create 2
	start_noise
	# the noise climbs from 100; the rounds take pids near pid_max
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 100,100
	local round top results=$BATS_TEST_TMPDIR/exact
	top=$(($(pid_max) - 100))
	for round in $(seq 25); do
		restore_round --exact $((top - 2 * round))
	done >"$results"
	echo "# noisy namespace, --exact: $(count exact "$results") exact, $(count refused "$results") refused, $(count wrong "$results") wrong" >&3
	[ "$(count exact "$results")" = 25 ] || { cat "$results" >&2; false; }
}

# restorers N OPTIONS...: N restorers side by side, 25 rounds each, on
# distinct pids; all results in $BATS_TEST_TMPDIR/restorers.
restorers() {
	local n=$1 worker pid pids=()
	shift
	for ((worker = 0; worker < n; worker++)); do
		(
			for round in $(seq 25); do
				restore_round "$@" $((1000 + 40 * round + 10 * worker))
			done >"$BATS_TEST_TMPDIR/worker$worker"
		) &
		pids+=("$!")
	done
	for pid in "${pids[@]}"; do	# not the nest, which runs until teardown
		wait_bounded "$pid"
	done
	cat "$BATS_TEST_TMPDIR"/worker* >"$BATS_TEST_TMPDIR/restorers"
}

@test "four restorers in parallel with --lock, 25 rounds each: every one exact" {
	nest_create 2
	restorers 4 --lock
	local results=$BATS_TEST_TMPDIR/restorers
	echo "# 4 restorers x 25 rounds, --lock: $(count exact "$results") exact, $(count refused "$results") refused (75), $(count wrong "$results") wrong" >&3
	[ "$(count exact "$results")" = 100 ] || { cat "$results" >&2; false; }
}

@test "the same without --lock: restorers take each other's pids (75), never run wrong" {
	nest_create 2
	restorers 4
	local results=$BATS_TEST_TMPDIR/restorers
	echo "# 4 restorers x 25 rounds, no lock: $(count exact "$results") exact, $(count refused "$results") refused (75), $(count wrong "$results") wrong" >&3
	[ "$(count wrong "$results")" = 0 ] || { cat "$results" >&2; false; }
	[ "$(wc -l <"$results")" = 100 ]
	# they did take each other's pids: else "never wrong" showed nothing
	[ "$(count refused "$results")" -gt 0 ] || { echo "no round refused: the race never happened" >&2; false; }
}

# In a proc of the test's own (a new pid namespace's, in a mount namespace
# of its own), whose ns_last_pid is a lock no other test holds: another
# holds the lock for 4 s while setlastpid --lock waits for it. Prints
# setlastpid's status, how long it took in ms, and the counter before and
# after, as "STATUS MS BEFORE AFTER".
lock_held_elsewhere() {
	# shellcheck disable=SC2016 # expanded in the new namespaces
	bounded unshare --pid --fork --mount --mount-proc bash -c '
		flock /proc/sys/kernel/ns_last_pid sleep 4 & holder=$!
		until ! flock -n /proc/sys/kernel/ns_last_pid true; do sleep 0.05; done
		read -r before </proc/sys/kernel/ns_last_pid
		start=$EPOCHREALTIME
		"$@"; status=$?
		end=$EPOCHREALTIME
		read -r after </proc/sys/kernel/ns_last_pid
		kill "$holder"
		echo "$status $(( (${end/./} - ${start/./}) / 1000 )) $before $after"' sh "$@"
}

@test "--lock: a signal while it waits for the lock ends it at once, nothing written, COMMAND not run" {
	local status ms before after
	for args in "--lock 5000 -- touch $BATS_TEST_TMPDIR/ran" "--lock 5000" "--lock --exact 5000 -- touch $BATS_TEST_TMPDIR/ran"; do
		# shellcheck disable=SC2086 # args is split on purpose
		read -r status ms before after < <(lock_held_elsewhere \
			timeout --preserve-status -s TERM 0.5 "$SETLASTPID" $args 2>"$BATS_TEST_TMPDIR/err")
		echo "$args: status $status in $ms ms, counter $before then $after" >&2
		[ "$status" = 143 ]
		[ "$ms" -lt 2500 ]	# not after the holder's 4 s
		[ "$after" -lt 4999 ]	# the caller's own counter never written
		[ ! -e "$BATS_TEST_TMPDIR/ran" ]
		grep -qx "setlastpid: interrupted by SIGTERM while waiting for the lock on /proc/sys/kernel/ns_last_pid" \
			"$BATS_TEST_TMPDIR/err"
	done
}

@test "--lock: once the other lets go, it sets and runs COMMAND" {
	local status ms before after
	read -r status ms before after < <(lock_held_elsewhere "$SETLASTPID" --lock 5000 -- true)
	[ "$status" = 0 ]
	[ "$ms" -ge 3000 ]	# it waited for the holder
	[ "$after" = 5001 ]
}
