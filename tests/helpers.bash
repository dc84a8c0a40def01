# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# Shared by the bats suites: the binary under test, what a test requires,
# real nests of pid namespaces, and how a user looks at the next pid.
# shellcheck shell=bash

bats_require_minimum_version 1.5.0

SETLASTPID=${SETLASTPID:-setlastpid}

# The kernel the tests run on has NS_SET_LAST_PID_VEC: run-vm.sh's guest
# says so; mainline kernels do not have it.
kernel_has_ioctl() {
	[ "${SETLASTPID_KERNEL_IOCTL:-no}" = yes ]
}

# As COMMAND: print its own pids, innermost first, as it sees them itself.
# shellcheck disable=SC2034 # used by the suites
OWN_PIDS=(awk '/^NSpid:/ { for (i = NF; i > 1; i--) printf "%s%s", $i, (i > 2 ? " " : "\n") }' /proc/self/status)

# No command a test runs, and no wait of a test, lasts longer than this
# (seconds): a hang fails the test instead of holding the run until CI's
# own limit. Far above what any test takes, with two runs at once too.
TEST_TIMEOUT=${SETLASTPID_TEST_TIMEOUT:-120}

# bounded COMMAND...: COMMAND, sent SIGTERM after TEST_TIMEOUT seconds and
# SIGKILL 10 s later (timeout(1): status 124, or 137). COMMAND runs in a
# process group of its own, which the signals go to as a whole.
bounded() {
	timeout --kill-after=10 "$TEST_TIMEOUT" "$@"
}

# run_bounded [!|-N] [--separate-stderr] [--keep-empty-lines] [--] COMMAND...
# bats' run, with its flags, of COMMAND under bounded; a timeout fails the
# test whatever status was expected. The command line, its status and its
# output go to the test's own output, which bats shows only when the test
# fails. COMMAND is a program, not a shell function: timeout execs it.
run_bounded() {
	local flags=() expected=any
	while [ $# -gt 0 ]; do
		case $1 in
		--) shift; break ;;
		'!') expected='non-zero' ;;&
		-[0-9]*) expected=${1#-} ;;&
		-* | '!') flags+=("$1"); shift ;;
		*) break ;;
		esac
	done
	if declare -F "$1" >/dev/null; then
		echo "run_bounded: $1 is a shell function; give a program" >&2
		return 1
	fi
	local start=$SECONDS ran=0 line
	run "${flags[@]}" -- bounded "$@" || ran=$?
	printf -v line '%q ' "$@"
	line=${line% }
	[ "${#line}" -le 400 ] || line="${line:0:400}... (${#line} characters)"
	{
		echo "\$ $line"
		if [[ " ${flags[*]} " == *" --separate-stderr "* ]]; then
			printf 'stdout:\n%s\nstderr:\n%s\n' "$output" "$stderr"
		elif [ -n "$output" ]; then
			printf '%s\n' "$output"
		fi
		echo "[status $status, expected $expected]"
	} >&2
	if [[ $status == 124 || $status == 137 ]] && ((SECONDS - start >= TEST_TIMEOUT)); then
		echo "run_bounded: timed out after $TEST_TIMEOUT s: $line" >&2
		return 1
	fi
	return "$ran"
}

# wait_until SECONDS COMMAND...: run COMMAND every 0.05 s until it
# succeeds; fail, saying what was awaited, if it has not within SECONDS
# (or at once if there is no such command).
wait_until() {
	local deadline=$((SECONDS + $1)) ran
	shift
	while :; do
		ran=0
		"$@" || ran=$?
		((ran != 0)) || return 0
		if ((ran == 127 || SECONDS >= deadline)); then
			echo "gave up waiting for: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

# job_ended PID: the test's background job PID has exited (it may be a
# zombie until waited for).
job_ended() {
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
	[[ ${stat##*) } == Z* ]]
}

# wait_bounded PID: wait for the test's background job PID and return its
# status, as wait does; killed (status 137) if it runs past TEST_TIMEOUT.
wait_bounded() {
	if ! wait_until "$TEST_TIMEOUT" job_ended "$1"; then
		echo "wait_bounded: job $1 still runs after $TEST_TIMEOUT s: killed" >&2
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1"
}

# asan_build: the command under test is built with AddressSanitizer, whose
# run time reserves memory, reads /proc at start and makes system calls
# of its own.
asan_build() {
	ldd "$(command -v "$SETLASTPID")" 2>/dev/null | grep -q libasan
}

# sweep_delays TRIALS COMMAND...: the delays of a signal sweep (signal-at,
# SIGNAL_AT) of TRIALS runs of COMMAND, fitted to how long COMMAND takes
# here and now: an ASan build, a cold or a busy machine take several times
# longer than a quiet one, and delays fixed in advance can all miss the
# window the sweep aims at. COMMAND is run undisturbed once to warm up
# (the first run of a cold machine is far the longest), then SWEEP_RUNS
# (5) times, each timed by signal-at from fork to exit; the median, not
# thrown by one slow run, goes into SWEEP_SPAN (microseconds). SWEEP_DELAYS
# gets TRIALS delays evenly from 0, before COMMAND starts, to 3/2 of the
# span, past its end. Each run of COMMAND must exit 0, and leave the
# caller's state as a trial of the sweep would find it. The pace of a busy
# machine changes while it is swept: a sweep none of whose trials landed
# in its window is measured and swept again, up to SWEEP_PASSES (3) sweeps
# in all, before its test fails for a missed window.
sweep_delays() {
	local trials=$1 i status out t
	shift
	local -a times=()
	for ((i = 0; i <= ${SWEEP_RUNS:-5}; i++)); do
		status=0
		out=$(bounded "$SIGNAL_AT" -e 0 0 "$@" 2>&1 >/dev/null) || status=$?
		t=$(sed -n 's/^elapsed \([0-9][0-9]*\)$/\1/p' <<<"$out")
		if [ "$status" != 0 ] || [ -z "$t" ]; then
			printf 'sweep_delays: the undisturbed run exited %s:\n  %s\n%s\n' "$status" "$*" "$out" >&2
			return 1
		fi
		((i == 0)) || times+=("$t")
	done
	mapfile -t times < <(printf '%s\n' "${times[@]}" | sort -n)
	SWEEP_SPAN=${times[${#times[@]} / 2]}
	SWEEP_DELAYS=()
	for ((i = 0; i < trials; i++)); do
		SWEEP_DELAYS+=($((SWEEP_SPAN * 3 * i / (2 * (trials > 1 ? trials - 1 : 1)))))
	done
}

# requires WHAT...: skip the test, saying why, unless each WHAT holds.
requires() {
	local what
	for what in "$@"; do
		case $what in
		root) [ "$(id -u)" = 0 ] || skip "needs root" ;;
		userns) unshare --user true 2>/dev/null || skip "needs user namespaces" ;;
		*) echo "requires: unknown '$what'" >&2; return 1 ;;
		esac
	done
}

# The nests a test made, killed by teardown whatever happened.
NEST_KILL=()

# nest_create DEPTH [COMMAND...]: make DEPTH nested pid namespaces below
# the caller's, held by a process in the innermost, whose pid as the test
# sees it goes into NEST. COMMAND (nsenter --user, say) runs the nest.
nest_create() {
	local depth=$1 i pidfile
	shift
	# the nest dies with the test even if the test is killed outright
	local cmd=(setpriv --pdeathsig KILL "$@")
	pidfile=$(mktemp "$BATS_TEST_TMPDIR/nest.XXXXXX")
	for ((i = 0; i < depth; i++)); do
		cmd+=(unshare --pid --fork --kill-child)
	done
	# /proc is the test's, so the shell's /proc/self/stat has the test's view
	# of its pid; exec keeps that pid for sleep.
	cmd+=(sh -c 'read -r pid rest </proc/self/stat && echo "$pid" >"$1" && exec sleep infinity' sh "$pidfile")
	"${cmd[@]}" </dev/null >/dev/null 2>&1 &
	NEST_KILL+=("$!")
	wait_until 10 test -s "$pidfile" || true
	NEST=$(cat "$pidfile")
	[ -n "$NEST" ] || { echo "nest_create: the nest did not start" >&2; return 1; }
}

# kill_and_reap PID...: SIGKILL each, and reap it (a test's own children).
kill_and_reap() {
	local pid
	for pid in "$@"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# Kill every nest: the outer unshare's SIGKILL takes its child, the outer
# namespace's init, and with it every namespace below.
nest_destroy_all() {
	kill_and_reap "${NEST_KILL[@]}"
	NEST_KILL=()
}

# next_nspid PID: the NSpid of the next process created in PID's pid
# namespace, as a user would see it: outermost first, the test's level too.
next_nspid() {
	nsenter --target "$1" --pid -- awk '/^NSpid:/ { $1 = ""; print substr($0, 2) }' /proc/self/status
}

# probe_levels PID: next_nspid without the test's own level, which the
# rest of the system shares, innermost first like VECTOR.
probe_levels() {
	local -a nspid
	read -r -a nspid <<<"$(next_nspid "$1")"
	local i out=()
	for ((i = ${#nspid[@]} - 1; i > 0; i--)); do
		out+=("${nspid[i]}")
	done
	echo "${out[*]}"
}

# plus VALUES N: add N to each value.
plus() {
	local values=$1 n=$2 v out=()
	for v in $values; do
		out+=($((v + n)))
	done
	echo "${out[*]}"
}

# Run before a command that must fail: remembers the next pids.
remember_levels() {
	BEFORE=$(probe_levels "$NEST")
}

# After it: the next pids are those remembered, one on (the probe itself).
assert_unchanged() {
	local after want
	after=$(probe_levels "$NEST")
	want=$(plus "$BEFORE" 1)
	if [ "$after" != "$want" ]; then
		echo "levels changed: next pids innermost first were '$BEFORE', now '$after', want '$want'" >&2
		return 1
	fi
}

# assert_next PID "X Y Z": the next process there gets these pids,
# innermost first, for as many levels as given.
assert_next() {
	local got want=$2
	got=$(probe_levels "$1")
	got=$(echo "$got" | cut -d' ' -f1-"$(wc -w <<<"$want")")
	if [ "$got" != "$want" ]; then
		echo "next pids innermost first: got '$got', want '$want'" >&2
		return 1
	fi
}

# assert_stderr_is LINE: exactly one line, this one.
assert_stderr_is() {
	if [ "$stderr" != "$1" ]; then
		printf 'stderr was:\n%s\nwant:\n%s\n' "$stderr" "$1" >&2
		return 1
	fi
}

# assert_one_error_line [PATTERN]: one "setlastpid: " line on stderr.
assert_one_error_line() {
	local lines
	lines=$(printf '%s\n' "$stderr" | grep -c '') || true
	if [ "$lines" != 1 ] || [[ $stderr != "setlastpid: "* ]]; then
		printf 'want one "setlastpid: " line on stderr, got:\n%s\n' "$stderr" >&2
		return 1
	fi
	if [ $# -gt 0 ] && [[ $stderr != *"$1"* ]]; then
		printf 'stderr does not say "%s":\n%s\n' "$1" "$stderr" >&2
		return 1
	fi
}

# processes_in_nest: how many processes are in the nest's innermost namespace.
processes_in_nest() {
	local ns
	ns=$(readlink "/proc/$NEST/ns/pid")
	# one readlink for all: each process spawned costs in the emulated guest
	readlink /proc/[0-9]*/ns/pid 2>/dev/null | grep -cxF "$ns"
}

pid_max() {
	cat /proc/sys/kernel/pid_max
}

# Does this kernel give each pid namespace a pid_max of its own (Linux 6.14+)?
pid_max_per_ns() {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	minor=${minor%%[!0-9]*}
	[ "$major" -gt 6 ] || { [ "$major" = 6 ] && [ "$minor" -ge 14 ]; }
}

# nest_pid_max PID: the pid_max of PID's pid namespace, read by a task
# there (it takes a pid there: read it before remember_levels).
nest_pid_max() {
	nsenter --target "$1" --pid -- cat /proc/sys/kernel/pid_max
}

# probe_pids N: how many pids a dry run's helpers take in each of N
# levels, innermost first: on Linux 6.14+ one helper per level reads its
# pid_max from inside, and the helper of level i has a pid in levels i
# and above; elsewhere none.
probe_pids() {
	local i out=()
	for ((i = 0; i < $1; i++)); do
		if pid_max_per_ns; then out+=($((i + 1))); else out+=(0); fi
	done
	echo "${out[*]}"
}

# assert_unchanged_but N...: as assert_unchanged, each level also moved
# on by the number given for it (pids our own helpers took).
assert_unchanged_but() {
	local -a before moved
	read -r -a before <<<"$BEFORE"
	read -r -a moved <<<"$*"
	local i want=()
	for ((i = 0; i < ${#moved[@]}; i++)); do
		want+=($((before[i] + 1 + moved[i])))
	done
	assert_next "$NEST" "${want[*]}"
}

# assert_moved MOVES: since remember_levels, each level's next pid has
# moved on by its MOVE, N or MIN..MAX, innermost first (the probe's one
# included): for runs whose own tasks are known only within bounds.
assert_moved() {
	local -a before after moves
	read -r -a before <<<"$BEFORE"
	read -r -a after <<<"$(probe_levels "$NEST")"
	read -r -a moves <<<"$1"
	local i lo hi
	for ((i = 0; i < ${#moves[@]}; i++)); do
		lo=${moves[i]%..*} hi=${moves[i]#*..}
		if ((after[i] - before[i] < lo || after[i] - before[i] > hi)); then
			echo "levels moved: '$BEFORE' -> '${after[*]}', want moves of '$1'" >&2
			return 1
		fi
	done
}

# The systemd units make builds (systemd/*.in, with the sbindir
# setlastpid is installed in), and that sbindir.
SETLASTPID_UNITS=${SETLASTPID_UNITS:-systemd}
SETLASTPID_SBINDIR=${SETLASTPID_SBINDIR:-}

# unit_value UNIT KEY: the value of KEY= in UNIT, the last if there are
# several; fails, saying so, if there is none.
unit_value() {
	local file=$SETLASTPID_UNITS/$1 value
	[ -r "$file" ] || { echo "unit_value: no $file: the units are made by make" >&2; return 1; }
	value=$(sed -n "s/^$2=//p" "$file" | tail -n 1)
	[ -n "$value" ] || { echo "unit_value: no $2= in $file" >&2; return 1; }
	printf '%s\n' "$value"
}

# unit_argv SERVICE INSTANCE SOCKET: UNIT_ARGV, SERVICE's ExecStart= as
# systemd would run it for INSTANCE (an escaped path: %i as given, %f
# unescaped), with the setlastpid under test for the installed one and
# SOCKET for its socket unit's ListenDatagram=, which --serve= must name.
unit_argv() {
	local service=$1 instance=$2 sock=$3 listen path='' word i
	local -a words
	listen=$(unit_value "${service%.service}.socket" ListenDatagram) || return 1
	mapfile -t words < <(unit_value "$service" ExecStart | xargs printf '%s\n')
	[ ${#words[@]} -gt 0 ] || return 1
	if [ -n "$instance" ]; then
		path=$(systemd-escape --unescape --path -- "$instance") || return 1
	fi
	local bin=${SETLASTPID_SBINDIR:-${words[0]%/*}}/setlastpid
	if [ "${words[0]}" != "$bin" ]; then
		echo "unit_argv: $service runs '${words[0]}', not $bin" >&2
		return 1
	fi
	UNIT_ARGV=("$SETLASTPID")
	for ((i = 1; i < ${#words[@]}; i++)); do
		word=${words[i]}
		if [ "$word" = "--serve=$listen" ]; then word=--serve=$sock; fi
		word=${word//%i/$instance}
		word=${word//%f/$path}
		if [[ $word == *%* ]]; then
			echo "unit_argv: $service: a specifier left in '$word'" >&2
			return 1
		fi
		UNIT_ARGV+=("$word")
	done
	if [[ " ${UNIT_ARGV[*]} " != *" --serve=$sock "* ]]; then
		echo "unit_argv: $service does not serve its socket's $listen" >&2
		return 1
	fi
}

# unit_caps SERVICE: its CapabilityBoundingSet=, which its
# AmbientCapabilities= must be, as setpriv's --bounding-set (-all,+name...).
unit_caps() {
	local bounding ambient cap caps=-all
	bounding=$(unit_value "$1" CapabilityBoundingSet) || return 1
	ambient=$(unit_value "$1" AmbientCapabilities) || return 1
	if [ "$bounding" != "$ambient" ]; then
		echo "unit_caps: $1: CapabilityBoundingSet=$bounding but AmbientCapabilities=$ambient" >&2
		return 1
	fi
	for cap in $bounding; do
		cap=${cap#CAP_}
		caps+=,+${cap,,}
	done
	echo "$caps"
}

teardown() {
	nest_destroy_all
}
