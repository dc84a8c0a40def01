#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# -J, --json: the report of a set, a dry run, --get and a failure as one
# JSON document on stdout, read here with jq as a restorer in Go or Rust
# would read it (setlastpid(8), JSON OUTPUT), never with grep.

load helpers

setup() {
	requires root
	command -v jq >/dev/null || skip "needs jq"
}

teardown() {
	nest_destroy_all
}

# jqr FILTER: FILTER on the last run's stdout, which must be one JSON document
jqr() {
	jq -er "$1" <<<"$output"
}

# ino_of PATH: the inode of a namespace file, as the document gives it
ino_of() {
	stat -L -c %i "$1"
}

@test "--get --json: every level seen, innermost first, its namespace, value and pid_max" {
	nest_create 3
	local plain
	plain=$("$SETLASTPID" --ns "/proc/$NEST/ns/pid" --get)
	run_bounded -0 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" --get --json
	[ "$(jqr '.levels | length')" = 4 ]	# three of the nest's, the test's own
	[ "$(jqr '[.levels[].level] | map(tostring) | join(",")')" = 0,1,2,3 ]
	[ "$(jqr '[.levels[].action] | unique | join(",")')" = read ]
	[ "$(jqr '.levels[0].ns')" = "$(ino_of "/proc/$NEST/ns/pid")" ]
	[ "$(jqr '.levels[3].ns')" = "$(ino_of /proc/self/ns/pid)" ]
	[ "$(jqr '.levels[3].pid_max')" = "$(pid_max)" ]
	jqr '.levels | all(.pid_max > 0)' >/dev/null
	# the values are --get's, each moved on by the tasks reading them since
	local -a before
	IFS=, read -r -a before <<<"$plain"
	local i
	for i in 0 1 2; do
		(($(jqr ".levels[$i].value") > before[i])) || { echo "level $i: not past ${before[i]}" >&2; false; }
	done
	[ -z "$stderr" ]
}

@test "--dry-run --json and --verbose --json: the plan per level, the real run's values" {
	nest_create 3
	remember_levels
	run_bounded -0 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" -n -J 300,200,100
	[ "$(jqr .dry_run)" = true ]
	[ "$(jqr .method)" = sysctl ]
	[ "$(jqr '[.levels[].value] | map(tostring) | join(",")')" = 300,200,100 ]
	[ "$(jqr '[.levels[].action] | unique | join(",")')" = set ]
	[ "$(jqr '[.levels[].ns] | unique | length')" = 3 ]
	[ "$(jqr '.levels[0].ns')" = "$(ino_of "/proc/$NEST/ns/pid")" ]
	# the probe, and on 6.14+ a task per level to read pid_max and the dry run's helpers
	assert_moved "1..8 1..8 1..8"
	run_bounded -0 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" --json 300,200,100
	[ "$(jqr .dry_run)" = false ]
	[ "$(jqr '[.levels[].value] | map(tostring) | join(",")')" = 300,200,100 ]
	assert_next "$NEST" "301 201 101"
	# --verbose adds nothing to the document, and no text beside it
	run_bounded -0 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" -v --json 400,300,200
	[ "$(jqr '.levels | length')" = 3 ]
	assert_next "$NEST" "401 301 201"
}

@test "--json with COMMAND: the document, one line, beside COMMAND's own output" {
	nest_create 1
	run_bounded -0 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" --json 700 -- \
		"${OWN_PIDS[@]}"
	[ "${#lines[@]}" = 2 ]
	local doc pids line
	doc=$(jq -cR 'fromjson? // empty' <<<"$output")
	for line in "${lines[@]}"; do
		[ "$line" = "$doc" ] || pids=$line
	done
	[ "$(jq -er .command <<<"$doc")" = awk ]
	[ "$(jq -er '.levels[0].value' <<<"$doc")" = 700 ]
	[ "${pids%% *}" = 701 ]
	run_bounded -0 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" --json -n 800 -- true
	[ "$(jqr .dry_run)" = true ] && [ "$(jqr .command)" = true ]
	[ "${#lines[@]}" = 1 ]
}

@test "--at-least --json: each level set or left, with the floor asked" {
	nest_create 2
	run_bounded -0 "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 500,500
	run_bounded -0 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" --at-least -J 100,900
	[ "$(jqr '.levels[0].action')" = left ]
	[ "$(jqr '.levels[0].at_least')" = 100 ]
	(($(jqr '.levels[0].value') >= 500))
	[ "$(jqr '.levels[1].action')" = set ]
	[ "$(jqr '.levels[1].value')" = 900 ]
}

@test "--json on a failure: status, code, level and message in the document; the line on stderr" {
	nest_create 2
	local ino
	ino=$(ino_of "/proc/$NEST/ns/pid")
	remember_levels
	run_bounded -65 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" --json 5000000,1
	assert_one_error_line
	[ "$(jqr .error.status)" = 65 ]
	[ "$(jqr .error.code)" = range ]
	[ "$(jqr .error.level)" = 0 ]
	[ "$(jqr .error.ns)" = "$ino" ]
	[ "$(jqr .error.undo)" = none ]
	[ "setlastpid: $(jqr .error.message)" = "$stderr" ]
	assert_moved "1..3 1..3"
	# the dry run's document is the real run's
	local real=$output
	run_bounded -65 --separate-stderr "$SETLASTPID" --ns "/proc/$NEST/ns/pid" -n --json 5000000,1
	[ "$output" = "$real" ]
	# a system error names its errno
	run_bounded -66 --separate-stderr "$SETLASTPID" --ns "/nonexistent/$(printf 'a\001b')" -J 1
	[ "$(jqr .error.code)" = target-missing ]
	[ "$(jqr .error.errno_name)" = ENOENT ]
	[ "$(jqr .error.level)" = null ]
	[[ $(jqr .error.message) == *$'a\001b'* ]]
}

@test "--json: usage errors are one line on stderr and no document; a server reports no levels" {
	local args
	for args in "--json" "--json --connect=@x 1" "--json --serve=@x" "-J --bogus 1"; do
		# shellcheck disable=SC2086 # each case is words
		run_bounded -64 --separate-stderr "$SETLASTPID" $args
		assert_one_error_line
		[ -z "$output" ]
	done
	run_bounded -64 --separate-stderr "$SETLASTPID" --json --connect=@x 1
	assert_stderr_is "setlastpid: --json reports the levels this process sets or reads, and a server tells none: drop --json or --connect"
}

@test "--json: a failure's status stands when its document is lost; UTF-8 in a message stays UTF-8" {
	run_bounded -66 --separate-stderr sh -c '"$1" -J --ns /nonexistent 5 >/dev/full' sh "$SETLASTPID"
	[[ $stderr == *"write error on standard output"*"the failure's document is lost"* ]]
	run_bounded -66 --separate-stderr "$SETLASTPID" -J --ns "/nonexistent/é$(printf '\377')" 5
	[ "$(jqr .error.message)" = "cannot open /nonexistent/é"$'\uFFFD'": No such file or directory" ]
}
