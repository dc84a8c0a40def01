#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion (SETLASTPID_COMPLETION), with bash-completion's own
# framework: the candidates for a command line, as readline would ask.
# The options and the methods are checked against what setlastpid
# itself says, so that the completion cannot fall behind it.

load helpers

SETLASTPID_COMPLETION=${SETLASTPID_COMPLETION:-bash-completion/setlastpid}
BASH_COMPLETION=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}

setup() {
	[ -r "$BASH_COMPLETION" ] || skip "needs bash-completion's $BASH_COMPLETION (package bash-completion)"
	DIR=$BATS_TEST_TMPDIR
}

# In a bash of its own: bash-completion, then ours, with setlastpid (the
# one under test) first in PATH; LINE split into words as readline does
# (at blanks, and "=" a word of its own), the cursor at its end; the
# candidates, sorted, one a line.
COMPLETE='
. "$1" && . "$2" || exit 1
PATH=${3%/*}:$PATH
line=$4
compopt() { :; } # it refuses outside a completion readline started
words=()
read -ra raw <<<"$line"
for word in "${raw[@]}"; do
	while [[ $word == *=* ]]; do
		[ -z "${word%%=*}" ] || words+=("${word%%=*}")
		words+=("=")
		word=${word#*=}
	done
	[ -z "$word" ] || words+=("$word")
done
[[ $line != *" " ]] || words+=("")
COMP_WORDS=("${words[@]}")
COMP_CWORD=$((${#words[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMPREPLY=()
_setlastpid setlastpid "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf "%s\n" "${COMPREPLY[@]}" | sort -u
'

# candidates LINE: its candidates in output, one a line.
candidates() {
	run_bounded -0 bash --norc --noprofile -c "$COMPLETE" bash \
		"$BASH_COMPLETION" "$SETLASTPID_COMPLETION" "$SETLASTPID" "$1"
	output=$(grep -v '^$' <<<"$output" || true)
}

# assert_candidates LINE WANT...: exactly these.
assert_candidates() {
	local line=$1 want
	shift
	candidates "$line"
	want=$(printf '%s\n' "$@" | sort -u | grep -v '^$' || true)
	if [ "$output" != "$want" ]; then
		printf 'setlastpid completes "%s" with:\n%s\nwant:\n%s\n' "$line" "$output" "$want" >&2
		return 1
	fi
}

# assert_offers LINE WORD: WORD among its candidates.
assert_offers() {
	candidates "$1"
	grep -qxF -- "$2" <<<"$output" ||
		{ printf '"%s" does not offer %s, but:\n%s\n' "$1" "$2" "$output" >&2; return 1; }
}

# assert_not_offers LINE WORD: WORD not among them.
assert_not_offers() {
	candidates "$1"
	if grep -qxF -- "$2" <<<"$output"; then
		printf '"%s" offers %s:\n%s\n' "$1" "$2" "$output" >&2
		return 1
	fi
}

@test "--me: --method=" {
	assert_candidates "setlastpid --me" --method=
	assert_candidates "setlastpid --dry-run --ns=/proc/1/ns/pid --con" --connect=
}

@test "--: the long options setlastpid --help lists, no other" {
	local help
	# argp's option column: "  -m, --method=METHOD" or "      --lock"
	help=$("$SETLASTPID" --help | sed -n 's/^  \(-[^ ], \|    \)\(--[a-z][a-z-]*=\{0,1\}\).*/\2/p')
	[ "$(grep -c '' <<<"$help")" -ge 15 ]
	# shellcheck disable=SC2086 # one option a word
	assert_candidates "setlastpid --" $help
}

@test "--method=, --method, -m: the methods setlastpid takes, no other" {
	local methods
	# setlastpid: invalid --method 'none': give auto, ioctl, sysctl or spin
	methods=$("$SETLASTPID" --method=none 1 2>&1 | sed -n "s/.*invalid --method 'none': give //p" |
		sed 's/, / /g; s/ or / /')
	[ -n "$methods" ]
	# shellcheck disable=SC2086 # one method a word
	assert_candidates "setlastpid --method=" $methods
	# shellcheck disable=SC2086
	assert_candidates "setlastpid --method " $methods
	# shellcheck disable=SC2086
	assert_candidates "setlastpid -n -m " $methods
	assert_candidates "setlastpid --method=sy" sysctl
	assert_candidates "setlastpid -vm s" spin sysctl
}

@test "--ns /proc/PID/ns/p: that process's pid namespace file alone" {
	assert_candidates "setlastpid --ns /proc/$$/ns/p" "/proc/$$/ns/pid"
	assert_candidates "setlastpid --ns=/proc/$$/ns/p" "/proc/$$/ns/pid"
	assert_candidates "setlastpid --get --ns /proc/sel" /proc/self/ns/pid
}

@test "--ns /proc/: every process's pid namespace file" {
	assert_offers "setlastpid --ns /proc/" "/proc/$$/ns/pid"
	assert_offers "setlastpid --ns /proc/" /proc/1/ns/pid
	if grep -vxE '/proc/(self|[0-9]+)/ns/pid' <<<"$output"; then
		echo "not a pid namespace file, above" >&2
		false
	fi
}

@test "--ns elsewhere, --serve, --connect: files" {
	touch "$DIR/nest-ns" "$DIR/sock"
	assert_candidates "setlastpid --ns $DIR/nest" "$DIR/nest-ns"
	assert_candidates "setlastpid --serve=$DIR/so" "$DIR/sock"
	assert_candidates "setlastpid --connect $DIR/so" "$DIR/sock"
}

@test "--socket-group: groups" {
	assert_offers "setlastpid --serve=/run/s --socket-group=ro" root
	assert_offers "setlastpid --serve=/run/s --socket-group " root
	local group
	for group in $output; do
		getent group "$group" >/dev/null || { echo "no group $group" >&2; return 1; }
	done
}

@test "COMMAND, after VECTOR and an optional --: a command, completed as such" {
	assert_offers "setlastpid 100,50 ech" echo
	assert_offers "setlastpid --ns /proc/1/ns/pid -m sysctl 100 -- ech" echo
	assert_offers "setlastpid --connect=/run/s 100 ech" echo
	assert_offers "setlastpid --method=sysctl --ns=/proc/1/ns/pid 100 -- ech" echo
	# an option's argument is no VECTOR, whatever the option
	assert_offers "setlastpid --max-spin 5 --socket-mode 0600 --lock 100 ech" echo
	assert_not_offers "setlastpid --max-spin 5 ech" echo
	# its own arguments by its own completion: setlastpid's, here
	assert_candidates "setlastpid --exact 100 setlastpid --me" --method=
	assert_candidates "setlastpid 100 -- setlastpid -m sp" spin
	# options end at VECTOR: this --me is COMMAND's
	assert_not_offers "setlastpid 100 sh --me" --method=
}

@test "VECTOR, --get, --max-spin, --socket-mode: nothing to offer" {
	assert_candidates "setlastpid 1"
	assert_candidates "setlastpid -m sysctl 10"
	assert_candidates "setlastpid --get "
	assert_candidates "setlastpid --max-spin="
	assert_candidates "setlastpid --serve=/run/s --socket-mode "
}
