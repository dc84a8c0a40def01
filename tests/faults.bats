#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# The promise under faults: exit 0 means every level was set (and COMMAND
# ran at exactly VECTOR + 1); a run that exits non-zero changed no level
# and ran no COMMAND. Each fault is injected into a real run on a nest of
# the test's own: short memory and descriptors (prlimit), a pids cgroup,
# strace's counted fault injection, a seccomp filter (faults/seccomp-run),
# signals at set times (faults/signal-at), a full or closed stdout. Every
# run is judged by assert_all_or_nothing; counts go to the TAP stream as
# comments.

load helpers

# A failure's documented statuses; 0 is judged apart.
DOCUMENTED="64 65 66 69 71 75 77"
# Every level of a trial's VECTOR is this far from where the level is, so
# that a level set and a level left alone (but for the pids that helpers
# took, at most SLACK) cannot be taken for each other.
FAR=3000
SLACK=70
# No run of setlastpid may take longer than this, whatever the fault.
RUN_TIMEOUT=(timeout -k 5 20)

setup() {
	requires root
	CGROUP=
	SIBLINGS=()
	MARKER=
	STATUSES=$DOCUMENTED
	COMMAND_STATUSES=
	TRIAL=
}

teardown() {
	kill_and_reap "${SIBLINGS[@]}"
	cgroup_remove
	nest_destroy_all
}

in_initial_pidns() {
	[ "$(grep NSpid /proc/self/status | wc -w)" = 2 ]
}

needs_strace() {
	command -v strace >/dev/null || skip "needs strace"
}

needs_seccomp_run() {
	[ -n "${SECCOMP_RUN:-}" ] && [ -x "$SECCOMP_RUN" ] ||
		skip "needs tests/faults/seccomp-run (libseccomp-dev at configure time)"
}

needs_signal_at() {
	[ -n "${SIGNAL_AT:-}" ] && [ -x "$SIGNAL_AT" ] || skip "needs tests/faults/signal-at (make check builds it)"
}

# The tests that aim at one helper by the length of its write give it a
# 5-digit value and the others 3 digits.
needs_5_digit_pids() {
	[ "${NEST_PID_MAX:-$(pid_max)}" -ge 22000 ] || skip "needs pid_max of 22000 or more (it is ${NEST_PID_MAX:-$(pid_max)})"
}

# nest_make DEPTH: nest_create, and the pid of each level's init as the
# test sees it, innermost first, in LEVEL_INIT (LEVEL_INIT[0] is NEST).
nest_make() {
	nest_create "$1"
	local outer=${NEST_KILL[-1]} pid=$NEST i
	LEVEL_INIT=()
	for ((i = 0; i < $1; i++)); do
		LEVEL_INIT+=("$pid")
		pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
	done
	[ "$pid" = "$outer" ] || { echo "nest_make: level inits end at $pid, not at unshare $outer" >&2; return 1; }
	# Linux 6.14+: each level has a pid_max of its own, from its parent's
	# when it was made; the lowest, the caller's included, bounds VECTOR
	NEST_PID_MAX=$(pid_max)
	for pid in "${LEVEL_INIT[@]}"; do
		local max
		max=$(nsenter --target "$pid" --pid cat /proc/sys/kernel/pid_max)
		((max < NEST_PID_MAX)) && NEST_PID_MAX=$max
	done
	return 0
}

# helpers_in_nest: processes alive in any level of the nest but its inits.
helpers_in_nest() {
	local -A level_ns=()
	local pid ns count=0
	for pid in "${LEVEL_INIT[@]}"; do
		level_ns[$(readlink "/proc/$pid/ns/pid")]=1
	done
	while read -r ns; do
		[ -n "${level_ns[$ns]:-}" ] && count=$((count + 1))
	done < <(readlink /proc/[0-9]*/ns/pid 2>/dev/null)
	echo $((count - ${#LEVEL_INIT[@]}))
}

# far_vector [N]: a VECTOR for the N innermost levels (all by default),
# each value FAR from where remember_levels found the level.
far_vector() {
	local -a before
	read -r -a before <<<"$BEFORE"
	local n=${1:-${#before[@]}} max=${NEST_PID_MAX:-$(pid_max)} far i out=()
	far=$((max / 3 < FAR ? max / 3 : FAR))
	for ((i = 0; i < n; i++)); do
		if ((before[i] + far + SLACK + 10 < max)); then
			out+=($((before[i] + far)))
		else
			out+=($((before[i] - far)))
		fi
	done
	local IFS=,
	echo "${out[*]}"
}

# marker_command: COMMAND for a trial, in COMMAND_ARGS: it writes its own
# NSpid (outermost first) to MARKER with shell builtins only, so that it
# takes no pid but its own. MARKER exists if and only if COMMAND ran.
marker_command() {
	MARKER=$BATS_TEST_TMPDIR/ran
	rm -f "$MARKER"
	# shellcheck disable=SC2016 # for sh -c
	# exec's redirections: a redirection of a compound command would save
	# the descriptor at 10 or above, which a low fd limit refuses
	COMMAND_ARGS=(-- sh -c 'exec </proc/self/status >"$1"; while read -r key rest; do [ "$key" = NSpid: ] && echo $rest; done; exit 0' sh "$MARKER")
}

# in_list WORD LIST
in_list() {
	[[ " $2 " == *" $1 "* ]]
}

# assert_all_or_nothing VECTOR: judge a run that was asked VECTOR on the
# nest (bats' $status, $output, $stderr; BEFORE from remember_levels;
# MARKER set when it had COMMAND; DRY_RUN or EXACT set for those runs).
# It passes when either
#  - status 0, and every level named is exact: the next process there gets
#    VECTOR + 1; with COMMAND, COMMAND ran with VECTOR + 1 (its NSpid) and
#    nothing came after it (the next process gets VECTOR + 2); with
#    --exact, COMMAND ran with VECTOR + 1 and no counter moved; a dry run
#    changed nothing; or
#  - status non-zero, one of STATUSES, COMMAND did not run, stdout claims
#    no level set, and every level is where it was but for at most SLACK
#    pids taken by helpers; or
#  - with COMMAND, a status in COMMAND_STATUSES that is COMMAND's own
#    (a signal that reached it too, a shell that failed): COMMAND was
#    created as the next process (the next gets VECTOR + 2; with --exact,
#    no counter moved).
# Levels above those named may only have moved by helpers' pids.
# Sets OUTCOME: set, command (COMMAND's own status) or unchanged; AFTER:
# the next pids innermost first, as its probe found them (one pid on).
assert_all_or_nothing() {
	local vector=$1 i n a b
	local -a want before after ran=()
	IFS=, read -r -a want <<<"$vector"
	read -r -a before <<<"$BEFORE"
	AFTER=$(probe_levels "$NEST")
	LAST_AFTER=$AFTER
	read -r -a after <<<"$AFTER"
	n=${#want[@]}
	local set=0 unchanged=0 created=0 odd=()
	for ((i = 0; i < ${#after[@]}; i++)); do
		a=${after[i]} b=${before[i]:-0}
		if ((i >= n)); then
			((a >= b + 1 && a <= b + 2 + SLACK)) || odd+=("level $i (not named) moved from $b to $a")
		elif [ -z "$MARKER" ] && ((a == want[i] + 1)); then
			set=$((set + 1))
		elif [ -n "$MARKER" ] && ((a == want[i] + 2)); then
			created=$((created + 1))
		elif ((a >= b + 1 && a <= b + 1 + SLACK)); then
			unchanged=$((unchanged + 1))
		else
			odd+=("level $i: next $a, was $b, VECTOR says ${want[i]}")
		fi
	done
	local exists=no
	if [ -n "$MARKER" ] && [ -e "$MARKER" ]; then
		exists=yes
		local -a outer_first=()
		read -r -a outer_first <"$MARKER" || true	# empty: it died before it wrote
		for ((i = ${#outer_first[@]} - 1; i >= 0; i--)); do
			ran+=("${outer_first[i]}")
		done
	fi
	# what COMMAND's creation leaves: the counters at VECTOR + 2, or with --exact untouched
	local command_made=no
	if [ -n "$MARKER" ] && { [ "$created" = "$n" ] || { [ -n "${EXACT:-}" ] && [ "$unchanged" = "$n" ]; }; }; then
		command_made=yes
	fi
	local why=
	if [ "${#odd[@]}" -gt 0 ]; then
		why="a level is neither set nor as it was: ${odd[*]}"
	elif [ "$status" = 0 ] && [ -n "${DRY_RUN:-}" ]; then
		OUTCOME="unchanged"
		[ "$unchanged" = "$n" ] || why="a dry run, but $((n - unchanged)) of $n levels changed"
		[ "$exists" = no ] || why="a dry run, but COMMAND ran"
	elif [ "$status" = 0 ] && [ -z "$MARKER" ]; then
		OUTCOME="set"
		[ "$set" = "$n" ] || why="exit 0, but only $set of $n levels set ($unchanged as they were)"
	elif [ "$status" = 0 ]; then
		OUTCOME="set"
		# (COMMAND may have run and not said its pids: strace's faults follow it too)
		if [ "$exists" = no ]; then
			why="exit 0, but COMMAND did not run"
		elif [ "$command_made" = no ]; then
			why="exit 0, but COMMAND was not the next process at every level ($created of $n)"
		fi
	elif [ -n "$MARKER" ] && in_list "$status" "$COMMAND_STATUSES" && [ "$command_made" = yes ] &&
		{ [ -z "${EXACT:-}" ] || [ "$exists" = yes ] || [ -z "$stderr" ] || [[ $stderr != "setlastpid: "* ]]; }; then
		OUTCOME="command"	# COMMAND's own status
	else
		OUTCOME="unchanged"
		if ! in_list "$status" "$STATUSES" && ! loader_failed; then
			why="status $status is none of those allowed here ($STATUSES)"
		elif [ "$unchanged" != "$n" ]; then
			why="status $status, but $((n - unchanged)) of $n levels changed"
		elif [ "$exists" = yes ]; then
			why="status $status, but COMMAND ran"
		elif grep -q '^set level' <<<"$output"; then
			why="status $status, but stdout claims a level set"
		fi
	fi
	if [ -z "$why" ] && [ "${#ran[@]}" -gt 0 ]; then
		for ((i = 0; i < n; i++)); do
			[ "${ran[i]:-}" = $((want[i] + 1)) ] && continue
			why="COMMAND ran with pids '${ran[*]}' innermost first, not VECTOR + 1 at level $i"
			break
		done
	fi
	[ -z "$why" ] && return 0
	printf 'not all or nothing: %s\n  run: %s\n  VECTOR %s\n  next pids innermost first before: %s\n  after: %s\n  status %s\n  stdout: %s\n  stderr: %s\n' \
		"$why" "$TRIAL" "$vector" "$BEFORE" "${after[*]}" "$status" "$output" "$stderr" >&2
	return 1
}

# trial [-c] [-n N] [INJECTOR...] -- [OPTION...]: one run of setlastpid
# OPTIONS --ns NEST VECTOR (far from every level; the N innermost levels,
# all by default) under INJECTOR (prlimit, strace, seccomp-run,
# nsenter... or nothing), with COMMAND if -c; judged by
# assert_all_or_nothing. VECTOR is left in VECTOR.
trial() {
	local with_command=no levels=
	while :; do
		case $1 in
		-c) with_command=yes; shift ;;
		-n) levels=$2; shift 2 ;;
		*) break ;;
		esac
	done
	local -a injector=()
	while [ "$1" != -- ]; do
		injector+=("$1")
		shift
	done
	shift
	# in a sweep, the last trial's probe is where this one starts
	if [ -n "${REUSE_PROBE:-}" ] && [ -n "${LAST_AFTER:-}" ]; then
		BEFORE=$LAST_AFTER
	else
		remember_levels
	fi
	LAST_AFTER=
	VECTOR=$(far_vector $levels)
	MARKER=
	COMMAND_ARGS=()
	[ "$with_command" = no ] || marker_command
	TRIAL="${injector[*]} setlastpid $* --ns /proc/$NEST/ns/pid $VECTOR ${COMMAND_ARGS[*]}"
	run_capture "${RUN_TIMEOUT[@]}" "${injector[@]}" "$SETLASTPID" "$@" \
		--ns "/proc/$NEST/ns/pid" "$VECTOR" "${COMMAND_ARGS[@]}"
	local DRY_RUN='' EXACT=''
	in_list --dry-run "$*" && DRY_RUN=yes
	in_list --exact "$*" && EXACT=yes
	# a run that hangs ends the test: no sweep goes on at 20 s a trial
	if [ -z "${KEEP_GOING:-}" ] || [ "$status" = 124 ] || [ "$status" = 137 ]; then
		[ "$status" != 124 ] && [ "$status" != 137 ] ||
			echo "setlastpid hung: killed after ${RUN_TIMEOUT[3]} s" >&2
		assert_all_or_nothing "$VECTOR"
	elif ! assert_all_or_nothing "$VECTOR" 2>>"$BATS_TEST_TMPDIR/failed-trials"; then
		TRIALS_FAILED=$((TRIALS_FAILED + 1))
	fi
}

# keep_going: from now on a trial that fails is told at the end, by
# assert_no_trial_failed, and the sweep goes on to find every failure.
keep_going() {
	KEEP_GOING=yes
	TRIALS_FAILED=0
	: >"$BATS_TEST_TMPDIR/failed-trials"
}

assert_no_trial_failed() {
	[ "$TRIALS_FAILED" = 0 ] && return 0
	echo "$TRIALS_FAILED trials failed; the first ones:" >&2
	head -n 60 "$BATS_TEST_TMPDIR/failed-trials" >&2
	return 1
}

# run_capture COMMAND...: bats' run --separate-stderr for the trials, which
# expect 127 from the loader (run would warn of a command not found).
run_capture() {
	local errors=$BATS_TEST_TMPDIR/stderr
	status=0
	output=$("$@" 2>"$errors") || status=$?
	stderr=$(cat "$errors")
}

# Counts of outcomes, and the distinct first lines of stderr: the failure
# points a sweep found.
count_reset() {
	COUNT_SET=0 COUNT_UNCHANGED=0 COUNT_COMMAND=0
	FAILURE_POINTS=()
}

count_outcome() {
	case $OUTCOME in
	set) COUNT_SET=$((COUNT_SET + 1)) ;;
	command) COUNT_COMMAND=$((COUNT_COMMAND + 1)) ;;
	*) COUNT_UNCHANGED=$((COUNT_UNCHANGED + 1)) ;;
	esac
	if [ "$OUTCOME" = unchanged ] && [ -n "$stderr" ]; then
		# the message without the nest's own names, which differ per test
		local point=${stderr%%$'\n'*}
		point=${point//\/proc\/$NEST\/ns\/pid/PATH}
		point=$(sed -E 's/pid:\[[0-9]+\]/pid:[N]/g; s/user:\[[0-9]+\]/user:[N]/g; s/pid [0-9]+/pid P/g' <<<"$point")
		in_list_line "$point" || FAILURE_POINTS+=("$point")
	fi
}

in_list_line() {
	local p
	for p in "${FAILURE_POINTS[@]}"; do
		[ "$p" = "$1" ] && return 0
	done
	return 1
}

# tap_note TEXT: a comment on the TAP stream.
tap_note() {
	echo "# $*" >&3
}

count_note() {
	local what=$1 p
	tap_note "$what: $COUNT_SET set, $COUNT_UNCHANGED unchanged, $COUNT_COMMAND COMMAND's own status"
	for p in "${FAILURE_POINTS[@]}"; do
		tap_note "  $p"
	done
}

# loader_failed: the run never reached setlastpid's main(): the dynamic
# loader (or a static binary's start-up) failed, 127 and a message of its
# own. Nothing can have changed, and assert_all_or_nothing checks that.
loader_failed() {
	[ "$status" = 127 ] && [[ $stderr != "setlastpid: "* && $stderr != *$'\n'"setlastpid: "* ]] &&
		[ ! -e "${MARKER:-/nonexistent}" ]
}

# loader_start RESOURCE STEP: the smallest limit, a multiple of STEP, at
# which setlastpid gets to its own main(): it prints its --usage, or says
# it has no memory to parse the command line. Below it the loader fails
# (127, or a crash). Bisected.
loader_start() {
	local resource=$1 step=$2 lo=0 hi=1 mid
	starts() {
		run_capture prlimit "--$resource=$(($1 * step))" "$SETLASTPID" --usage
		{ [ "$status" = 0 ] && [[ $output == Usage:* ]]; } ||
			[[ $stderr == "setlastpid: "* || $stderr == *$'\n'"setlastpid: "* ]]
	}
	until starts "$hi"; do
		lo=$hi
		hi=$((hi * 2))
		[ "$hi" -lt 1000000 ] || { echo "loader_start: never starts" >&2; return 1; }
	done
	while ((hi - lo > 1)); do
		mid=$(((lo + hi) / 2))
		if starts "$mid"; then hi=$mid; else lo=$mid; fi
	done
	echo $((hi * step))
}

# sweep_limit RESOURCE STEP [-c] [WRAPPER...] -- [OPTION...]: a trial under
# prlimit --RESOURCE=LIMIT for every LIMIT from the smallest at which
# setlastpid starts (loader_start) up by STEP, until three runs in a row
# exit 0. WRAPPER runs prlimit (nsenter, say).
sweep_limit() {
	local resource=$1 step=$2 successes=0 tries=0 limit start
	shift 2
	local -a flags=() wrapper=()
	while [ "$1" = -c ]; do
		flags+=(-c)
		shift
	done
	while [ "$1" != -- ]; do
		wrapper+=("$1")
		shift
	done
	shift
	start=$(loader_start "$resource" "$step")
	limit=$start
	local REUSE_PROBE=yes LAST_AFTER=''
	while [ "$successes" -lt 3 ]; do
		tries=$((tries + 1))
		[ "$tries" -le 300 ] || { echo "sweep_limit: no success by --$resource=$limit" >&2; return 1; }
		trial "${flags[@]}" "${wrapper[@]}" prlimit "--$resource=$limit" -- "$@"
		loader_failed || count_outcome
		if [ "$status" = 0 ]; then successes=$((successes + 1)); else successes=0; fi
		limit=$((limit + step))
	done
	tap_note "prlimit --$resource ${flags[*]} ${wrapper[*]} -- $*: starts at $start, set from $((limit - 3 * step)) ($tries runs)"
}

# cgroup_make MAX: a pids cgroup of the test's own, a child of the test's
# cgroup under cgroup v2 (where it has the pids controller) or v1's pids
# hierarchy, with pids.max MAX; its directory in CGROUP.
cgroup_make() {
	local max=$1 v2 v1 own base
	v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	v1=$(awk '$9 == "cgroup" && $NF ~ /(^|,)pids(,|$)/ { print $5; exit }' /proc/self/mountinfo)
	if [ -n "$v2" ] && grep -qw pids "$v2/cgroup.controllers" 2>/dev/null; then
		own=$(sed -n 's/^0:://p' /proc/self/cgroup)
		base=$v2$own
		grep -qw pids "$base/cgroup.subtree_control" ||
			echo +pids >"$base/cgroup.subtree_control" 2>/dev/null ||
			skip "cannot enable the pids controller below $base"
	elif [ -n "$v1" ]; then
		own=$(awk -F: '$2 ~ /(^|,)pids(,|$)/ { print $3 }' /proc/self/cgroup)
		base=$v1$own
	else
		skip "needs a pids cgroup (v2 with the pids controller, or v1's pids hierarchy)"
	fi
	CGROUP=$base/setlastpid-faults.$$.$BATS_TEST_NUMBER
	mkdir "$CGROUP" || skip "cannot make a cgroup below $base"
	echo "$max" >"$CGROUP/pids.max"
}

# in_cgroup COMMAND...: COMMAND, as a process of CGROUP.
# shellcheck disable=SC2016 # for sh -c
CGROUP_RUN=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"')

# Kill what is left in the test's cgroup (its own processes only) and remove it.
cgroup_remove() {
	[ -n "$CGROUP" ] && [ -d "$CGROUP" ] || return 0
	local i pid
	for ((i = 0; i < 100; i++)); do
		[ -s "$CGROUP/cgroup.procs" ] || break
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null || true
		done <"$CGROUP/cgroup.procs"
		sleep 0.05
	done
	rmdir "$CGROUP"
}

# --- memory ---------------------------------------------------------------

@test "memory: argp_parse() without memory is 71, never a run with defaults" {
	asan_build && skip "ASan reserves memory no limit allows"
	nest_make 3
	# the issue's commands: 200 KiB of data, and a 2.5 MiB address space
	STATUSES="71"
	# a static build may set and create COMMAND in it: a shell, which the
	# same limit may crash
	COMMAND_STATUSES="126 127 134 135 139"
	trial -c prlimit --data=$((200 * 1024)) --
	[ "$status" != 71 ] || assert_one_error_line
	run --separate-stderr bash -c 'ulimit -v 2500; exec "$0" --bogus-option 1' "$SETLASTPID"
	if [ "$status" = 71 ]; then
		assert_one_error_line "Cannot allocate memory"
	else
		# with the memory to tell it, the usage error
		[ "$status" = 64 ] || { echo "--bogus-option with 2.5 MiB: status $status: $stderr" >&2; false; }
		assert_one_error_line "unrecognized option"
	fi
}

@test "memory: every data and address-space limit from the smallest that starts, all or nothing" {
	asan_build && skip "ASan reserves memory no limit allows"
	nest_make 3
	# the loader's own failure is 127, as is COMMAND's when the shell's loader fails
	STATUSES="71 127"
	# COMMAND, a shell under the same limit, may fail to load or crash
	COMMAND_STATUSES="126 127 134 135 139"
	count_reset
	keep_going
	sweep_limit data 4096 --
	sweep_limit data 4096 -c -- --method=sysctl
	sweep_limit data 4096 -- --verbose --lock
	sweep_limit as 16384 --
	sweep_limit as 16384 -c --
	count_note "memory limits"
	assert_no_trial_failed
}

# --- descriptors ----------------------------------------------------------

@test "descriptors: every fd limit from 3 up at depth 3, all or nothing, 71 for the limit" {
	nest_make 3
	# EMFILE is neither a permission (77) nor a pid in use (65)
	STATUSES="71"
	# COMMAND's shell, under the same limit, may fail to redirect (2)
	COMMAND_STATUSES="2"
	count_reset
	keep_going
	local opts
	for opts in "" "--verbose" "--lock" "--method=sysctl" "--dry-run"; do
		# shellcheck disable=SC2086 # opts is split on purpose
		sweep_limit nofile 1 -- $opts
	done
	for opts in "" "--lock" "--exact" "--verbose --method=sysctl"; do
		# shellcheck disable=SC2086
		sweep_limit nofile 1 -c -- $opts
	done
	count_note "fd limits, depth 3"
	assert_no_trial_failed
	local p
	for p in "${FAILURE_POINTS[@]}"; do
		[[ $p == *"Too many open files"* ]] || { echo "a fd limit said: $p" >&2; false; }
	done
}

@test "descriptors: every fd limit at depth 32, the caller's own level among them: 71, never 77 or 65" {
	in_initial_pidns || skip "needs to run in the initial pid namespace to nest 32 deep"
	nest_make 32
	STATUSES="71"
	COMMAND_STATUSES="2"
	count_reset
	keep_going
	# from the outermost level of the nest, which sees 32 levels: the last is the caller's own
	local top=${LEVEL_INIT[31]} limit
	sweep_limit nofile 1 nsenter --target "$top" --pid --
	sweep_limit nofile 1 -c nsenter --target "$top" --pid --
	# and from the test's own level: 32 levels below it
	sweep_limit nofile 1 -c -- --lock
	count_note "fd limits, depth 32"
	assert_no_trial_failed
	# again, with VECTOR at the counters as they are: each pid COMMAND
	# needs above level 0 is the one a helper below takes, and is free again
	# once the helpers go: no "pid in use" for those, whatever the limit
	keep_going
	for ((limit = 34; limit <= 44; limit++)); do
		remember_levels
		local -a before
		read -r -a before <<<"$BEFORE"
		local vector
		vector=$(IFS=,; echo "${before[*]}")
		marker_command
		run --separate-stderr "${RUN_TIMEOUT[@]}" prlimit --nofile=$limit \
			"$SETLASTPID" --ns "/proc/$NEST/ns/pid" "$vector" "${COMMAND_ARGS[@]}"
		TRIAL="--nofile=$limit, VECTOR at the counters"
		if [ "$status" != 0 ] && { [ "$status" != 71 ] || [[ $stderr != *"Too many open files"* ]]; }; then
			echo "prlimit --nofile=$limit, VECTOR at the counters ($vector): status $status: $stderr" >&2
			TRIALS_FAILED=$((TRIALS_FAILED + 1))
		fi
	done
	assert_no_trial_failed
}

# --- helpers that die -----------------------------------------------------

@test "helpers killed as they write (strace SIGKILL on every pwrite64): 71, nothing claimed, nothing set" {
	needs_strace
	asan_build && skip "an ASan build makes system calls of its own"
	nest_make 3
	STATUSES="71"
	# every helper, the roll back's too, dies at its write: the undo tries again and again
	SLACK=300
	trial strace -f -qq -o /dev/null -e inject=pwrite64:signal=SIGKILL -- --verbose --method=sysctl
	[[ $stderr == *"its helper died before it wrote"* ]]
	[ -z "$output" ]
	trial -c strace -f -qq -o /dev/null -e inject=pwrite64:signal=SIGKILL -- --verbose --method=sysctl
	[[ $stderr == *"its helper died before it wrote"* ]]
	[ -z "$output" ]
}

@test "one helper killed before its write (seccomp, by its length), at each level: 71, that level put back" {
	needs_seccomp_run
	nest_make 4
	needs_5_digit_pids
	local level i vector
	local -a v before
	for level in 0 1 2 3; do
		remember_levels
		read -r -a before <<<"$BEFORE"
		# 5 digits for the level whose helper dies, 3 for the others; the
		# values put back ("12\n") are shorter than 5
		v=()
		for i in 0 1 2 3; do
			if [ "$i" = "$level" ]; then v+=($((20000 + before[i]))); else v+=($((500 + before[i]))); fi
		done
		vector=$(IFS=,; echo "${v[*]}")
		TRIAL="seccomp-run pwrite64:kill:a2=5 setlastpid --method=sysctl $vector"
		run --separate-stderr "${RUN_TIMEOUT[@]}" "$SECCOMP_RUN" pwrite64:kill:a2=5 -- \
			"$SETLASTPID" --verbose --method=sysctl --ns "/proc/$NEST/ns/pid" "$vector"
		STATUSES=71 assert_all_or_nothing "$vector"
		[ -z "$output" ]
		assert_one_error_line "cannot set level $level (pid:["
		[[ $stderr == *"its helper died before it wrote; the levels written were put back" ]]
		# one helper per level took a pid there and above; the one made to
		# put back the killed level was made before any level was put back,
		# so that what each put back stays
		local -a after
		read -r -a after <<<"$AFTER"
		for i in 0 1 2 3; do
			local next=$((before[i] + i + 1 + 1))
			[ "${after[i]}" = "$next" ] ||
				{ echo "level $i: next ${after[i]}, want $next (before ${before[i]})" >&2; false; }
		done
	done
}

@test "the roll back killed too: one level refused, every roll back's write killed (strace when=2)" {
	needs_seccomp_run
	needs_strace
	asan_build && skip "an ASan build makes system calls of its own"
	nest_make 3
	needs_5_digit_pids
	local -a before
	remember_levels
	read -r -a before <<<"$BEFORE"
	local vector="$((before[0] + 500)),$((before[1] + 20000)),$((before[2] + 500))"
	# level 1's write fails; levels 0 and 2 are to roll back, and their
	# helpers die at that second write: new helpers must put them back
	TRIAL="seccomp-run pwrite64:EIO:a2=5 strace -f -e inject=pwrite64:signal=SIGKILL:when=2 setlastpid $vector"
	run --separate-stderr "${RUN_TIMEOUT[@]}" "$SECCOMP_RUN" pwrite64:EIO:a2=5 -- \
		strace -f -qq -o /dev/null -e inject=pwrite64:signal=SIGKILL:when=2 \
		"$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" "$vector"
	STATUSES=71 assert_all_or_nothing "$vector"
	assert_one_error_line "cannot set level 1 (pid:["
	[[ $stderr == *"write failed: Input/output error; the levels written were put back" ]]
}

@test "helpers that find their creator gone quit before writing: 71, nothing changed" {
	needs_strace
	nest_make 3
	STATUSES=71
	# a helper sees its creator gone by a pidfd of it turning readable
	trial strace -f -qq -o /dev/null -e inject=ppoll:retval=1 -- --method=sysctl
	assert_one_error_line "its helper died before it wrote"
	trial -c strace -f -qq -o /dev/null -e inject=ppoll:retval=1 -- --method=sysctl
	assert_one_error_line "its helper died before it wrote"
}

# --- every call fails in turn ---------------------------------------------

# calls_made SYSCALL TRIAL-ARGS...: the most calls of SYSCALL any one
# process of setlastpid makes in a run (strace's when= counts per process):
# setlastpid and its helpers, not COMMAND, which execs.
calls_made() {
	local syscall=$1 log=$BATS_TEST_TMPDIR/calls.log
	shift
	local -a opts=("$@") command=()
	remember_levels
	if [ "${opts[0]:-}" = -c ]; then
		marker_command
		command=("${COMMAND_ARGS[@]}")
		opts=("${opts[@]:1}")
	fi
	"${RUN_TIMEOUT[@]}" strace -f -qq -o "$log" -e trace="$syscall,execve" "$SETLASTPID" "${opts[@]}" \
		--ns "/proc/$NEST/ns/pid" "$(far_vector)" "${command[@]}" >/dev/null 2>&1 || true
	awk -v call="$syscall" '
		NR == 1 { tool = $1 }
		$2 ~ /^execve\(/ && $1 != tool { command[$1] = 1 }
		$2 ~ "^" call "\\(" { n[$1]++ }
		END { m = 0; for (p in n) if (!(p in command) && n[p] > m) m = n[p]; print m }' "$log"
}

# sweep_calls SYSCALL ERRORS TRIAL-ARGS...: every call of SYSCALL fails in
# turn (when=N), with each of ERRORS; all or nothing, and a status that
# fits the error: 77 for EPERM or EACCES only, 65 for EINVAL only. With
# SAMPLE=K, only the first three calls, every Kth and the last three.
sweep_calls() {
	local syscall=$1 errors=$2 n calls err
	shift 2
	calls=$(calls_made "$syscall" "$@")
	local -a flags=() opts=("$@")
	if [ "${opts[0]:-}" = -c ]; then
		flags=(-c)
		opts=("${opts[@]:1}")
	fi
	local REUSE_PROBE=yes LAST_AFTER=''
	# strace follows COMMAND too, and its shell may fail for it
	local COMMAND_STATUSES="2 126 127"
	for err in $errors; do
		case $err in
		# kill(pid, 0) refused: the pid is someone's, in use
		EPERM) [ "$syscall" = kill ] && STATUSES="65 71 77" || STATUSES="71 77" ;;
		EACCES) STATUSES="71 77" ;;
		EINVAL) STATUSES="65 71" ;;
		*) STATUSES="71" ;;
		esac
		for ((n = 1; n <= calls; n++)); do
			if [ -n "${SAMPLE:-}" ] && ((n > 3 && n < calls - 2 && n % SAMPLE != 0)); then
				continue
			fi
			trial "${flags[@]}" strace -f -qq -o /dev/null -e "inject=$syscall:error=$err:when=$n" -- "${opts[@]}"
			count_outcome
		done
	done
	SWEPT+=("$syscall ($calls)")
}

# Not swept: brk and mmap (an injected -ENOMEM from brk is no failure glibc
# knows, and the loader's own mmaps crash it: prlimit --data and --as are
# the memory faults), futex (strace cannot tell a wait from a wake, and a
# lost wake is no fault the kernel makes: every wait interrupted is below).
@test "strace: each call of every kind fails in turn, depth 3, with COMMAND and without" {
	needs_strace
	asan_build && skip "an ASan build makes system calls of its own"
	nest_make 3
	count_reset
	keep_going
	SWEPT=()
	local c
	for c in "" "-c"; do
		# shellcheck disable=SC2086 # c is a flag or nothing
		{
			sweep_calls openat "EMFILE ENOMEM" $c
			sweep_calls ioctl "ENOMEM" $c
			sweep_calls setns "ENOMEM EPERM" $c
			sweep_calls clone "EAGAIN ENOMEM" $c
			sweep_calls pread64 "ENOMEM" $c --method=sysctl
			sweep_calls pwrite64 "ENOMEM EINVAL EPERM" $c --method=sysctl
			sweep_calls fcntl "EMFILE" $c
			sweep_calls pipe2 "EMFILE ENFILE" $c
			sweep_calls read "EINTR EIO" $c
			sweep_calls wait4 "EINTR" $c
			sweep_calls newfstatat "ENOMEM" $c
			sweep_calls prctl "EINVAL" $c
			sweep_calls kill "EPERM" $c
		}
	done
	# --lock's flock, and an ioctl-only run (refused before any write here)
	sweep_calls flock "EINTR ENOLCK" --lock
	sweep_calls flock "EINTR" -c --lock
	tap_note "swept (most calls per process): ${SWEPT[*]}"
	count_note "strace, depth 3"
	assert_no_trial_failed
}

@test "strace: helper creation and entering a level fail in turn at depth 32" {
	needs_strace
	asan_build && skip "an ASan build makes system calls of its own"
	in_initial_pidns || skip "needs to run in the initial pid namespace to nest 32 deep"
	nest_make 32
	count_reset
	keep_going
	SWEPT=()
	local SAMPLE=5
	sweep_calls clone "EAGAIN" --method=sysctl
	sweep_calls clone "ENOMEM" -c --method=sysctl
	sweep_calls setns "ENOMEM" --method=sysctl
	sweep_calls setns "ENOMEM" -c
	tap_note "swept (most calls per process): ${SWEPT[*]}"
	count_note "strace, depth 32"
	assert_no_trial_failed
}

# COMMAND's process in shared memory (src/lib/spawn.c): made so on x86-64,
# and where clone3() refuses that, for whatever reason, made by a fork as
# before, which says what the kernel says: refused too, told, nothing
# changed.
@test "strace: COMMAND made in shared memory; refused, forked; the fork refused too, told; exec refused in it, 126" {
	needs_strace
	asan_build && skip "an ASan build makes system calls of its own"
	[ "$(uname -m)" = x86_64 ] || skip "COMMAND shares memory on x86-64 only (a fork elsewhere)"
	nest_make 3
	local log=$BATS_TEST_TMPDIR/clone3.log err
	STATUSES=0
	trial -c strace -f -qq -o "$log" -e trace=clone3 -- --exact
	[ "$OUTCOME" = set ]
	grep -q 'flags=CLONE_VM|CLONE_VFORK|CLONE_CLEAR_SIGHAND, .*set_tid=\[' "$log" || {
		cat "$log" >&2
		return 1
	}
	# the first clone3() is the probe: a refusal that says nothing of clone3() is left to the real call
	trial -c strace -f -qq -o /dev/null -e "inject=clone3:error=EAGAIN:when=1" -- --exact
	[ "$OUTCOME" = set ]
	# the second, the child in shared memory
	for err in ENOSYS EPERM EACCES EINVAL E2BIG EAGAIN ENOMEM; do
		trial -c strace -f -qq -o "$log" -e trace=clone3 -e "inject=clone3:error=$err:when=2" -- --exact
		[ "$OUTCOME" = set ]
		grep -q 'flags=0, .*set_tid=\[' "$log"
	done
	STATUSES=71
	for err in EAGAIN ENOMEM; do
		trial -c strace -f -qq -o /dev/null -e "inject=clone3:error=$err:when=2+" -- --exact
		[ "$OUTCOME" = unchanged ]
		assert_one_error_line "cannot create a process with clone3() set_tid in /proc/$NEST/ns/pid: "
	done
	# the child cannot execute COMMAND: 126, and it is gone
	remember_levels
	local true_path
	true_path=$(realpath "$(type -P true)")
	VECTOR=$(far_vector)
	run_capture "${RUN_TIMEOUT[@]}" strace -f -qq -o /dev/null -P "$true_path" -e trace=execve \
		-e inject=execve:error=EACCES "$SETLASTPID" --exact --ns "/proc/$NEST/ns/pid" "$VECTOR" -- "$true_path"
	[ "$status" = 126 ] || { echo "status $status: $stderr" >&2; return 1; }
	[ "$stderr" = "setlastpid: cannot run $true_path: Permission denied" ]
	[ "$(helpers_in_nest)" = 0 ]
	# a method that never needed clone3(): its refusal, any errno, is no failure (a fork does it)
	for err in EACCES EAGAIN; do
		run_capture "${RUN_TIMEOUT[@]}" strace -f -qq -o /dev/null -e trace=clone3 \
			-e "inject=clone3:error=$err" unshare --pid --fork --kill-child \
			"$SETLASTPID" 500 -- sh -c 'echo $$'
		[ "$status" = 0 ] && [ "$output" = 501 ] || { echo "$err: status $status, $output, $stderr" >&2; return 1; }
	done
}

# --- failures after the writes --------------------------------------------

@test "every futex wait returns at once (seccomp EINTR, then EAGAIN): all or nothing" {
	needs_seccomp_run
	nest_make 8
	local err c
	for err in EINTR EAGAIN; do
		for c in "" "-c"; do
			# FUTEX_WAIT is op 0; glibc's own waits are FUTEX_*_PRIVATE
			# shellcheck disable=SC2086 # c is a flag or nothing
			trial $c "$SECCOMP_RUN" "futex:$err:a1=0" -- --method=sysctl
			[ "$status" = 0 ]
		done
	done
}

@test "fork of COMMAND fails after the set (seccomp: fork's clone only): 71, every level put back" {
	needs_seccomp_run
	local depth err
	for depth in 3 8; do
		nest_make "$depth"
		for err in EAGAIN ENOMEM; do
			# fork() is clone() without CLONE_VM (0x100); helpers have it
			STATUSES=71 trial -c "$SECCOMP_RUN" "clone:$err:a0&0x100=0" -- --method=sysctl
			assert_one_error_line "cannot create sh in /proc/$NEST/ns/pid: "
			[[ $stderr == *"; the levels written were put back" ]]
			STATUSES=71 trial -c "$SECCOMP_RUN" "clone:$err:a0&0x100=0" -- --lock
			assert_one_error_line "cannot create sh in"
		done
	done
}

@test "clone3 ENOSYS (seccomp): --exact is 77 and sets nothing; the counters' way needs no clone3" {
	needs_seccomp_run
	nest_make 3
	# the filter is seen (Seccomp: in /proc/self/status), not taken for an old kernel (69)
	STATUSES=77 trial -c "$SECCOMP_RUN" clone3:ENOSYS -- --exact
	assert_one_error_line "a seccomp filter refuses clone3() here"
	trial -c "$SECCOMP_RUN" clone3:ENOSYS --
	[ "$status" = 0 ]
	trial "$SECCOMP_RUN" clone3:ENOSYS --
	[ "$status" = 0 ]
}

@test "ns_last_pid cannot be opened read-write (seccomp): nothing set, the cause named" {
	needs_seccomp_run
	nest_make 3
	local err c
	for c in "" "-c"; do
		for err in EMFILE ENFILE ENOMEM EACCES; do
			# O_RDWR: only ns_last_pid is opened so (O_ACCMODE is 3)
			# shellcheck disable=SC2086 # c is a flag or nothing
			STATUSES="71 77" trial $c "$SECCOMP_RUN" "openat:$err:a2&3=2" -- --method=sysctl
			assert_one_error_line "cannot open /proc/sys/kernel/ns_last_pid: "
			if [ "$err" = EACCES ]; then [ "$status" = 77 ]; else [ "$status" = 71 ]; fi
		done
	done
}

@test "one level's write refused (seccomp, by its length): put back, the status follows the error" {
	needs_seccomp_run
	nest_make 3
	needs_5_digit_pids
	local err want level i vector
	local -a v before
	for err in EIO EPERM EINVAL; do
		case $err in
		EPERM) want=77 ;;
		EINVAL) want=65 ;;
		*) want=71 ;;
		esac
		for level in 0 2; do
			remember_levels
			read -r -a before <<<"$BEFORE"
			v=()
			for i in 0 1 2; do
				if [ "$i" = "$level" ]; then v+=($((20000 + before[i]))); else v+=($((500 + before[i]))); fi
			done
			vector=$(IFS=,; echo "${v[*]}")
			TRIAL="seccomp-run pwrite64:$err:a2=5 setlastpid $vector"
			run --separate-stderr "${RUN_TIMEOUT[@]}" "$SECCOMP_RUN" "pwrite64:$err:a2=5" -- \
				"$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" "$vector"
			STATUSES=$want assert_all_or_nothing "$vector"
			assert_one_error_line "cannot set level $level (pid:["
			[[ $stderr == *"write failed: "*"; the levels written were put back" ]]
		done
	done
}

# --- stdout and stderr ----------------------------------------------------

@test "--verbose >/dev/full: every level set, exit 0, and the lost report said with its cause" {
	nest_make 3
	STATUSES=71
	trial -- --verbose
	remember_levels
	VECTOR=$(far_vector)
	run --separate-stderr bash -c '"$0" --verbose --ns "$1" "$2" >/dev/full' "$SETLASTPID" "/proc/$NEST/ns/pid" "$VECTOR"
	assert_all_or_nothing "$VECTOR"
	[ "$status" = 0 ]
	assert_stderr_is "setlastpid: write error on standard output: No space left on device; the work itself is done"
}

@test "--verbose >/dev/full with COMMAND: COMMAND's own status, run once, the report's loss said" {
	nest_make 3
	local code
	for code in 0 3; do
		remember_levels
		VECTOR=$(far_vector)
		marker_command
		# shellcheck disable=SC2016 # for sh -c
		run --separate-stderr bash -c '"$0" --verbose --ns "$1" "$2" -- sh -c "echo \$\$ >>\"\$1\"; exit $3" sh "$4" >/dev/full' \
			"$SETLASTPID" "/proc/$NEST/ns/pid" "$VECTOR" "$code" "$MARKER"
		[ "$status" = "$code" ] || { echo "COMMAND exited $code, setlastpid $status: $stderr" >&2; false; }
		[ "$(wc -l <"$MARKER")" = 1 ]	# it ran, once
		assert_stderr_is "setlastpid: write error on standard output: No space left on device; the work itself is done"
		assert_next "$NEST" "$(plus "${VECTOR//,/ }" 2)"
	done
}

@test "--dry-run >/dev/full: 71, nothing changed" {
	nest_make 3
	remember_levels
	VECTOR=$(far_vector)
	run --separate-stderr bash -c '"$0" --dry-run --ns "$1" "$2" >/dev/full' "$SETLASTPID" "/proc/$NEST/ns/pid" "$VECTOR"
	STATUSES=71 assert_all_or_nothing "$VECTOR"
	[ "$status" = 71 ]
	assert_stderr_is "setlastpid: write error on standard output: No space left on device"
	marker_command
	run --separate-stderr bash -c '"$0" --dry-run --ns "$1" "$2" "${@:3}" >/dev/full' "$SETLASTPID" \
		"/proc/$NEST/ns/pid" "$VECTOR" "${COMMAND_ARGS[@]}"
	STATUSES=71 assert_all_or_nothing "$VECTOR"
	[ "$status" = 71 ]
}

@test "stdout closed: setlastpid 6000 >&- sets its own level and exits 0; --verbose too, all or nothing" {
	run --separate-stderr "${RUN_TIMEOUT[@]}" unshare --pid --fork --kill-child \
		bash -c '"$0" 6000 >&-; echo "$?"; awk "/^NSpid:/ { print \$NF }" /proc/self/status; exit' "$SETLASTPID"
	[ "${lines[0]}" = 0 ] || { echo "setlastpid 6000 >&-: status ${lines[0]}: $stderr" >&2; false; }
	[ "${lines[1]}" = 6001 ]
	[ -z "$stderr" ]
	nest_make 3
	remember_levels
	VECTOR=$(far_vector)
	run --separate-stderr bash -c '"$0" --verbose --ns "$1" "$2" >&-' "$SETLASTPID" "/proc/$NEST/ns/pid" "$VECTOR"
	STATUSES=71 assert_all_or_nothing "$VECTOR"
	[ "$status" != 0 ] || assert_stderr_is "setlastpid: write error on standard output: Bad file descriptor; the work itself is done"
}

@test "stdout a pipe nobody reads (SIGPIPE at its default): all or nothing, with COMMAND and without" {
	nest_make 3
	local opts c
	for c in "" "-c"; do
		for opts in "--verbose" "--verbose --method=sysctl" "--dry-run"; do
			remember_levels
			VECTOR=$(far_vector)
			MARKER=
			COMMAND_ARGS=()
			[ -z "$c" ] || marker_command
			TRIAL="setlastpid $opts ... | (reader gone)"
			# the reader has exited before setlastpid starts: every write is EPIPE, and SIGPIPE
			# shellcheck disable=SC2016,SC2086 # for bash -c; opts is split on purpose
			run --separate-stderr "${RUN_TIMEOUT[@]}" env --default-signal=PIPE bash -c \
				'exec {out}> >(exit 0); wait "$!"; exec "$@" >&"$out"' \
				bash "$SETLASTPID" $opts --ns "/proc/$NEST/ns/pid" "$VECTOR" "${COMMAND_ARGS[@]}"
			STATUSES="$DOCUMENTED 141" assert_all_or_nothing "$VECTOR"
		done
	done
}

@test "stderr full or closed: the statuses are the same" {
	nest_make 3
	local redirect
	for redirect in "2>/dev/full" "2>&-"; do
		remember_levels
		# above any pid_max: the kernel's limit is 4194304
		run bash -c "\"\$0\" --ns \"\$1\" 100,50,4194305 $redirect" "$SETLASTPID" "/proc/$NEST/ns/pid"
		[ "$status" = 65 ]
		assert_unchanged
		remember_levels
		VECTOR=$(far_vector)
		run --separate-stderr bash -c "\"\$0\" --ns \"\$1\" \"\$2\" $redirect" "$SETLASTPID" "/proc/$NEST/ns/pid" "$VECTOR"
		assert_all_or_nothing "$VECTOR"
		[ "$status" = 0 ]
	done
}

# --- signals --------------------------------------------------------------

# sweep_command [-c] OPTIONS...: the run a sweep times (sweep_delays):
# setlastpid OPTIONS at the nest, VECTOR far from every level, with COMMAND
# if -c, as trial makes it; in SWEEP_COMMAND.
sweep_command() {
	COMMAND_ARGS=()
	if [ "${1:-}" = -c ]; then
		marker_command
		shift
	fi
	remember_levels
	SWEEP_COMMAND=("$SETLASTPID" "$@" --ns "/proc/$NEST/ns/pid" "$(far_vector)" "${COMMAND_ARGS[@]}")
}

# signal_trials SIGNAL STATUS SIGNAL-AT-FLAGS [-c] OPTIONS...: 50 runs at
# depth 32, the signal sent at delays spread over a run's time as measured
# here and now (sweep_delays), and past it. Each is all or nothing; a run
# the signal cut in the set says so in one line and dies of it; at least
# one must have been cut there. A sweep that missed the set (the machine's
# pace changed after it was measured) is measured and swept again, up to
# SWEEP_PASSES (3) sweeps in all: a missed window is no broken promise.
signal_trials() {
	local sig=$1 code=$2 how=$3 trials=50 pass delay interrupted=0 before_set=0 done_runs=0 spans=
	shift 3
	local -a trial_flags=()
	if [ "${1:-}" = -c ]; then
		trial_flags=(-c)
		shift
	fi
	local line="setlastpid: interrupted by SIG$sig while setting /proc/$NEST/ns/pid; the levels written were put back"
	count_reset
	for ((pass = 1; pass <= ${SWEEP_PASSES:-3} && interrupted == 0; pass++)); do
		sweep_command "${trial_flags[@]}" "$@"
		sweep_delays "$trials" "${SWEEP_COMMAND[@]}"
		spans+="${spans:+, }$SWEEP_SPAN"
		for delay in "${SWEEP_DELAYS[@]}"; do
			# shellcheck disable=SC2086 # how is split on purpose
			STATUSES=$code COMMAND_STATUSES=$code trial "${trial_flags[@]}" "$SIGNAL_AT" $how "$sig" "$delay" -- "$@"
			count_outcome
			if [ "$status" = "$code" ] && [ "$OUTCOME" = unchanged ]; then
				if [ -z "$stderr" ]; then
					before_set=$((before_set + 1))	# before any write: it died of it, as any command
				else
					# with COMMAND, also in the checks before the first write: nothing to put back
					[ "$stderr" = "$line" ] || [ "$stderr" = "${line%%;*}" ] ||
						assert_stderr_is "$line"
					interrupted=$((interrupted + 1))
				fi
			elif [ "$status" = 0 ]; then
				done_runs=$((done_runs + 1))
				[ -z "$stderr" ] || { echo "exit 0, but: $stderr" >&2; false; }
			fi
		done
	done
	pass=$((pass - 1))
	tap_note "SIG$sig $how ${trial_flags[*]} $* in $pass sweep(s) to 3/2 of a run ($spans us): $interrupted cut in the set and put back, $before_set before it, $done_runs done, $COUNT_COMMAND COMMAND's own"
	[ "$interrupted" -gt 0 ] ||
		{ echo "no trial of $((pass * trials)), in $pass sweeps each measured anew, landed in the set: the window was missed" >&2; false; }
}

@test "SIGINT to the whole process group (Ctrl-C) during the set at depth 32: put back or done, never half" {
	needs_signal_at
	in_initial_pidns || skip "needs to run in the initial pid namespace to nest 32 deep"
	nest_make 32
	signal_trials INT 130 -G
}

@test "SIGTERM to setlastpid during the set at depth 32: put back or done, never half" {
	needs_signal_at
	in_initial_pidns || skip "needs to run in the initial pid namespace to nest 32 deep"
	nest_make 32
	signal_trials TERM 143 -g --method=sysctl
}

@test "Ctrl-C with COMMAND at depth 32: COMMAND at its pids, or nothing run and nothing set" {
	needs_signal_at
	in_initial_pidns || skip "needs to run in the initial pid namespace to nest 32 deep"
	nest_make 32
	signal_trials INT 130 -G -c
}

@test "SIGUSR1 and SIGALRM during the set at depth 32: put back or done, never a death with every level set" {
	needs_signal_at
	in_initial_pidns || skip "needs to run in the initial pid namespace to nest 32 deep"
	nest_make 32
	signal_trials USR1 138 -g
	signal_trials ALRM 142 -g
}

@test "SIGUSR1 with COMMAND at depth 32: COMMAND at its pids, or nothing run and nothing set" {
	needs_signal_at
	in_initial_pidns || skip "needs to run in the initial pid namespace to nest 32 deep"
	nest_make 32
	signal_trials USR1 138 -g -c
}

@test "SIGKILL mid-set: no helper outlives setlastpid" {
	needs_signal_at
	local depth=16 delay orphans=0 report=$BATS_TEST_TMPDIR/orphans
	in_initial_pidns || depth=4
	nest_make "$depth"
	sweep_command --method=sysctl
	sweep_delays 40 "${SWEEP_COMMAND[@]}"
	for delay in "${SWEEP_DELAYS[@]}"; do
		remember_levels
		# signal-at is the subreaper: what setlastpid leaves comes to it, not to init
		run "${RUN_TIMEOUT[@]}" "$SIGNAL_AT" -g -r "$report" KILL "$delay" \
			"$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" "$(far_vector)"
		local n alive
		read -r _ n _ alive <"$report"
		orphans=$((orphans + n))
		[ "$alive" = 0 ] || { echo "SIGKILL after $delay us: $alive helpers alive 2 s after setlastpid died" >&2; false; }
		[ "$(helpers_in_nest)" = 0 ] || { echo "SIGKILL after $delay us: helpers left in the nest" >&2; false; }
	done
	tap_note "SIGKILL at depth $depth: $orphans helpers died after setlastpid (reaped by the subreaper), none lived on"
}

# --- pids cgroup ----------------------------------------------------------

@test "pids cgroup: every pids.max from 1 up, all or nothing" {
	local depth=8 max c
	nest_make "$depth"
	cgroup_make 1
	STATUSES=71
	count_reset
	for c in "" "-c"; do
		for ((max = 1; max <= depth + 3; max++)); do
			echo "$max" >"$CGROUP/pids.max"
			# shellcheck disable=SC2086 # c is a flag or nothing
			trial $c "${CGROUP_RUN[@]}" "$CGROUP" -- --method=sysctl
			count_outcome
			# shellcheck disable=SC2086
			trial $c "${CGROUP_RUN[@]}" "$CGROUP" -- --lock --verbose
			count_outcome
		done
	done
	count_note "pids.max 1 to $((depth + 3)), depth $depth"
	[ "$COUNT_SET" -gt 0 ] && [ "$COUNT_UNCHANGED" -gt 0 ]
}

@test "pids cgroup with siblings that keep forking: the undo never fails for lack of a process" {
	local depth=4 runs=0 deadline k max set_before unchanged_before lowest highest
	nest_make "$depth"
	# room for setlastpid and its helpers, and for three shells that fork
	# all the time (bash retries a fork the limit refuses): each takes what
	# the others let go. pids.max moves to keep both outcomes coming.
	max=$((1 + depth + 3))
	lowest=$max highest=$max
	cgroup_make "$max"
	for ((k = 0; k < 3; k++)); do
		"${CGROUP_RUN[@]}" "$CGROUP" bash -c 'while :; do /bin/true; done' </dev/null >/dev/null 2>&1 &
		SIBLINGS+=("$!")
	done
	STATUSES=71
	count_reset
	keep_going
	deadline=$((SECONDS + 40))
	while [ "$runs" -lt 300 ] && [ "$SECONDS" -lt "$deadline" ]; do
		set_before=$COUNT_SET unchanged_before=$COUNT_UNCHANGED
		for ((k = 0; k < 5; k++)); do
			trial -c "${CGROUP_RUN[@]}" "$CGROUP" -- --method=sysctl
			count_outcome
			trial "${CGROUP_RUN[@]}" "$CGROUP" -- --method=sysctl
			count_outcome
			runs=$((runs + 2))
		done
		if [ "$COUNT_SET" = "$set_before" ] && [ "$max" -lt $((1 + depth + 12)) ]; then
			max=$((max + 1))
		elif [ "$COUNT_UNCHANGED" = "$unchanged_before" ] && [ "$max" -gt $((1 + depth)) ]; then
			max=$((max - 1))
		fi
		echo "$max" >"$CGROUP/pids.max"
		((max < lowest)) && lowest=$max
		((max > highest)) && highest=$max
	done
	count_note "three forking siblings, pids.max $lowest to $highest, $runs runs"
	assert_no_trial_failed
	local p
	for p in "${FAILURE_POINTS[@]}"; do
		[[ $p != *"may not have been put back"* ]] || { echo "the undo failed: $p" >&2; false; }
	done
}

@test "a helper cannot be created and no process can be had after (strace: every clone from the Kth on): put back by the helpers made" {
	needs_strace
	asan_build && skip "an ASan build makes system calls of its own"
	local depth k c
	for depth in 3 8; do
		nest_make "$depth"
		for ((k = 2; k <= depth; k++)); do
			for c in "" "-c"; do
				# helpers 1 to K - 1 exist and have written; no process can
				# be created from helper K on, for the undo neither
				# shellcheck disable=SC2086 # c is a flag or nothing
				STATUSES=71 trial $c strace -f -qq -o /dev/null -e "inject=clone:error=EAGAIN:when=$k+" -- --method=sysctl
				if [ -n "$c" ]; then
					# with COMMAND every helper checks its pid before any writes
					assert_one_error_line "cannot clone level $((k - 1)) (pid:["
					[[ $stderr == *"Resource temporarily unavailable" ]]
					continue
				fi
				assert_one_error_line "cannot set level $((k - 1)) (pid:["
				[[ $stderr == *"clone failed: Resource temporarily unavailable; the levels written were put back" ]]
			done
		done
	done
}

@test "fork fails and the resource stays short (strace: every clone from COMMAND's on): put back without a new process" {
	needs_strace
	asan_build && skip "an ASan build makes system calls of its own"
	local depth err
	for depth in 1 3 8; do
		nest_make "$depth"
		for err in EAGAIN ENOMEM; do
			# clones 1 to DEPTH are the helpers; COMMAND's fork and every
			# clone after it fail, as in a pids cgroup another process fills
			STATUSES=71 trial -c strace -f -qq -o /dev/null -e "inject=clone:error=$err:when=$((depth + 1))+" -- --method=sysctl
			assert_one_error_line "cannot create sh in /proc/$NEST/ns/pid: "
			[[ $stderr == *"; the levels written were put back" ]]
		done
	done
}

# --- diagnoses ------------------------------------------------------------

@test "a pid COMMAND needs is in use: 65, checked before anything is written" {
	needs_strace
	nest_make 3
	remember_levels
	marker_command
	local log=$BATS_TEST_TMPDIR/writes
	# pid 1 of level 0 is the nest's own process
	run --separate-stderr "${RUN_TIMEOUT[@]}" strace -f -qq -o "$log" -e trace=pwrite64,write \
		"$SETLASTPID" --ns "/proc/$NEST/ns/pid" 0,"$((FAR + 100))" "${COMMAND_ARGS[@]}"
	STATUSES=65 SLACK=$SLACK assert_all_or_nothing "0,$((FAR + 100))"
	[ "$status" = 65 ]
	assert_one_error_line "pid 1 is in use in level 0 (pid:["
	# no level was written, even for a moment
	if grep -E '^[0-9]+ +(p?write(64)?)\([0-9]+, "(0|'"$((FAR + 100))"')"' "$log"; then
		echo "a level was written before the pid in use was found" >&2
		false
	fi
}

@test "--new-pidns: the word to the task that makes COMMAND cannot be written (strace EIO): 71, put back, no hang" {
	needs_strace
	asan_build && skip "an ASan build makes system calls of its own"
	nest_create 2
	local when
	for when in 1 2; do
		# write 1 asks the maker whether a namespace fits below level 0
		# (before anything is written); write 2 tells it to make COMMAND
		# (after): it waited for a word that never came, and we for it
		run_bounded -71 --separate-stderr strace -f -qq -o /dev/null -e trace=write \
			-e "inject=write:error=EIO:when=$when" \
			"$SETLASTPID" --new-pidns --ns "/proc/$NEST/ns/pid" 7000,7000 -- true
		assert_one_error_line "Input/output error"
		[ "$when" = 1 ] || [[ $stderr == *"; the levels written were put back" ]]
		# never at the values asked: put back, or never written
		local next
		read -r next _ <<<"$(probe_levels "$NEST")"
		[ "$next" -lt 7000 ]
	done
}
