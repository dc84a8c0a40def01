#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# Hostile input, table-driven: each case gets its exact exit status, one
# "setlastpid:" line on stderr, nothing on stdout, and no level changed.

load helpers

setup() {
	requires root
	nest_create 2
	remember_levels
}

# hostile STATUS ARGS...: run setlastpid with ARGS against the nest (as
# --ns unless ARGS give their own) and check all of the above.
hostile() {
	local want=$1
	shift
	run_bounded --separate-stderr "$SETLASTPID" "$@"
	if [ "$status" != "$want" ]; then
		printf 'setlastpid %s: status %s, want %s; stderr: %s\n' "$*" "$status" "$want" "$stderr" >&2
		return 1
	fi
	assert_one_error_line
	[ -z "$output" ] || { echo "stdout not empty: $output" >&2; return 1; }
}

@test "malformed VECTORs: 64, one line, nothing changed" {
	local ns="/proc/$NEST/ns/pid" vector
	local -a vectors=(
		"" "," ",," "1,," ",1" "1,,2"
		"-1" "+1" "1,-2" "- 1" "--1"
		"0x10" "0X10" "0b1" "1e3" "1.0" "1_000" "1'000"
		"07" "0007" "00"
		" 1" "1 " "1, 2" $'1\t2' $'1\n' $'\n1'
		"2147483648" "4294967296" "18446744073709551616" "99999999999999999999999"
		"1,2147483648"
		"١٢٣" "１２" "1;2" "1:2" "1 2" "a" "$(seq -s, 1 33)" "$(seq -s, 1 1000)"
	)
	for vector in "${vectors[@]}"; do
		hostile 64 --ns "$ns" -- "$vector"
	done
	assert_unchanged
}

@test "an argument near the kernel's 128 KiB limit: 64, and quoted short" {
	local long
	long=$(printf '1,%.0s' {1..65000})1	# 130001 bytes
	hostile 64 --ns "/proc/$NEST/ns/pid" "$long"
	[ "${#stderr}" -lt 300 ]
	long=$(printf '9%.0s' {1..131000})
	hostile 64 --ns "/proc/$NEST/ns/pid" "$long"
	assert_unchanged
}

@test "--ns that is no pid namespace of ours: directory, FIFO, /dev/null, socket, other types" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	# perl-base is Essential on Debian, python3 is not even in a minbase root
	perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Local => $ARGV[0]) or die "socket: $!\n"' \
		"$BATS_TEST_TMPDIR/socket"
	local path
	for path in / /proc/self/ns "$BATS_TEST_TMPDIR/fifo" /dev/null /dev/zero \
		"$BATS_TEST_TMPDIR/socket" /proc/self/ns/net /proc/self/ns/mnt /proc/self/ns/user \
		/proc/self/ns/uts /proc/self/ns/ipc /proc/self/ns/cgroup /proc/self/status; do
		# a kernel without some namespace type (the guest's) has no such file
		[ -e "$path" ] || [[ $path != /proc/self/ns/* ]] || continue
		hostile 65 --ns "$path" 1
	done
	assert_unchanged
}

@test "--ns of a process that has exited, or never was: 66" {
	local pid
	sleep 0 & pid=$!
	wait "$pid"
	hostile 66 --ns "/proc/$pid/ns/pid" 1
	hostile 66 --ns /proc/0/ns/pid 1
	hostile 66 --ns "" 1
	assert_unchanged
}

@test "--ns /proc/self/ns/pid_for_children where it differs from pid: that namespace is the target" {
	# In a process that unshared a pid namespace but has no child yet
	# there, pid_for_children is that new, empty namespace: it has no init
	# yet, so the file cannot even be opened.
	run_bounded -66 --separate-stderr unshare --pid -- "$SETLASTPID" --ns /proc/self/ns/pid_for_children 5
	assert_one_error_line "cannot open /proc/self/ns/pid_for_children"
	# nsenter --pid sets pid_for_children to the nest, and setlastpid
	# sets the nest's counter through it.
	run_bounded -0 nsenter --target "$NEST" --pid --no-fork -- \
		"$SETLASTPID" --method=sysctl --ns /proc/self/ns/pid_for_children 600
	assert_next "$NEST" "601"
}
