#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# The command line: options, VECTOR syntax, diagnostics and exit statuses
# that need no nest to show.

load helpers

@test "--help names every option, VECTOR's order and the exit statuses" {
	run_bounded -0 "$SETLASTPID" --help
	for want in --ns=PATH --method=METHOD --dry-run --verbose --help --usage --version \
		'innermost namespace' 'first' '64' '65' '66' '69' '71' '77' 'setlastpid(8)'; do
		[[ $output == *"$want"* ]] || { echo "--help lacks '$want'" >&2; false; }
	done
}

@test "--version and --usage" {
	run_bounded -0 "$SETLASTPID" --version
	[[ $output == "setlastpid 1.0" ]]
	run_bounded -0 "$SETLASTPID" -V
	[[ $output == "setlastpid 1.0" ]]
	run_bounded -0 "$SETLASTPID" --usage
	[[ $output == *"[--ns=PATH]"*"VECTOR"* ]]
}

@test "exit 64: no VECTOR" {
	run_bounded -64 --separate-stderr "$SETLASTPID"
	assert_stderr_is "setlastpid: missing VECTOR: give the last pids, innermost first, e.g. setlastpid 100,50,7"
	[ -z "$output" ]
}

@test "exit 64: each malformed VECTOR, with one line that says what is wrong" {
	run_bounded -64 --separate-stderr "$SETLASTPID" --dry-run ""
	assert_stderr_is "setlastpid: invalid VECTOR '': VECTOR is empty (give decimal pids separated by commas, innermost first, e.g. 100,50,7)"
	local -A why=(
		["1,,2"]="value 2 is empty"
		["1,"]="value 2 is empty"
		[",1"]="value 1 is empty"
		["-1"]="value 1 starts with '-'"
		["+5"]="value 1 starts with '+'"
		["1, 2"]="value 2 starts with ' '"
		["1 "]="value 1 contains ' '"
		["0x10"]="value 1 contains 'x'"
		["12a"]="value 1 contains 'a'"
		["007"]="value 1 has a leading zero; write 7"
		["2147483648"]="value 1 is larger than 2147483647"
		["1,18446744073709551616"]="value 2 is larger than 2147483647"
	)
	local vector
	for vector in "${!why[@]}"; do
		run_bounded -64 --separate-stderr "$SETLASTPID" --dry-run -- "$vector"
		assert_stderr_is "setlastpid: invalid VECTOR '$vector': ${why[$vector]} (give decimal pids separated by commas, innermost first, e.g. 100,50,7)"
	done
}

@test "exit 64: 33 values, one more than the deepest nest" {
	run_bounded -64 --separate-stderr "$SETLASTPID" --dry-run "$(seq -s, 1 33)"
	assert_one_error_line "VECTOR has more than 32 values"
	run_bounded -0 "$SETLASTPID" --dry-run --method=sysctl --ns /proc/self/ns/pid "$(seq -s, 1 1)"
}

@test "exit 64: a VECTOR near the kernel's 128 KiB argument limit is quoted short" {
	local long
	long=$(printf '1%.0s' {1..131000})
	run_bounded -64 --separate-stderr "$SETLASTPID" "$long"
	assert_one_error_line "value 1 is larger than 2147483647"
	[ "${#stderr}" -lt 300 ]
}

@test "exit 64: bad --method, unknown option, --exact without COMMAND" {
	run_bounded -64 --separate-stderr "$SETLASTPID" --method=fast 1
	assert_stderr_is "setlastpid: invalid --method 'fast': give auto, ioctl, sysctl or spin"
	run_bounded -64 --separate-stderr "$SETLASTPID" --bogus 1
	assert_stderr_is "setlastpid: unrecognized option '--bogus'; see setlastpid --help"
	# getopt's words, as one line
	run_bounded -64 --separate-stderr "$SETLASTPID" -Q 1
	assert_stderr_is "setlastpid: invalid option -- 'Q'; see setlastpid --help"
	run_bounded -64 --separate-stderr "$SETLASTPID" --ns
	assert_stderr_is "setlastpid: option '--ns' requires an argument; see setlastpid --help"
	run_bounded -64 --separate-stderr "$SETLASTPID" --ver 1
	assert_stderr_is "setlastpid: option '--ver' is ambiguous: give more of its name; see setlastpid --help"
	run_bounded -64 --separate-stderr "$SETLASTPID" --dry-run=yes 1
	assert_stderr_is "setlastpid: option '--dry-run' doesn't allow an argument; see setlastpid --help"
	# glibc argp's hidden options are not ours: --HANG would sleep an hour
	run_bounded -64 --separate-stderr "$SETLASTPID" --HANG=1 1
	assert_stderr_is "setlastpid: unrecognized option '--HANG=1'; see setlastpid --help"
	run_bounded -64 --separate-stderr "$SETLASTPID" --program-name=other 1
	run_bounded -64 --separate-stderr "$SETLASTPID" --exact 1
	assert_stderr_is "setlastpid: --exact creates a process: give it, as in setlastpid --exact VECTOR -- COMMAND"
	run_bounded -64 --separate-stderr "$SETLASTPID" --exact --method=spin 1 -- true
	assert_stderr_is "setlastpid: --exact sets no counter, it creates COMMAND at its pids with clone3(): drop --method, or drop --exact"
}

@test "exit 66: --ns does not exist" {
	run_bounded -66 --separate-stderr "$SETLASTPID" --ns /nonexistent/ns/pid 1
	assert_stderr_is "setlastpid: cannot open /nonexistent/ns/pid: No such file or directory"
}

@test "exit 66: --ns of a process that has exited" {
	local pid
	sleep 0 & pid=$!
	wait "$pid"
	run_bounded -66 --separate-stderr "$SETLASTPID" --ns "/proc/$pid/ns/pid" 1
	assert_one_error_line "cannot open /proc/$pid/ns/pid"
}

@test "exit 65: --ns is another type of namespace, and says which" {
	run_bounded -65 --separate-stderr "$SETLASTPID" --ns /proc/self/ns/net 1
	assert_stderr_is "setlastpid: /proc/self/ns/net is a net namespace, not a pid namespace: give /proc/PID/ns/pid"
	run_bounded -65 --separate-stderr "$SETLASTPID" --ns /proc/self/ns/user 1
	assert_one_error_line "is a user namespace, not a pid namespace"
}

@test "exit 65: --ns is no namespace file: a regular file, /dev/null, a directory, a FIFO" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	local path
	for path in /etc/passwd /dev/null /proc "$BATS_TEST_TMPDIR/fifo"; do
		run_bounded -65 --separate-stderr "$SETLASTPID" --ns "$path" 1
		assert_stderr_is "setlastpid: $path is not a namespace file: give /proc/PID/ns/pid"
	done
}

@test "exit 65: more levels than are visible from the caller" {
	run_bounded -65 --separate-stderr "$SETLASTPID" --dry-run 10,20
	assert_stderr_is "setlastpid: the vector has 2 values but /proc/self/ns/pid is 1 level deep as seen from here: give at most 1"
}

@test "exit 71: a system error, named with the call that failed" {
	# Four descriptors: enough to load the program and open --ns, not to
	# read pid_max beside it (nor, in a real run, to open ns_last_pid).
	run_bounded -71 --separate-stderr bash -c 'for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; ulimit -n 4 && exec "$0" --dry-run --ns /proc/self/ns/pid 1' "$SETLASTPID"
	assert_stderr_is "setlastpid: cannot open /proc/sys/kernel/pid_max: Too many open files"
}

@test "exit 71: a write error on standard output is not silence" {
	run_bounded -71 --separate-stderr bash -c '"$0" --dry-run --method=sysctl 1 >/dev/full' "$SETLASTPID"
	assert_stderr_is "setlastpid: write error on standard output: No space left on device"
}

@test "options end at VECTOR: everything after it is COMMAND's, -- or not" {
	requires userns
	# a pid namespace of the test's own, where pid 6 is free for COMMAND
	run_bounded -0 unshare --user --map-root-user --pid --fork -- \
		"$SETLASTPID" --dry-run --method=sysctl 5 ls -v --verbose
	[ "${#lines[@]}" = 2 ]
	[[ ${lines[0]} == "would set level 0 pid:["*"] to 5 via sysctl" ]]
	[ "${lines[1]}" = "would run ls" ]
	run_bounded -0 unshare --user --map-root-user --pid --fork -- \
		"$SETLASTPID" --dry-run --method=sysctl 5 -- sh -c 'echo hi'
	[ "${lines[1]}" = "would run sh" ]
	# an option after VECTOR is COMMAND, not an unknown option of ours (64):
	# looked up as a command, and not found, as the real run would
	run_bounded -127 --separate-stderr unshare --user --map-root-user --pid --fork -- \
		"$SETLASTPID" --dry-run --method=sysctl 5 --bogus
	assert_stderr_is "setlastpid: cannot run --bogus: No such file or directory"
}

@test "--help names no placeholder address for bugs" {
	run_bounded -0 "$SETLASTPID" --help
	[[ $output != *"Report bugs"* && $output != *example.org* ]]
}

@test "--help, the man page and the README tell the same exit statuses" {
	local help man readme status word
	run_bounded -0 "$SETLASTPID" --help
	help=${output#*Exit status: }
	help=${help%%See setlastpid*}
	command -v mandoc >/dev/null || skip "needs mandoc"
	# the page as man shows it, overstrikes removed
	man=$(mandoc -Tascii "$TESTS_SRCDIR/../man/setlastpid.8" | sed 's/.\x08//g' |
		sed -n '/^EXIT STATUS/,/^EXAMPLES/p')
	readme=$(sed -n '/^Exit status$/,$p' "$TESTS_SRCDIR/../README")
	# what each status must be said to be about, in all three
	local -A about=(
		[64]="command line" [65]="pid_max" [66]="--ns" [71]="system error"
		[75]="COMMAND" [77]="not permitted" [126]="" [127]=""
	)
	for status in "${!about[@]}"; do
		for text in "$help" "$man" "$readme"; do
			[[ $text =~ (^|[^0-9])${status}[^0-9] ]] ||
				{ echo "status $status missing from: ${text:0:80}..." >&2; return 1; }
		done
	done
	# 69: each kind of missing kernel support, in all three
	for word in NS_SET_LAST_PID_VEC ns_last_pid clone3 --exact; do
		for text in "$help" "$man" "$readme"; do
			[[ ${text#*69} == *"$word"* ]] ||
				{ echo "69 does not name $word in: ${text:0:80}..." >&2; return 1; }
		done
	done
	# and no status in one that the others lack
	for text in "$help" "$man" "$readme"; do
		for status in $(grep -oE '(^|[^0-9])(6[0-9]|7[0-9]|12[67])([^0-9]|$)' <<<"$text" | tr -dc '0-9\n' | sort -u); do
			[ -n "${about[$status]+set}" ] || [ "$status" = 69 ] ||
				{ echo "status $status is documented in only some places" >&2; return 1; }
		done
	done
}

@test "--help says each option whole, and the spin's default time as the man page does" {
	run_bounded -0 "$SETLASTPID" --help
	# an option's text ends a sentence, never mid-way ("refused before the first")
	[[ $output == *"refused before the first task is created"* ]]
	local said
	said=$(tr -s ' \n' '  ' <<<"$output" | grep -o 'about [0-9]* s at [0-9,]* tasks a second')
	[ -n "$said" ]
	tr -s ' \n' '  ' <"$TESTS_SRCDIR/../man/setlastpid.8" | grep -q "$said"
}
