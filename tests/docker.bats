#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the scripts run inside containers: their $ are theirs
# setlastpid inside real Docker containers, as users run it there:
# Debian's docker.io with runc and Docker's own built-in seccomp profile,
# from a dockerd of the tests' own and the image that
# tests/containers/setup-docker.sh imports (.ci/run runs it; elsewhere the
# suite skips, saying why). Each container runs a script of
# tests/containers/inside.sh's functions, as in tests/containers.bats,
# whose helpers this suite shares: setlastpid's status and standard error,
# and the pid a process created next got (the probes). Between two probes
# a script creates a known number of processes, so a probe tells whether a
# counter was changed. In each case the dry run, made first, and the real
# run agree.
#
# From the host, tests go into a container's pid namespace with --ns and
# never name the host's own level.

load helpers
load containers/helpers

setup_file() {
	ct_setup_file docker
}

teardown_file() {
	ct_teardown_file
}

teardown() {
	ct_teardown
}

# Docker's clone3 answer, as inside.sh's clone3 probe reads it
ENOSYS=38 EINVAL=22

@test "Docker's own seccomp profile: clone3 answers ENOSYS unless CAP_SYS_ADMIN (what --exact meets)" {
	ct_require docker
	# the built-in profile, not one of the suite's
	run_bounded -0 "${CT_DOCKER[@]}" info --format '{{json .SecurityOptions}}'
	[[ $output == *name=seccomp,profile=default* ]]
	ct_run -- 'clone3 c3'
	[ "$(ct_value c3)" = $ENOSYS ]
	ct_run --cap-drop=ALL -- 'clone3 c3'
	[ "$(ct_value c3)" = $ENOSYS ]
	ct_run --cap-add=SYS_ADMIN -- 'clone3 c3'
	[ "$(ct_value c3)" = $EINVAL ]
}

# config_json: runc's config.json for the container CT_NAME, as Docker
# wrote it (under the tests' own dockerd's exec root, or a system
# containerd's state directory where dockerd uses that), on one line.
config_json() {
	local id file dirs=("$CT_DOCKER_EXEC")
	id=$(ct_engine docker inspect -f '{{.Id}}' "$CT_NAME") && [ -n "$id" ] || return 1
	[ -d /run/containerd ] && dirs+=(/run/containerd)
	file=$(find "${dirs[@]}" -path "*/$id/config.json" -print -quit)
	[ -n "$file" ] || { echo "no config.json for $CT_NAME under ${dirs[*]}" >&2; return 1; }
	tr -d '\n' <"$file"
}

@test "runc's config.json as Docker writes it: /proc/sys in linux.readonlyPaths, out with systempaths=unconfined; clone3 errnoRet 38" {
	ct_require docker
	local json
	ct_start
	json=$(config_json)
	[[ $json == *'"readonlyPaths":['*'"/proc/sys"'* ]]
	[[ $(grep -o '"names":\["clone3"\][^}]*' <<<"$json") == *'"errnoRet":38'* ]]
	ct_start --security-opt systempaths=unconfined
	json=$(config_json)
	[[ $json != *'"/proc/sys"'* ]]
	[[ $json != *'"maskedPaths":['* ]]
}

# --- the default container, and with every capability dropped

# default_agrees [DOCKER-OPTIONS...]: /proc/sys read-only, no capability
# to write ns_last_pid, clone3 refused: --method=sysctl and --exact are
# refused (77), their dry runs too, and create nothing; the default
# method spins to 500 (the next pid is 501), as its dry run says.
# (The sysctl dry run names the capability where the real run names the
# read-only /proc/sys: the status alone is compared.)
default_agrees() {
	ct_run "$@" -- '
		probe p0; slp sdry -n --method=sysctl 600; slp sreal --method=sysctl 600; probe p1
		slp edry -n --exact 700 -- true; slp ereal --exact 700 -- true; probe p2
		slp dry -n 500; slp real 500; probe p3'
	ct_assert_status sdry 77
	ct_assert_status sreal 77
	ct_assert_one_line sreal -i "read-only" "/proc/sys"
	ct_assert_step p0 p1 3
	ct_assert_status edry 77
	ct_assert_status ereal 77
	ct_assert_one_line ereal
	ct_assert_not_said ereal "kernel lacks"
	ct_assert_step p1 p2 3
	ct_assert_status dry 0
	ct_assert_status real 0
	[[ $CT_OUT == *"to 500 via spin"* ]] || { echo "the dry run does not say it spins" >&2; return 1; }
	ct_assert_pid p3 501
}

@test "default docker run (/proc/sys read-only, Docker's seccomp): 500 spins to it, next pid 501; sysctl and --exact 77; the dry runs agree" {
	ct_require docker
	default_agrees
}

@test "--cap-drop=ALL: 500 spins to it, next pid 501; sysctl and --exact 77; the dry runs agree" {
	ct_require docker
	default_agrees --cap-drop=ALL
}

# --- capabilities added

@test "--cap-add=SYS_ADMIN (alone too), /proc/sys read-only: set through a private mount namespace; COMMAND, --exact, --lock; the caller's mounts never change" {
	ct_require docker
	local opts
	for opts in --cap-add=SYS_ADMIN "--cap-drop=ALL --cap-add=SYS_ADMIN"; do
		# shellcheck disable=SC2086 # opts: words
		ct_run $opts -- '
			mountinfo /tmp/m0
			slp dry -n 500; probe pd
			slp real 500; probe p1
			mountinfo /tmp/m1; same mounts /tmp/m0 /tmp/m1
			slp cdry -n 600 -- true; slp cmd 600 -- awk -v name=cmd "$PROBE" /proc/self/status
			slp edry -n --exact 700 -- true; slp exact --exact 700 -- awk -v name=ecmd "$PROBE" /proc/self/status
			slp ldry -n --lock 800; slp lock --lock 800; probe p2
			mountinfo /tmp/m2; same mounts2 /tmp/m0 /tmp/m2'
		ct_assert_status dry 0
		[ "$(ct_value pd)" != 501 ] || { echo "the dry run set the counter" >&2; return 1; }
		ct_assert_status real 0
		ct_assert_pid p1 501
		[ "$(ct_value mounts)" = same ]
		ct_assert_status cdry 0
		ct_assert_status cmd 0
		ct_assert_pid cmd 601
		ct_assert_status edry 0
		ct_assert_status exact 0
		ct_assert_pid ecmd 701
		ct_assert_status ldry 0
		ct_assert_status lock 0
		ct_assert_pid p2 801
		[ "$(ct_value mounts2)" = same ]
	done
}

@test "--cap-add=CHECKPOINT_RESTORE: what this Docker makes of it (20.10 does not know it; a later one: the caller's own level with systempaths=unconfined, --exact refused by seccomp)" {
	ct_require docker
	ct_name docker
	run_bounded "${CT_DOCKER[@]}" run --rm --name "$CT_NAME" --label "setlastpid-test=$CT_RUN" \
		--network=none --cap-add=CHECKPOINT_RESTORE "$CT_IMAGE" true
	if [ "$status" != 0 ]; then
		# docker.io 20.10 (Debian 12): no such capability to give
		[[ $output == *"unknown capability"*CHECKPOINT_RESTORE* ]]
		return 0
	fi
	ct_run --cap-add=CHECKPOINT_RESTORE -- '
		probe p0; slp dry -n --method=sysctl 500; slp real --method=sysctl 500; probe p1'
	ct_assert_status dry 77
	ct_assert_status real 77
	ct_assert_one_line real -i "read-only" "/proc/sys"
	ct_assert_step p0 p1 3
	ct_run --cap-add=CHECKPOINT_RESTORE --security-opt systempaths=unconfined -- '
		slp dry -n 500; slp real 500; probe p1
		probe p2; slp edry -n --exact 600 -- true; slp ereal --exact 600 -- true; probe p3'
	ct_assert_status dry 0
	ct_assert_status real 0
	ct_assert_pid p1 501
	ct_assert_status edry 77
	ct_assert_status ereal 77
	ct_assert_one_line ereal -i seccomp
	ct_assert_step p2 p3 3
}

# --- systempaths=unconfined: /proc/sys as the host has it

@test "--security-opt systempaths=unconfined, no capability: sysctl 77 naming the capability, the dry run alike; 500 spins to it, next pid 501" {
	ct_require docker
	ct_run --security-opt systempaths=unconfined -- '
		probe p0; slp sdry -n --method=sysctl 600; slp sreal --method=sysctl 600; probe p1
		slp dry -n 500; slp real 500; probe p2'
	ct_assert_status sdry 77
	ct_assert_status sreal 77
	ct_assert_one_line sreal "CAP_SYS_ADMIN"
	[ "$(ct_err sdry)" = "$(ct_err sreal)" ] || { echo "the dry run's line is not the real run's" >&2; return 1; }
	ct_assert_step p0 p1 3
	ct_assert_status dry 0
	ct_assert_status real 0
	[[ $CT_OUT == *"to 500 via spin"* ]] || { echo "the dry run does not say it spins" >&2; return 1; }
	ct_assert_pid p2 501
}

@test "--security-opt systempaths=unconfined --cap-add=SYS_ADMIN: 500 through ns_last_pid itself, next pid 501; COMMAND, --lock, --exact" {
	ct_require docker
	ct_run --security-opt systempaths=unconfined --cap-add=SYS_ADMIN -- '
		slp dry -n 500; probe pd; slp real 500; probe p1
		slp cdry -n --lock 600 -- true; slp cmd --lock 600 -- awk -v name=cmd "$PROBE" /proc/self/status
		slp exact --exact 700 -- awk -v name=ecmd "$PROBE" /proc/self/status'
	ct_assert_status dry 0
	[[ $CT_OUT == *"to 500 via sysctl"* ]] || { echo "the dry run does not say it writes ns_last_pid" >&2; return 1; }
	[ "$(ct_value pd)" != 501 ] || { echo "the dry run set the counter" >&2; return 1; }
	ct_assert_status real 0
	ct_assert_pid p1 501
	ct_assert_status cdry 0
	ct_assert_status cmd 0
	ct_assert_pid cmd 601
	ct_assert_status exact 0
	ct_assert_pid ecmd 701
}

# --- --pids-limit: COMMAND cannot be created after the set

# pids_limited SCRIPT [DOCKER-OPTIONS...]: SCRIPT in a container whose
# pids limit is 2: its shell and setlastpid, which then cannot fork
# COMMAND. (The script reads pids.max with a builtin, forking nothing.)
# Skips if Docker did not apply the limit.
pids_limited() {
	local script=$1
	shift
	ct_run --pids-limit=2 "$@" -- '
		{ read -r m </sys/fs/cgroup/pids/pids.max || read -r m </sys/fs/cgroup/pids.max; } 2>/dev/null; echo pidsmax=$m
		'"$script"
	[ "$(ct_value pidsmax)" = 2 ] || skip "docker did not apply --pids-limit=2 here (pids.max: $(ct_value pidsmax))"
}

@test "--pids-limit=2, systempaths=unconfined, SYS_ADMIN: 71, the counter put back and said so; the dry run, which creates no COMMAND, 0" {
	ct_require docker
	pids_limited '
		probe p0; slp dry -n 500 -- true; slp real 500 -- true; probe p1
		slp ldry -n --lock 600 -- true; slp lock --lock 600 -- true; probe p2' \
		--security-opt systempaths=unconfined --cap-add=SYS_ADMIN
	ct_assert_status dry 0
	ct_assert_status real 71
	ct_assert_one_line real "the levels written were put back"
	# the next process gets what it would have got: the probe after the
	# two runs of setlastpid
	ct_assert_step p0 p1 3
	ct_assert_status ldry 0
	ct_assert_status lock 71
	ct_assert_one_line lock "the levels written were put back"
	ct_assert_step p1 p2 3
}

@test "--pids-limit=2, default container: the spin gets there, then 71 saying it may not have been put back (a spin cannot be); the dry run 0" {
	ct_require docker
	# a refused fork takes a pid too: the spin gets there all the same
	pids_limited 'slp dry -n 500 -- true; slp real 500 -- true; probe p1'
	ct_assert_status dry 0
	ct_assert_status real 71
	ct_assert_one_line real "may not have been put back"
	# where the spin and COMMAND's refused creation left it
	local p1
	p1=$(ct_value p1)
	[ "$p1" -gt 500 ] && [ "$p1" -le 502 ] || { echo "probe p1: pid $p1, want 501 or 502" >&2; return 1; }
}

# --- from the host into a container's pid namespace

# next_in_container: the pid the next process in the container gets, as
# docker exec sees it.
next_in_container() {
	ct_engine docker exec "$CT_NAME" awk '/^NSpid:/ { print $NF }' /proc/self/status
}

@test "from the host: --ns into a Docker container's pid namespace sets its level, without COMMAND, with it and with --exact; dry runs set nothing" {
	ct_require docker
	ct_start
	local ns=/proc/$CT_PID/ns/pid next
	run_bounded -0 "$SETLASTPID" --dry-run --ns "$ns" 600
	next=$(next_in_container)
	[ -n "$next" ] && [ "$next" != 601 ]
	run_bounded -0 "$SETLASTPID" --ns "$ns" 600
	next=$(next_in_container)
	[ "$next" = 601 ]
	run_bounded -0 --separate-stderr "$SETLASTPID" --dry-run --ns "$ns" 700 -- "${OWN_PIDS[@]}"
	next=$(next_in_container)
	[ -n "$next" ] && [ "$next" != 701 ]
	run_bounded -0 --separate-stderr "$SETLASTPID" --ns "$ns" 700 -- "${OWN_PIDS[@]}"
	[ "$(cut -d' ' -f1 <<<"$output")" = 701 ]
	next=$(next_in_container)
	[ "$next" = 702 ]
	run_bounded -0 --separate-stderr "$SETLASTPID" --dry-run --exact --ns "$ns" 800 -- "${OWN_PIDS[@]}"
	run_bounded -0 --separate-stderr "$SETLASTPID" --exact --ns "$ns" 800 -- "${OWN_PIDS[@]}"
	[ "$(cut -d' ' -f1 <<<"$output")" = 801 ]
}
