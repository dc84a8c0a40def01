#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# shellcheck disable=SC2317 # each test's arrange is called by agree_phase
# The dry-run agreement suite: setlastpid -n ARGS exits 0 exactly when
# setlastpid ARGS would, and otherwise with the real run's status; the dry
# run changes nothing (on Linux 6.14+ its helpers take a pid per level
# named, to read each level's pid_max from inside: setlastpid(8)); a real
# run that fails changes no level and runs no COMMAND. Each case is run
# twice, each time on a fresh set-up of its own: first the dry run, then
# the real one. The cases marked KNOWN DEFECT or FOUND fail on the code
# this suite was written against; their fix is under way. With
# AGREE_MESSAGES=1 the suite also says where both runs fail alike but
# with different lines. Not here, as setlastpid(8) excepts them: 75 (a
# race no dry run can foresee), and a dry run asked of a server of
# set_ns_last_pid's protocol alone (69, where the real run may say 0).

load helpers

setup() {
	requires root
	SERVERS=()
	FDS=()
	SETUPS=0
}

teardown() {
	clean_up
}

# --- the harness --------------------------------------------------------

# arrange: make one set-up. The default: a nest two deep. A test that
# needs another defines its own; it sets NEST (the nest whose levels are
# looked at) and may set NS (--ns; NEST's by default), RUN (what
# setlastpid runs under: nsenter, setpriv, a mount namespace...), SLACK
# (how many pids RUN itself takes in each level of the nest), OUTER and
# SOCK (a server's socket; serve starts it). CASE_TMP is the set-up's own
# directory.
arrange() {
	nest_create 2
}

# clean_up: end every process and descriptor a set-up made.
clean_up() {
	local fd
	kill_and_reap "${SERVERS[@]}"
	SERVERS=()
	for fd in "${FDS[@]}"; do
		exec {fd}<&-
	done
	FDS=()
	nest_destroy_all
}

# fill_into ARRAY WORD...: ARRAY, each WORD with %NS, %NEST, %OUTER,
# %SOCK and %TMP replaced by the set-up's own.
fill_into() {
	local -n into=$1
	local word
	shift
	into=()
	for word in "$@"; do
		word=${word//%NEST/$NEST}
		word=${word//%NS/$NS}
		word=${word//%OUTER/$OUTER}
		word=${word//%SOCK/$SOCK}
		into+=("${word//%TMP/$CASE_TMP}")
	done
}

# split_args ARG...: VECTOR, COMMAND and NEW_PIDNS of a command line of
# setlastpid's (options before VECTOR; --ns and -m take the next word).
split_args() {
	VECTOR='' COMMAND=() NEW_PIDNS=no
	while [ $# -gt 0 ]; do
		case $1 in
		--ns | -m | --method) shift ;;
		--new-pidns) NEW_PIDNS=yes ;;
		-*) ;;
		*)
			VECTOR=$1
			shift
			[ "${1:-}" != -- ] || shift
			COMMAND=("$@")
			return 0
			;;
		esac
		[ $# = 0 ] || shift
	done
}

# assert_unchanged_within MODE VALUES: as assert_unchanged, every level of
# the nest, but each may have moved on by the pids of tasks the run made
# (an upper bound: a check that fails may stop before the last of them):
# in a dry run, those of probe_pids, its helpers that read pid_max, and
# the maker of --new-pidns; in a real run, a helper per level named, the maker of --new-pidns and
# COMMAND's fork; and in either, SLACK, RUN's own. A write of VECTOR's far
# values, or a counter left wrapped to 300, is outside it.
assert_unchanged_within() {
	local mode=$1 values=$2 i extra moved bad=0
	local -a before after probe allowed=()
	# shellcheck disable=SC2153 # remember_levels sets BEFORE
	read -r -a before <<<"$BEFORE"
	read -r -a after <<<"$(probe_levels "$NEST")"
	read -r -a probe <<<"$(probe_pids "$values")"
	for ((i = 0; i < ${#before[@]}; i++)); do
		if [ "$mode" = dry ]; then
			extra=${probe[i]:-${probe[values - 1]}}
			# --new-pidns below a level not setlastpid's own: the maker,
			# made there first to see that a namespace fits below, as a
			# real run makes it before its first write (setlastpid(8))
			[ "$NEW_PIDNS" = no ] || extra=$((extra + 1))
		else
			extra=$((i < values ? i + 1 + 2 : values + 2))
		fi
		extra=$((extra + SLACK))
		allowed+=("$extra")
		moved=$((${after[i]:-0} - before[i] - 1))
		((moved >= 0 && moved <= extra)) || bad=1
	done
	if ((bad)); then
		echo "$mode run: levels changed: next pids innermost first were '$BEFORE', now '${after[*]}', want each on by 1 (the probe) and at most '${allowed[*]}' more (the run's own tasks)" >&2
		return 1
	fi
}

# plus_one VECTOR: VECTOR + 1, space-separated, innermost first.
plus_one() {
	plus "${1//,/ }" 1
}

# agree_phase MODE WANT ARG...: one run, dry or real, of setlastpid ARG...
# under RUN, on a fresh set-up; its status in PHASE_STATUS. WANT is the
# status it must exit with, or '*' for any. PHASE_FAILED is 1, and standard
# error says why, if a check fails. (Called bare, never in a condition:
# a set-up that fails stops the test.)
agree_phase() {
	local mode=$1 want=$2 failed=0
	shift 2
	clean_up
	SETUPS=$((SETUPS + 1))
	CASE_TMP=$BATS_TEST_TMPDIR/setup.$SETUPS
	mkdir "$CASE_TMP"
	NEST='' NS='' OUTER='' SLACK=0 SOCK=$CASE_TMP/sock RUN=()
	arrange
	NS=${NS:-/proc/$NEST/ns/pid}
	local -a run args values
	fill_into run "${RUN[@]}"
	fill_into args "$@"
	split_args "${args[@]}"
	[ "$mode" = real ] || args=(-n "${args[@]}")
	remember_levels
	run_bounded --separate-stderr "${run[@]}" "$SETLASTPID" "${args[@]}"
	PHASE_STATUS=$status
	if [ "$want" != '*' ] && [ "$status" != "$want" ]; then
		echo "$mode run: status $status, want $want; stderr: $stderr" >&2
		failed=1
	fi
	if [ "$status" = 0 ]; then
		[ -z "$stderr" ] || { echo "$mode run: exit 0 with stderr: $stderr" >&2; failed=1; }
	else
		assert_one_error_line || failed=1
	fi
	# AGREE_MESSAGES=1: say (as a TAP comment) where the two runs fail
	# alike but say it differently: numbers (pids, inodes, the set-up's
	# directory) and the real run's "put back" aside
	if [ -n "${AGREE_MESSAGES:-}" ] && [ "$mode" = real ] && [ "$status" != 0 ] && [ "$status" = "$DRY_STATUS" ]; then
		local said
		said=$(printf '%s\n%s\n' "$DRY_STDERR" "${stderr%; the levels written were put back}" | sed -E 's/[0-9]+/N/g' | uniq | wc -l)
		[ "$said" = 1 ] ||
			printf '# messages differ, status %s:\n#  dry:  %s\n#  real: %s\n' "$status" "$DRY_STDERR" "$stderr" >&3
	fi
	if [ "$status" = 0 ] && [ "$mode" = real ]; then
		local want_pids
		want_pids=$(plus_one "$VECTOR")
		if [ ${#COMMAND[@]} -gt 0 ]; then
			# COMMAND is OWN_PIDS: its pids, innermost first
			[ "$NEW_PIDNS" = no ] || want_pids="1 $want_pids"
			[[ "$output " == "$want_pids "* ]] ||
				{ echo "real run: COMMAND got '$output', want '$want_pids ...'" >&2; failed=1; }
		else
			assert_next "$NEST" "$want_pids" || failed=1
		fi
	else
		[ "$mode" = real ] || [ "$status" != 0 ] || [[ $output == would\ * ]] ||
			{ echo "dry run: exit 0 but no 'would' line: $output" >&2; failed=1; }
		IFS=, read -r -a values <<<"$VECTOR"
		assert_unchanged_within "$mode" "${#values[@]}" || failed=1
		[ ! -e "$CASE_TMP/ran" ] || { echo "$mode run: COMMAND ran" >&2; failed=1; }
	fi
	PHASE_FAILED=$failed
}

# agree STATUS ARG...: the case. setlastpid -n ARG... on a fresh set-up
# (arrange), then setlastpid ARG... on another: both exit STATUS ('*':
# whatever the dry run says, the real run says too). The dry run changes
# no level; so does the real run if it fails, and its COMMAND (touch
# %TMP/ran, in those cases) does not run; a real run that succeeds sets
# each level named to VECTOR (the next process gets VECTOR + 1), or, with
# COMMAND (OWN_PIDS, in those cases), runs it at VECTOR + 1 (with
# --new-pidns, as pid 1 below). Both runs are made whatever the first
# says, so that a failure tells both.
agree() {
	local want=$1 dry dry_failed real_want
	shift
	DRY_STATUS='' DRY_STDERR=''
	agree_phase dry "$want" "$@"
	dry=$PHASE_STATUS dry_failed=$PHASE_FAILED DRY_STATUS=$PHASE_STATUS DRY_STDERR=$stderr
	real_want=$want
	[ "$want" != '*' ] || real_want=$dry
	agree_phase real "$real_want" "$@"
	if [ "$dry_failed$PHASE_FAILED" != 00 ]; then
		[ "$want" != '*' ] || want='the same'
		echo "DISAGREE: ${AGREE_CONTEXT:-}dry run $dry, real run $PHASE_STATUS, want $want: setlastpid $*" >&2
		return 1
	fi
}

# --- set-ups ----------------------------------------------------------

# level_pid I: the pid (as the test sees it) of a process in level I of
# the nest, 0 being NEST's own: NEST's I-th ancestor (nest_create's
# unshares: each level's init is the child of the one a level up).
level_pid() {
	local pid=$NEST i stat
	for ((i = 0; i < $1; i++)); do
		read -r stat <"/proc/$pid/stat"
		stat=${stat##*) }
		read -r _ pid _ <<<"$stat"
	done
	echo "$pid"
}

# set_pid_max I MAX: level I's own pid_max, written from inside it (Linux
# 6.14+; the test skips before).
set_pid_max() {
	pid_max_per_ns || skip "this kernel has one pid_max for all (before Linux 6.14)"
	# shellcheck disable=SC2016 # expanded by the shell in the level
	bounded nsenter --target "$(level_pid "$1")" --pid -- sh -c 'echo "$1" >/proc/sys/kernel/pid_max' sh "$2"
}

# nest_in_outer DEPTH: a nest of the test's own, OUTER, and DEPTH levels
# below it, NEST, made from inside OUTER (so that OUTER's init lives on
# when NEST's ends).
nest_in_outer() {
	nest_create 1
	OUTER=$NEST
	nest_create "$1" nsenter --target "$OUTER" --pid --
}

requires_initial_pidns() {
	[ "$(grep NSpid /proc/self/status | wc -w)" = 2 ] ||
		skip "needs to run in the initial pid namespace to nest 32 deep"
}

# serving LOG PID: the server has said it serves, or has exited.
serving() {
	grep -q '^setlastpid: serving ' "$1" || job_ended "$2"
}

# serve: setlastpid --serve=SOCK for NEST, in the background (teardown and
# clean_up end it), once it says it serves.
serve() {
	local log=$CASE_TMP/server.log
	"$SETLASTPID" --serve="$SOCK" --ns "/proc/$NEST/ns/pid" --verbose </dev/null >/dev/null 2>"$log" &
	SERVERS+=("$!")
	wait_until "$TEST_TIMEOUT" serving "$log" "$!"
	grep -q '^setlastpid: serving ' "$log" || { cat "$log" >&2; return 1; }
}

# The runners. In the nest: nsenter's child is setlastpid (one pid).
IN_NEST=(nsenter --target %NEST --pid --)
# Root without a capability left: in its own level, setlastpid spins.
NO_CAPS=(setpriv --inh-caps=-all --bounding-set=-all --)
# A container's read-only /proc/sys: a read-only bind mount in a mount
# namespace of the run's own (the machine's /proc/sys stays as it is).
RO_SYS=(unshare --mount --propagation private -- sh -c 'mount --bind -o ro /proc/sys /proc/sys && exec "$@"' sh)
# Followed by N: RLIMIT_NOFILE N, and no descriptor open but 0, 1 and 2
# (none of bats' own), so that N counts setlastpid's own.
# shellcheck disable=SC2016 # expanded by that shell
WITH_NOFILE=(bash -c 'for fd in /proc/self/fd/*; do
	fd=${fd##*/}
	if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null; fi
done
exec prlimit "--nofile=$0:$0" -- "$@"')

# A kernel without CONFIG_CHECKPOINT_RESTORE: pid_max, and no ns_last_pid.
# shellcheck disable=SC2016 # expanded by the shell in the mount namespace
LACKING=(unshare --mount --propagation private -- sh -c 'max=$(cat /proc/sys/kernel/pid_max) &&
	mount -t tmpfs none /proc/sys/kernel && echo "$max" >/proc/sys/kernel/pid_max && exec "$@"' sh)
# /proc/sys/kernel hidden under an empty directory (tests/fallback.bats's
# way to show a kernel without ns_last_pid), the set-up's own.
# shellcheck disable=SC2016 # expanded by the shell in the mount namespace
HIDDEN_KERNEL=(unshare --mount --propagation private -- sh -c 'mount --bind "$0" /proc/sys/kernel && exec "$@"' %TMP)

# dead_level: NS, a pid namespace whose init has exited (held open by a
# descriptor of the test's, passed on to setlastpid), below OUTER, which
# the probes look at: no process can be created there any more.
dead_level() {
	local fd
	nest_in_outer 1
	exec {fd}<"/proc/$NEST/ns/pid"
	FDS+=("$fd")
	kill -KILL "$NEST"
	wait_until 10 test ! -e "/proc/$NEST"
	NS=/proc/self/fd/$fd
	NEST=$OUTER
	SLACK=1	# level 1 of VECTOR is level 0 of the probe
}

# --- 0: both say yes, and the real run does it -------------------------

@test "0: --ns, three levels, the default method" {
	arrange() { nest_create 3; }
	agree 0 --ns %NS 500,400,300
}

@test "0: a VECTOR shorter than the nest sets the innermost levels" {
	arrange() { nest_create 3; }
	agree 0 --ns %NS 300,200
}

@test "0: --method=sysctl, COMMAND at VECTOR + 1" {
	arrange() { nest_create 3; }
	agree 0 --method=sysctl --ns %NS 510,410,310 -- "${OWN_PIDS[@]}"
}

@test "0: the caller's own level, from inside the nest" {
	arrange() { nest_create 2; RUN=("${IN_NEST[@]}"); SLACK=1; }
	agree 0 700
}

@test "0: --exact at depth 3" {
	arrange() { nest_create 3; }
	agree 0 --exact --ns %NS 900,800,700 -- "${OWN_PIDS[@]}"
}

@test "0: --lock, COMMAND at VECTOR + 1" {
	agree 0 --lock --ns %NS 600,500 -- "${OWN_PIDS[@]}"
}

@test "0: --new-pidns, COMMAND pid 1 below, VECTOR + 1 above" {
	agree 0 --new-pidns --ns %NS 400,300 -- "${OWN_PIDS[@]}"
}

@test "0: --exact --new-pidns" {
	agree 0 --exact --new-pidns --ns %NS 450,350 -- "${OWN_PIDS[@]}"
}

@test "0: at pid_max - 2 COMMAND gets pid_max - 1, the last pid before the wrap" {
	arrange() { nest_create 2; set_pid_max 0 2000; }
	agree 0 --ns %NS 1998 -- "${OWN_PIDS[@]}"
}

@test "0: unprivileged, the default method falls back to spin, in its own level" {
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree 0 3000
}

@test "0: unprivileged spin, COMMAND at VALUE + 1" {
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree 0 3100 -- "${OWN_PIDS[@]}"
}

@test "0: --method=spin by root" {
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}"); SLACK=1; }
	agree 0 --method=spin 2000
}

@test "0: read-only /proc/sys, with CAP_SYS_ADMIN: written behind it, every level" {
	arrange() { nest_create 2; RUN=("${RO_SYS[@]}"); }
	agree 0 --ns %NS 800,700
}

@test "0: read-only /proc/sys, with CAP_SYS_ADMIN, the caller's own level" {
	arrange() { nest_create 2; RUN=("${RO_SYS[@]}" "${IN_NEST[@]}"); SLACK=1; }
	agree 0 810
}

@test "0: read-only /proc/sys, no capability: the default method spins" {
	arrange() { nest_create 1; RUN=("${RO_SYS[@]}" "${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree 0 2500
}

@test "0: read-only /proc/sys, in an unprivileged user namespace: the default method spins" {
	requires userns
	arrange() { nest_create 1; RUN=("${RO_SYS[@]}" "${IN_NEST[@]}" unshare --user --map-root-user --); SLACK=1; }
	agree 0 2600
}

@test "0: read-only /proc/sys, CAP_CHECKPOINT_RESTORE without CAP_SYS_ADMIN: --exact" {
	arrange() {
		nest_create 1
		RUN=("${RO_SYS[@]}" "${IN_NEST[@]}" setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin --)
		SLACK=1
	}
	agree 0 --exact 900 -- "${OWN_PIDS[@]}"
}

@test "0: --connect, the server sets every level" {
	arrange() { nest_create 2; serve; }
	agree 0 --connect=%SOCK 700,600
}

@test "0: --connect -- COMMAND in level 0: COMMAND at VECTOR + 1" {
	arrange() { nest_create 2; serve; RUN=("${IN_NEST[@]}"); SLACK=1; }
	agree 0 --connect=%SOCK 900 -- "${OWN_PIDS[@]}"
}

# --- 64 ---------------------------------------------------------------

@test "64: --exact without COMMAND" {
	agree 64 --exact --ns %NS 500
}

# --- 65: the vector does not fit -----------------------------------------

@test "65: a value above the kernel's pid_max limit" {
	agree 65 --ns %NS 100,4194305
}

@test "65: a value above a level's own pid_max, the sysctl method" {
	arrange() { nest_create 2; set_pid_max 0 1000; }
	agree 65 --method=sysctl --ns %NS 1500,50
}

@test "65: more values than levels" {
	agree 65 --ns %NS 10,20,30,40
}

@test "65: --ns is no pid namespace" {
	agree 65 --ns /proc/%NEST/ns/net 5
}

@test "65: COMMAND would get setlastpid's own pid" {
	# the shell reads the counter with a builtin and execs setlastpid: its
	# pid is the counter's C; OWN is C - 1, so that COMMAND would get C
	arrange() {
		nest_create 2
		# shellcheck disable=SC2016 # expanded by the shell in the nest
		RUN=("${IN_NEST[@]}" bash -c 'read -r c </proc/sys/kernel/ns_last_pid && exec "$0" "${@/#OWN/$((c - 1))}"')
		SLACK=1
	}
	agree 65 OWN -- touch %TMP/ran
}

@test "65: a pid COMMAND needs is in use (pid 1 of level 1)" {
	agree 65 --ns %NS 800,0 -- touch %TMP/ran
}

@test "65: a level above the caller's, the sysctl method" {
	arrange() { nest_in_outer 1; RUN=("${IN_NEST[@]}"); SLACK=1; }
	agree 65 --ns /proc/%OUTER/ns/pid 5100 -- touch %TMP/ran
}

@test "65: --new-pidns below the deepest level, the whole VECTOR" {
	requires_initial_pidns
	arrange() { nest_create 32; }
	agree 65 --new-pidns --ns %NS "$(seq -s, 100 10 410)" -- touch %TMP/ran
}

@test "65: --exact at pid_max - 1 of the kernel's limit" {
	agree 65 --exact --ns %NS 4194303 -- touch %TMP/ran
}

@test "65: spin to below 300 behind the counter" {
	arrange() {
		nest_create 1
		bounded "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 1000
		RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}")
		SLACK=1
	}
	agree 65 200
}

@test "65: spin further than --max-spin" {
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree 65 --max-spin=100 50000
}

@test "65: spin to pid_max, past what creating tasks reaches" {
	arrange() { nest_create 1; set_pid_max 0 3000; RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree 65 3000
}

@test "65: --connect, a value above pid_max" {
	arrange() { nest_create 2; serve; }
	agree 65 --connect=%SOCK 4194305
}

@test "65: --connect -- COMMAND outside level 0 of the served nest" {
	arrange() { nest_create 2; serve; }
	agree 65 --connect=%SOCK 800 -- touch %TMP/ran
}

@test "65: --connect -- COMMAND in level 0, its pid in use" {
	arrange() { nest_create 2; serve; RUN=("${IN_NEST[@]}"); SLACK=1; }
	agree 65 --connect=%SOCK 0 -- touch %TMP/ran
}

# --- 66, 69, 71 ---------------------------------------------------------

@test "66: --ns does not exist" {
	agree 66 --ns %TMP/no-such-namespace 5
}

@test "69: --method=ioctl on a kernel without NS_SET_LAST_PID_VEC" {
	! kernel_has_ioctl || skip "this kernel has NS_SET_LAST_PID_VEC"
	agree 69 --method=ioctl --ns %NS 500,400
}

@test "69: no ns_last_pid (a kernel without CONFIG_CHECKPOINT_RESTORE), --ns" {
	arrange() { nest_create 2; RUN=("${LACKING[@]}"); }
	agree 69 --ns %NS 700,600
}

@test "69: no ns_last_pid, --lock in the caller's own level" {
	arrange() { nest_create 2; RUN=("${LACKING[@]}" "${IN_NEST[@]}"); SLACK=1; }
	agree 69 --lock 720
}

@test "69: /proc is not mounted" {
	! asan_build || skip "an ASan build cannot start without /proc"
	arrange() {
		nest_create 2
		RUN=("${IN_NEST[@]}" unshare --mount --propagation private -- sh -c 'mount -t tmpfs none /proc && exec "$@"' sh)
		SLACK=2	# nsenter's child, mount
	}
	agree 69 950 -- touch %TMP/ran
}

@test "69: /proc shows another pid namespace, where setlastpid has no pid" {
	! asan_build || skip "an ASan build cannot start without /proc"
	# setlastpid in OUTER, with a /proc of NEST's, below it
	arrange() {
		nest_in_outer 1
		# shellcheck disable=SC2016 # expanded by the shell
		RUN=(nsenter --target %OUTER --pid -- unshare --mount --propagation private -- sh -c \
			'nsenter --target "$0" --pid -- mount -t proc proc /proc && exec "$@"' %NEST)
		SLACK=2	# nsenter's children
	}
	agree 69 970 -- touch %TMP/ran
}

@test "69: --connect, no server" {
	agree 69 --connect=%TMP/none 700
}

@test "71: no descriptor left (RLIMIT_NOFILE 5)" {
	arrange() { nest_create 2; RUN=("${WITH_NOFILE[@]}" 5); }
	agree 71 --ns %NS 700,500
}

@test "71: a level whose init has exited, the sysctl method" {
	arrange() { dead_level; }
	agree 71 --ns %NS 600,600
}

# --- 77: not permitted ---------------------------------------------------

@test "77: neither CAP_SYS_ADMIN nor CAP_CHECKPOINT_RESTORE, --ns" {
	arrange() {
		nest_create 2
		RUN=(setpriv "--inh-caps=-sys_admin,-checkpoint_restore" "--bounding-set=-sys_admin,-checkpoint_restore" --)
	}
	agree 77 --ns %NS 100,50
}

@test "77: unprivileged, --method=sysctl in its own level" {
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree 77 --method=sysctl 3200
}

@test "77: unprivileged, --exact" {
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree 77 --exact 3300 -- touch %TMP/ran
}

@test "77: unprivileged, spin asked for more than one level" {
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree 77 --method=spin 1500,3
}

@test "77: --new-pidns without CAP_SYS_ADMIN" {
	arrange() { nest_create 1; RUN=(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin --); }
	agree 77 --new-pidns --ns %NS 80 -- touch %TMP/ran
}

@test "77: read-only /proc/sys, no capability, --method=sysctl" {
	arrange() { nest_create 1; RUN=("${RO_SYS[@]}" "${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree 77 --method=sysctl 4300
}

@test "77: read-only /proc/sys, no capability, --ns" {
	arrange() { nest_create 2; RUN=("${RO_SYS[@]}" "${NO_CAPS[@]}"); }
	agree 77 --ns %NS 4200
}

@test "77: read-only /proc/sys, CAP_CHECKPOINT_RESTORE without CAP_SYS_ADMIN, --method=sysctl" {
	arrange() {
		nest_create 1
		RUN=("${RO_SYS[@]}" "${IN_NEST[@]}" setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin --)
		SLACK=1
	}
	agree 77 --method=sysctl 4400
}

@test "77: read-only /proc/sys, in an unprivileged user namespace, --method=sysctl" {
	requires userns
	arrange() { nest_create 1; RUN=("${RO_SYS[@]}" "${IN_NEST[@]}" unshare --user --map-root-user --); SLACK=1; }
	agree 77 --method=sysctl 4650
}

@test "77: ns_last_pid masked (/dev/null over it)" {
	arrange() {
		nest_create 2
		RUN=(unshare --mount --propagation private -- sh -c \
			'mount --bind /dev/null /proc/sys/kernel/ns_last_pid && exec "$@"' sh)
	}
	agree 77 --ns %NS 700,600
}

@test "77: --exact where a seccomp filter refuses clone3()" {
	[ -n "${SECCOMP_RUN:-}" ] && [ -x "$SECCOMP_RUN" ] ||
		skip "needs tests/faults/seccomp-run (libseccomp-dev at configure time)"
	arrange() { nest_create 2; RUN=("$SECCOMP_RUN" clone3:ENOSYS --); }
	agree 77 --exact --ns %NS 700,600 -- touch %TMP/ran
}

# --- known defects (they fail today; the fix is coming) -----------------

# KNOWN DEFECT 1: --exact does not check a level's own pid_max: the dry
# run says 0, the real run 71 (clone3 EINVAL).
@test "65: --exact, a value above level 0's own pid_max" {
	arrange() { nest_create 2; set_pid_max 0 1000; }
	agree 65 --exact --ns %NS 1500,500 -- touch %TMP/ran
}

# KNOWN DEFECT 1, at level 1.
@test "65: --exact, a value above level 1's own pid_max" {
	arrange() { nest_create 2; set_pid_max 1 1000; }
	agree 65 --exact --ns %NS 500,1500 -- touch %TMP/ran
}

# KNOWN DEFECT 1 and 5: --exact at a level's own pid_max - 1: pid_max is
# no pid (the kernel refuses set_tid = pid_max); dry 0, real 71.
@test "65: --exact at a level's own pid_max - 1" {
	arrange() { nest_create 2; set_pid_max 0 1000; }
	agree 65 --exact --ns %NS 999 -- touch %TMP/ran
}

# KNOWN DEFECT 2: --exact --ns a level above the caller's (the brief's
# /proc/1/ns/pid from inside a child namespace, here OUTER from inside
# NEST, so that the test stays in its own nest): dry 0, real 71 (setns
# EINVAL).
@test "65: --exact, --ns a level above the caller's" {
	arrange() { nest_in_outer 1; RUN=("${IN_NEST[@]}"); SLACK=1; }
	agree 65 --exact --ns /proc/%OUTER/ns/pid 5000 -- touch %TMP/ran
}

# KNOWN DEFECT 3: --new-pidns below level 32 with a VECTOR short enough
# to pass the depth check: the real run is 65, the dry run 0.
@test "65: --new-pidns below the deepest level, a short VECTOR" {
	requires_initial_pidns
	arrange() { nest_create 32; }
	agree 65 --new-pidns --ns %NS 500 -- touch %TMP/ran
}

# KNOWN DEFECT 3, with --exact.
@test "65: --exact --new-pidns below the deepest level, a short VECTOR" {
	requires_initial_pidns
	arrange() { nest_create 32; }
	agree 65 --exact --new-pidns --ns %NS 500 -- touch %TMP/ran
}

# KNOWN DEFECT 4: COMMAND that is not found: the dry run says 0; the real
# run sets the level, then says 127 (the next pid is VECTOR + 2).
@test "127: COMMAND not found, --ns" {
	agree 127 --ns %NS 9000 -- setlastpid-agreement-no-such-command
}

# KNOWN DEFECT 4: a COMMAND that cannot run: dry 0, real 126, level set.
@test "126: COMMAND not executable, --ns" {
	arrange() { nest_create 2; printf 'not a program\n' >"$CASE_TMP/data"; }
	agree 126 --ns %NS 9100 -- %TMP/data
}

# KNOWN DEFECT 4, in the caller's own level.
@test "127: COMMAND not found, the caller's own level" {
	arrange() { nest_create 2; RUN=("${IN_NEST[@]}"); SLACK=1; }
	agree 127 9200 -- setlastpid-agreement-no-such-command
}

# KNOWN DEFECT 4, with --exact: dry 0, real 127.
@test "127: COMMAND not found, --exact" {
	agree 127 --exact --ns %NS 9300 -- setlastpid-agreement-no-such-command
}

# KNOWN DEFECT 4, with --new-pidns: a directory for COMMAND.
@test "126: COMMAND a directory, --new-pidns" {
	agree 126 --new-pidns --ns %NS 9400 -- %TMP
}

# KNOWN DEFECT 4, through a server: dry 0, real 127 with level 0 set.
@test "127: --connect -- COMMAND not found" {
	arrange() { nest_create 2; serve; RUN=("${IN_NEST[@]}"); SLACK=1; }
	agree 127 --connect=%SOCK 1000 -- setlastpid-agreement-no-such-command
}

# KNOWN DEFECT 4, through a server: dry 0, real 126 with level 0 set.
@test "126: --connect -- COMMAND not executable" {
	arrange() { nest_create 2; serve; RUN=("${IN_NEST[@]}"); SLACK=1; printf 'data\n' >"$CASE_TMP/data"; }
	agree 126 --connect=%SOCK 1100 -- %TMP/data
}

# KNOWN DEFECT 5: the wrap at pid_max: VECTOR + 1 would be pid_max, which
# no process gets (the next wraps to 300). Dry 0; real 75, the counter
# left wrapped.
@test "65: COMMAND at pid_max, level 0" {
	arrange() { nest_create 2; set_pid_max 0 2000; }
	agree 65 --ns %NS 1999 -- touch %TMP/ran
}

# KNOWN DEFECT 5: VECTOR = pid_max, COMMAND past it.
@test "65: COMMAND past pid_max, level 0" {
	arrange() { nest_create 2; set_pid_max 0 2000; }
	agree 65 --ns %NS 2000 -- touch %TMP/ran
}

# KNOWN DEFECT 5, at level 1: real 75, level 0 left at its value, level 1
# wrapped.
@test "65: COMMAND at pid_max, level 1" {
	arrange() { nest_create 2; set_pid_max 1 2000; }
	agree 65 --ns %NS 500,1999 -- touch %TMP/ran
}

# KNOWN DEFECT 5, --method=sysctl.
@test "65: COMMAND at pid_max, --method=sysctl" {
	arrange() { nest_create 2; set_pid_max 0 2000; }
	agree 65 --method=sysctl --ns %NS 1999 -- touch %TMP/ran
}

# KNOWN DEFECT 5, --lock.
@test "65: COMMAND at pid_max, --lock" {
	arrange() { nest_create 2; set_pid_max 0 2000; }
	agree 65 --lock --ns %NS 1999 -- touch %TMP/ran
}

# KNOWN DEFECT 5, the caller's own level.
@test "65: COMMAND at pid_max, the caller's own level" {
	arrange() { nest_create 2; set_pid_max 0 2000; RUN=("${IN_NEST[@]}"); SLACK=1; }
	agree 65 1999 -- touch %TMP/ran
}

# KNOWN DEFECT 5, --new-pidns.
@test "65: COMMAND at pid_max, --new-pidns" {
	arrange() { nest_create 2; set_pid_max 0 2000; }
	agree 65 --new-pidns --ns %NS 1999 -- touch %TMP/ran
}

# KNOWN DEFECT 5, unprivileged spin: dry 0, real 75, the counter wrapped.
@test "65: COMMAND at pid_max, spin" {
	arrange() { nest_create 1; set_pid_max 0 3000; RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree 65 2999 -- touch %TMP/ran
}

# KNOWN DEFECT 5, at the kernel's limit, a nest's own pid_max by default
# on Linux 6.14+ (before, the machine's, and 65 for being above it).
@test "65: COMMAND at the kernel's pid_max limit" {
	agree 65 --ns %NS 4194303 -- touch %TMP/ran
}

# KNOWN DEFECT 6: --exact, VECTOR + 1 in use in level 0: dry 0, real 65.
@test "65: --exact, a pid in use in level 0" {
	agree 65 --exact --ns %NS 0,500 -- touch %TMP/ran
}

# KNOWN DEFECT 6, in level 1.
@test "65: --exact, a pid in use in level 1" {
	agree 65 --exact --ns %NS 500,0 -- touch %TMP/ran
}

# KNOWN DEFECT 6, --exact --new-pidns: VECTOR + 1 in level 0 is pid 1.
@test "65: --exact --new-pidns, a pid in use in level 1" {
	agree 65 --exact --new-pidns --ns %NS 500,0 -- touch %TMP/ran
}

# --- disagreements found while writing this suite (fail today) ----------

# FOUND: --exact into a namespace whose init has exited: the dry run says
# 0, the real run 71 (clone3 ENOMEM). Whatever the dry run says, the real
# run must say it too.
@test "same status: --exact into a level whose init has exited" {
	arrange() { dead_level; }
	agree '*' --exact --ns %NS 620,620 -- touch %TMP/ran
}

# FOUND: the caller's own level where /proc/sys/kernel is hidden (an
# empty directory over it, as tests/fallback.bats has it): the real run,
# one write and nothing before it, says 69; the dry run reads pid_max
# first and says 71.
@test "69: /proc/sys/kernel hidden, the caller's own level" {
	arrange() { nest_create 2; RUN=("${HIDDEN_KERNEL[@]}" "${IN_NEST[@]}"); SLACK=1; }
	agree 69 920
}

@test "69: /proc/sys/kernel hidden, --lock in the caller's own level" {
	arrange() { nest_create 2; RUN=("${HIDDEN_KERNEL[@]}" "${IN_NEST[@]}"); SLACK=1; }
	agree 69 --lock 900
}

# sweep_nofile LOW HIGH ARG...: agree '*' ARG... with RLIMIT_NOFILE at
# each of LOW to HIGH: a dry run short of descriptors must fail exactly
# when the real run would.
sweep_nofile() {
	local low=$1 high=$2
	shift 2
	for ((NOFILE = low; NOFILE <= high; NOFILE++)); do
		AGREE_CONTEXT="RLIMIT_NOFILE $NOFILE: "
		agree '*' "$@"
	done
}

# FOUND: short of descriptors, the dry run needs more than the real run
# (it opens each level's pid_max): from 8 (on this machine), dry 71, real 0.
@test "same status at every RLIMIT_NOFILE from 4 to 20: --ns, three levels" {
	arrange() { nest_create 3; RUN=("${WITH_NOFILE[@]}" "$NOFILE"); }
	sweep_nofile 4 20 --ns %NS 500,400,300
}

# FOUND: at 13, dry 71, real 0.
@test "same status at every RLIMIT_NOFILE from 4 to 20: --ns, three levels, COMMAND" {
	arrange() { nest_create 3; RUN=("${WITH_NOFILE[@]}" "$NOFILE"); }
	sweep_nofile 4 20 --ns %NS 510,410,310 -- "${OWN_PIDS[@]}"
}

# FOUND: the real run needs more than the dry run: from 15, dry 0, real 71.
@test "same status at every RLIMIT_NOFILE from 4 to 24: --new-pidns" {
	arrange() { nest_create 3; RUN=("${WITH_NOFILE[@]}" "$NOFILE"); }
	sweep_nofile 4 24 --new-pidns --ns %NS 540,440,340 -- "${OWN_PIDS[@]}"
}

# FOUND: at 14, dry 71, real 0.
@test "same status at every RLIMIT_NOFILE from 4 to 20: --lock, COMMAND" {
	arrange() { nest_create 3; RUN=("${WITH_NOFILE[@]}" "$NOFILE"); }
	sweep_nofile 4 20 --lock --ns %NS 530,430,330 -- "${OWN_PIDS[@]}"
}

# FOUND: the caller's own level, one write: at 4, dry 71 (pid_max), real 0.
@test "same status at every RLIMIT_NOFILE from 4 to 8: the caller's own level" {
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}" "${WITH_NOFILE[@]}" "$NOFILE"); SLACK=1; }
	sweep_nofile 4 8 700
}

@test "same status at every RLIMIT_NOFILE from 4 to 16: --exact" {
	arrange() { nest_create 3; RUN=("${WITH_NOFILE[@]}" "$NOFILE"); }
	sweep_nofile 4 16 --exact --ns %NS 520,420,320 -- "${OWN_PIDS[@]}"
}

# FOUND (review): a pid a process no longer has but its process group and
# session still do (their leader gone): in use all the same. Was: dry run
# 0, real run 75 ("try again", which never helps) or, --exact, 65 naming
# no level.
@test "65: a pid held by a process group and a session whose leader is gone" {
	arrange() {
		nest_create 2
		# pid 2 of the nest: sh, leader of a session of its own, gone; its
		# background sleep keeps the group and the session
		# shellcheck disable=SC2016 # expanded by that sh
		nsenter --target "$NEST" --pid -- setsid sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $$ >"$1"' \
			sh "$CASE_TMP/sid"
		wait_until 10 test -s "$CASE_TMP/sid"
		[ "$(cat "$CASE_TMP/sid")" = 2 ] || { echo "the session is $(cat "$CASE_TMP/sid"), not 2" >&2; return 1; }
	}
	agree 65 --ns %NS 1,7000 -- touch %TMP/ran
	agree 65 --exact --ns %NS 1,7000 -- touch %TMP/ran
	[[ $stderr == *"pid 2 is in use in level 0 (pid:["* ]]
}

# FOUND (review): a pid held by a session alone, whose leader is gone and
# whose member leads a process group of its own: kill() finds neither.
# Was, in the caller's own level: dry run 0, real run 75.
@test "65: a pid held by a session alone, in the caller's own level" {
	arrange() {
		nest_create 1
		RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}")
		[ "$METHOD" = spin ] || RUN=("${IN_NEST[@]}")
		# pid 500 of the nest: bash, leader of a session of its own, gone
		# and reaped (by the sh that waited for it); its background job (a
		# process group of its own: set -m) keeps the session; the nest's
		# counter then goes back to 10
		# shellcheck disable=SC2016 # expanded by those shells
		bounded nsenter --target "$NEST" --pid -- sh -c 'echo 499 >/proc/sys/kernel/ns_last_pid &&
			setsid bash -c "set -m; sleep 1000 </dev/null >/dev/null 2>&1 & echo \$\$ >\"\$0\"" "$1"' \
			sh "$CASE_TMP/sid"
		wait_until 10 test -s "$CASE_TMP/sid"
		[ "$(cat "$CASE_TMP/sid")" = 500 ] || { echo "the session is $(cat "$CASE_TMP/sid"), not 500" >&2; return 1; }
		bounded nsenter --target "$NEST" --pid -- sh -c 'echo 10 >/proc/sys/kernel/ns_last_pid'
		SLACK=1
	}
	METHOD=root agree 65 499 -- touch %TMP/ran
	METHOD=root agree 65 --exact 499 -- touch %TMP/ran
	METHOD=spin agree 65 499 -- touch %TMP/ran
	[[ $stderr == *"pid 500 is in use"* ]]
}

# FOUND (review): with hundreds of supplementary groups, /proc/PID/status
# is longer than 4 KiB and NSpid came after the part read. Was: COMMAND
# in the caller's own level, dry run 0, real run 71 after the write; the
# spin miscounted the pids in use, dry run 0, real run 75. A second review
# found a window (560 to 563 groups) where Groups still fit, and NSpid not.
@test "0: hundreds of supplementary groups: COMMAND at VALUE + 1, every method" {
	GROUPS_=$(seq -s, 100000 101200)
	arrange() {
		nest_create 2
		RUN=(setpriv --groups "$GROUPS_" --)
		[ "$WHERE" = own ] || return 0
		RUN=("${IN_NEST[@]}" setpriv --groups "$GROUPS_" --)
		[ "$METHOD" != spin ] || RUN+=(setpriv --inh-caps=-all --bounding-set=-all --)
		SLACK=1
	}
	WHERE=all agree 0 --ns %NS 700,600 -- "${OWN_PIDS[@]}"
	WHERE=all agree 0 --exact --ns %NS 710,610 -- "${OWN_PIDS[@]}"
	WHERE=own METHOD=root agree 0 2500 -- "${OWN_PIDS[@]}"
	# (review) Groups short enough to keep, NSpid after it past the buffer
	# once it was kept: 450 to 570 groups in a window of a few; each is
	# dropped now, as every line over STATUS_LINE_MAX is
	for count in 450 480 520 558 560 562 564 570; do
		GROUPS_=$(seq -s, 100000 $((100000 + count - 1)))
		AGREE_CONTEXT="$count groups: " WHERE=own METHOD=root agree 0 $((2800 + count)) -- "${OWN_PIDS[@]}"
	done
	GROUPS_=$(seq -s, 100000 101200)
	WHERE=own METHOD=spin agree 0 2600 -- "${OWN_PIDS[@]}"
	WHERE=own METHOD=spin agree 0 2700
}

# FOUND (review): short of descriptors, unprivileged, the real run needed
# one more than the dry run to explain a refused write: at 8, dry 0, real 71.
@test "same status at every RLIMIT_NOFILE from 4 to 12: unprivileged, COMMAND in the caller's own level" {
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}" "${WITH_NOFILE[@]}" "$NOFILE"); SLACK=1; }
	sweep_nofile 4 12 3300 -- "${OWN_PIDS[@]}"
}

# FOUND (review): a script whose "#!" interpreter is missing runs no more
# than a missing COMMAND does. Was: dry run 0, real run 127.
@test "127: COMMAND a script whose interpreter is missing" {
	arrange() {
		nest_create 2
		printf '#!/nonexistent/interpreter\n' >"$CASE_TMP/script"
		chmod 755 "$CASE_TMP/script"
	}
	agree 127 --ns %NS 600,500 -- %TMP/script
	agree 127 --exact --ns %NS 610,510 -- %TMP/script
}

# --- a floor, --at-least: its one task reading the counters is SLACK ---

@test "0: --at-least, every level below its value: raised, every method" {
	arrange() { nest_create 2; SLACK=1; }
	agree 0 --at-least --ns %NS 800,700
	agree 0 --at-least --method=sysctl --ns %NS 810,710
}

@test "0: --at-least, unprivileged, its own level: spun up to, as the dry run says" {
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=2; }
	agree 0 --at-least 3000
}

@test "0: --at-least through a server (SLP1's floor flag)" {
	arrange() { nest_create 2; serve; SLACK=1; }
	agree 0 --at-least --connect=%SOCK 700,600
}

@test "65: --at-least, a value above pid_max, or more values than levels" {
	agree 65 --at-least --ns %NS 5000000,1
	agree 65 --at-least --ns %NS 1,1,1,1,1,1,1,1
	arrange() { nest_create 2; serve; }
	agree 65 --at-least --connect=%SOCK 5000000
}

@test "same status at every RLIMIT_NOFILE from 4 to 20: --at-least, three levels and the caller's own" {
	arrange() { nest_create 3; RUN=("${WITH_NOFILE[@]}" "$NOFILE"); SLACK=1; }
	sweep_nofile 4 20 --at-least --ns %NS 560,460,360
	arrange() { nest_create 1; RUN=("${IN_NEST[@]}" "${WITH_NOFILE[@]}" "$NOFILE"); SLACK=2; }
	sweep_nofile 4 8 --at-least 760
}

@test "same status: --at-least, unprivileged, another namespace's levels" {
	arrange() { nest_create 2; RUN=("${NO_CAPS[@]}"); }
	agree '*' --at-least --ns %NS 800,700
	agree '*' --at-least --method=sysctl --ns %NS 800,700
}

@test "same status: --at-least, read-only /proc/sys, with and without CAP_SYS_ADMIN" {
	arrange() { nest_create 1; RUN=("${RO_SYS[@]}" "${IN_NEST[@]}" "${NO_CAPS[@]}"); SLACK=1; }
	agree '*' --at-least --method=sysctl 2700
	arrange() { nest_create 2; RUN=("${RO_SYS[@]}"); SLACK=1; }
	agree 0 --at-least --ns %NS 820,720
}
