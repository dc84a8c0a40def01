#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# NS_SET_LAST_PID_VEC: on a kernel with it (run-vm.sh's guest) it sets
# every level in one call and creates no process; on one without it
# (mainline), --method=ioctl says so and changes nothing, and auto falls
# back. Each test asserts what the kernel it runs on must do.

load helpers

setup() {
	requires root
}

@test "the kernel answers as the environment says it does" {
	run_bounded "$SETLASTPID" --dry-run --method=ioctl 1
	if kernel_has_ioctl; then
		[ "$status" = 0 ]
		[ "$output" = "would set level 0 pid:[$(stat -L -c %i /proc/self/ns/pid)] to 1 via ioctl" ]
	else
		[ "$status" = 69 ]
	fi
}

@test "--method=ioctl: sets every level, or exits 69 and changes nothing" {
	nest_create 3
	remember_levels
	run_bounded --separate-stderr "$SETLASTPID" --method=ioctl --ns "/proc/$NEST/ns/pid" 100,50,7
	if kernel_has_ioctl; then
		[ "$status" = 0 ]
		[[ $(next_nspid "$NEST") == *" 8 51 101" ]]
	else
		[ "$status" = 69 ]
		assert_stderr_is "setlastpid: cannot set /proc/$NEST/ns/pid: this kernel lacks NS_SET_LAST_PID_VEC; --method=auto or --method=sysctl set the same counters through ns_last_pid"
		assert_unchanged
	fi
}

@test "--method=ioctl at depth 32" {
	[ "$(grep NSpid /proc/self/status | wc -w)" = 2 ] ||
		skip "needs to run in the initial pid namespace to nest 32 deep"
	nest_create 32
	run_bounded "$SETLASTPID" --method=ioctl --ns "/proc/$NEST/ns/pid" "$(seq -s, 200 3 293)"
	if kernel_has_ioctl; then
		[ "$status" = 0 ]
		assert_next "$NEST" "$(seq -s' ' 201 3 294)"
	else
		[ "$status" = 69 ]
	fi
}

@test "--method=auto picks the ioctl where the kernel has it, ns_last_pid where not" {
	nest_create 2
	run_bounded -0 "$SETLASTPID" --verbose --ns "/proc/$NEST/ns/pid" 40,30
	if kernel_has_ioctl; then
		[[ ${lines[0]} == *" via ioctl" ]]
	else
		[[ ${lines[0]} == *" via sysctl" ]]
	fi
	assert_next "$NEST" "41 31"
}

@test "the ioctl creates no process: the levels above the vector are untouched" {
	nest_create 3
	remember_levels
	local -a before
	read -r -a before <<<"$BEFORE"
	if kernel_has_ioctl; then
		run_bounded -0 "$SETLASTPID" --method=ioctl --ns "/proc/$NEST/ns/pid" 300
		assert_next "$NEST" "301 $((before[1] + 1)) $((before[2] + 1))"
	else
		run_bounded -69 "$SETLASTPID" --method=ioctl --ns "/proc/$NEST/ns/pid" 300
		assert_unchanged
	fi
}

@test "--method=ioctl failures: each cause named, no level changed" {
	nest_create 2
	remember_levels
	local max
	max=$(pid_max)
	if ! kernel_has_ioctl; then
		# The kernel is asked first, and it has nothing to offer.
		run_bounded -69 "$SETLASTPID" --method=ioctl --ns "/proc/$NEST/ns/pid" "1,$((max + 1))"
		assert_unchanged
		return
	fi
	run_bounded -65 --separate-stderr "$SETLASTPID" --method=ioctl --ns "/proc/$NEST/ns/pid" "1,$((max + 1))"
	assert_stderr_is "setlastpid: value 2 of the vector, $((max + 1)), is above pid_max ($max): give 0 to $max"
	run_bounded -65 --separate-stderr "$SETLASTPID" --method=ioctl --ns "/proc/$NEST/ns/pid" 1,2,3,4
	assert_stderr_is "setlastpid: the vector has 4 values but /proc/$NEST/ns/pid is 3 levels deep as seen from here: give at most 3"
	run_bounded -65 --separate-stderr "$SETLASTPID" --method=ioctl --ns /proc/self/ns/net 1
	assert_stderr_is "setlastpid: /proc/self/ns/net is a net namespace, not a pid namespace: give /proc/PID/ns/pid"
	run_bounded -77 --separate-stderr capsh --drop=cap_sys_admin,cap_checkpoint_restore -- -c \
		'exec "$0" --method=ioctl --ns "$1" 100,50' "$SETLASTPID" "/proc/$NEST/ns/pid"
	assert_one_error_line "it needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE in user:["
	assert_unchanged
}

@test "CAP_CHECKPOINT_RESTORE alone: enough for the ioctl, not for the fallback's setns" {
	nest_create 2
	remember_levels
	run_bounded --separate-stderr capsh --drop=cap_sys_admin -- -c \
		'exec "$0" --ns "$1" 70,60' "$SETLASTPID" "/proc/$NEST/ns/pid"
	if kernel_has_ioctl; then
		[ "$status" = 0 ]
		assert_next "$NEST" "71 61"
	else
		[ "$status" = 77 ]
		assert_one_error_line "it needs CAP_SYS_ADMIN in user:["
		assert_unchanged
	fi
}

@test "on a file that is no namespace, ENOTTY is not taken for a kernel without the ioctl" {
	run_bounded -65 --separate-stderr "$SETLASTPID" --method=ioctl --ns /etc/passwd 1
	assert_stderr_is "setlastpid: /etc/passwd is not a namespace file: give /proc/PID/ns/pid"
}
