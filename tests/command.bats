#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# setlastpid VECTOR -- COMMAND: COMMAND is created as the next process of
# the nest, runs only with exactly VECTOR + 1 at every level, and hands
# back its exit status; --exact and --lock close the race.

load helpers

setup() {
	requires root
}

@test "COMMAND is the next process: it runs with VECTOR + 1 at every level" {
	nest_create 3
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 100,50,7 -- "${OWN_PIDS[@]}"
	[[ $output == "101 51 8 "* ]]
}

@test "its exit status is setlastpid's; 128 + N when signal N killed it" {
	nest_create 1
	run_bounded -3 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 200 -- sh -c 'exit 3'
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 210 -- true
	run_bounded -137 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 220 -- sh -c 'kill -KILL $$'
	run_bounded -143 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 230 -- sh -c 'kill -TERM $$'
}

@test "exit 127 when COMMAND is not found, 126 when it cannot run: one line, nothing run" {
	nest_create 1
	run_bounded -127 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 300 -- /nonexistent/command
	assert_stderr_is "setlastpid: cannot run /nonexistent/command: No such file or directory"
	printf 'not a program\n' >"$BATS_TEST_TMPDIR/data"
	run_bounded -126 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 310 -- "$BATS_TEST_TMPDIR/data"
	assert_stderr_is "setlastpid: cannot run $BATS_TEST_TMPDIR/data: Permission denied"
}

@test "options after VECTOR belong to COMMAND, with -- or without" {
	nest_create 1
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 400 -- sh -c 'echo "$@"' sh -v --verbose
	[ "$output" = "-v --verbose" ]
	# as nsenter and unshare: options end at the first argument that is none
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 410 sh -c 'echo "$@"' sh -v --verbose
	[ "$output" = "-v --verbose" ]
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 420 "${OWN_PIDS[@]}"
	[[ $output == "421 "* ]]
}

@test "SIGINT, SIGTERM, SIGHUP and SIGQUIT reach COMMAND; setlastpid exits 128 + N" {
	nest_create 1
	local sig number pid
	for sig in INT TERM HUP QUIT; do
		number=$(kill -l "$sig")
		# a background job ignores SIGINT and SIGQUIT, and so would COMMAND;
		# no timeout(1), which would signal COMMAND's process group itself:
		# the signal goes to setlastpid alone, and wait_bounded bounds it
		env --default-signal=INT,QUIT "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 500 -- sleep 86399 3>&- &
		pid=$!
		NEST_KILL+=("$pid")	# killed by teardown if the test stops early
		# COMMAND, once it runs: looked for in this test's nest alone
		wait_until "$TEST_TIMEOUT" pgrep --ns "$NEST" --nslist pid -f '^sleep 86399$' >/dev/null
		kill "-$sig" "$pid"
		status=0
		wait_bounded "$pid" || status=$?	# not run: wait works in this shell only
		unset 'NEST_KILL[-1]'	# reaped: its pid is no longer ours to kill
		[ "$status" = $((128 + number)) ] || { echo "SIG$sig: status $status" >&2; false; }
		run_bounded -1 pgrep --ns "$NEST" --nslist pid -f '^sleep 86399$'
	done
}

@test "ignored signals stay ignored in COMMAND; an ignored SIGCHLD does not lose it" {
	nest_create 1
	local expected
	# SIGHUP (nohup) and SIGCHLD ignored by the caller, as exec passes them
	# on; the caller too under timeout(1), which sets SIGINT and SIGQUIT
	run_bounded -0 bash -c 'trap "" HUP CHLD; exec awk "/^SigIgn:/ { print \$2 }" /proc/self/status'
	expected=$output
	run_bounded -0 bash -c 'trap "" HUP CHLD; exec "$0" --ns "$1" 700 -- awk "/^SigIgn:/ { print \$2 }" /proc/self/status' \
		"$SETLASTPID" "/proc/$NEST/ns/pid"
	[ "$output" = "$expected" ]
	# the signal mask is the caller's too: forwarding blocks nothing in COMMAND
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 750 -- awk '/^SigBlk:/ { print $2 }' /proc/self/status
	[ "$output" = "$(awk '/^SigBlk:/ { print $2 }' /proc/self/status)" ]
	# and its status still comes back: the kernel did not reap it first
	run_bounded -3 bash -c 'trap "" CHLD; exec "$0" --ns "$1" 800 -- sh -c "exit 3"' "$SETLASTPID" "/proc/$NEST/ns/pid"
}

@test "COMMAND sees no descriptor of setlastpid's" {
	nest_create 2
	local inherited
	inherited=$(ls /proc/self/fd | tr '\n' ' ')	# what the test itself passes on
	run_bounded -0 "$SETLASTPID" --lock --method=sysctl --ns "/proc/$NEST/ns/pid" 600,60 -- \
		ls /proc/self/fd
	[ "$(echo "$output" | tr '\n' ' ')" = "$inherited" ]
}

@test "exit 75 names the level, the pid wanted and the pid got, and runs nothing" {
	command -v strace >/dev/null || skip "needs strace"
	nest_create 2
	# something in the nest keeps forking...
	nsenter --target "$NEST" --pid -- sh -c 'while :; do /bin/true; done' </dev/null >/dev/null 2>&1 &
	NEST_KILL+=("$!")
	# ...while every clone() and clone3(), COMMAND's the last of them (the sysctl
	# method's helpers before it, none for the ioctl), waits 0.3 s: the
	# counters have moved on by the time COMMAND is created (3000: below
	# the smallest pid_max, 4096, a tinyconfig kernel's)
	run_bounded -75 --separate-stderr strace -qq -o /dev/null -e inject=clone,clone3:delay_enter=300000:when=1+ \
		"$SETLASTPID" --ns "/proc/$NEST/ns/pid" 3000,3000 -- touch "$BATS_TEST_TMPDIR/ran"
	[[ $stderr =~ ^setlastpid:\ cannot\ run\ touch:\ it\ got\ pid\ [0-9]+\ in\ level\ [01]\ \(pid:\[[0-9]+\]\)\ of\ /proc/$NEST/ns/pid,\ not\ 3001:\ another\ process\ was\ created\ there\ first\;\ nothing\ was\ run\;\ try\ again\ \(--exact\ or\ --lock\ prevent\ this\)\;\ the\ levels\ written\ (were|may\ not\ have\ been)\ put\ back$ ]]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	# the helpers put back what they wrote; the ioctl, which has no read
	# side, cannot (setlastpid(8))
	kernel_has_ioctl || [[ $stderr == *"; the levels written were put back" ]]
}

@test "exit 65 when a pid COMMAND needs is in use: no race to retry, no level changed" {
	nest_create 2
	remember_levels
	# pid 1 of level 0 is the nest's own process: COMMAND could never get it
	run_bounded -65 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 0,80 -- \
		touch "$BATS_TEST_TMPDIR/ran"
	assert_one_error_line "cannot create touch: pid 1 is in use in level 0 (pid:[$(stat -L -c %i "/proc/$NEST/ns/pid")]) of /proc/$NEST/ns/pid; nothing was run"
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	# and in the level above: its pid 1 is the nest's outer init
	run_bounded -65 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 80,0 -- \
		touch "$BATS_TEST_TMPDIR/ran"
	assert_one_error_line "pid 1 is in use in level 1 (pid:["
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	# two helpers took a pid in each level: each level is as it was, but for them
	local -a before
	read -r -a before <<<"$BEFORE"
	assert_next "$NEST" "$((before[0] + 1 + 2)) $((before[1] + 1 + 4))"
}

@test "--exact: clone3 set_tid gives exactly VECTOR + 1, at depth 3" {
	nest_create 3
	remember_levels
	run_bounded -0 "$SETLASTPID" --exact --ns "/proc/$NEST/ns/pid" 900,800,700 -- "${OWN_PIDS[@]}"
	[[ $output == "901 801 701 "* ]]
	# no counter was written: the next process goes on from before
	assert_unchanged
}

@test "--exact at depth 32" {
	[ "$(grep NSpid /proc/self/status | wc -w)" = 2 ] ||
		skip "needs to run in the initial pid namespace to nest 32 deep"
	nest_create 32
	run_bounded -0 "$SETLASTPID" --exact --ns "/proc/$NEST/ns/pid" "$(seq -s, 100 7 317)" -- "${OWN_PIDS[@]}"
	[[ $output == "$(seq -s' ' 101 7 318) "* ]]
}

@test "--exact, exit 65: a pid in use is named with its level, and nothing runs" {
	nest_create 2
	local inode
	inode=$(readlink "/proc/$NEST/ns/pid")
	run_bounded -65 --separate-stderr "$SETLASTPID" --exact --ns "/proc/$NEST/ns/pid" 0,500 -- \
		touch "$BATS_TEST_TMPDIR/ran"
	assert_stderr_is "setlastpid: cannot create touch: pid 1 is in use in level 0 ($inode) of /proc/$NEST/ns/pid; nothing was run"
	# level 1's pid 1 is the init of the outer namespace of the nest
	run_bounded -65 --separate-stderr "$SETLASTPID" --exact --ns "/proc/$NEST/ns/pid" 500,0 -- \
		touch "$BATS_TEST_TMPDIR/ran"
	assert_one_error_line "pid 1 is in use in level 1 (pid:["
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "--exact: a value whose pid would reach pid_max is refused before anything" {
	nest_create 1
	local max
	# the caller's own level goes by the caller's own pid_max
	max=$(nest_pid_max "$NEST")
	run_bounded -65 --separate-stderr nsenter --target "$NEST" --pid -- \
		"$SETLASTPID" --exact "$((max - 1))" -- touch "$BATS_TEST_TMPDIR/ran"
	assert_stderr_is "setlastpid: value 1 of the vector, $((max - 1)), is above pid_max - 2 ($((max - 2))): the process created gets the value + 1, which must be below pid_max ($max): give 0 to $((max - 2))"
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "--exact --verbose says what COMMAND got, after it ran" {
	nest_create 1
	run_bounded -0 "$SETLASTPID" --exact --verbose --ns "/proc/$NEST/ns/pid" 950 -- true
	[[ $output == "set level 0 pid:["*"] to 950 via clone3 set_tid (VECTOR + 1)" ]]
}

@test "no helper and no zombie left behind once COMMAND is done" {
	nest_create 3
	run_bounded -0 "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 100,50,7 -- true
	run_bounded -0 "$SETLASTPID" --exact --ns "/proc/$NEST/ns/pid" 200,60,8 -- true
	[ "$(processes_in_nest)" = 1 ]	# the nest's own process, nothing else
	run_bounded -1 pgrep -P $$ -x setlastpid	# by name: paths may contain it too
}
