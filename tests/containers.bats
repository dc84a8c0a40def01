#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the scripts run inside containers: their $ are theirs
# setlastpid inside real containers, as users run it there: Debian's
# Podman with runc, rootful and rootless, the image that
# tests/containers/setup-podman.sh builds (.ci/run runs it; elsewhere the
# suite skips, saying why). Each container runs a script of
# tests/containers/inside.sh's functions, which print what the suite checks:
# setlastpid's status and standard error, and the pid a process created
# next got (the probes). Between two probes a script creates a known
# number of processes, so a probe tells whether a counter was changed.
#
# From the host, tests go into a container's pid namespace with --ns and
# never name the host's own level: the vector is never longer than the
# levels below the host. For a level above the container, the container
# joins (podman run --pid=ns:) the inner level of a nest the test made.

load helpers
load containers/helpers

setup_file() {
	ct_setup_file
}

teardown_file() {
	ct_teardown_file
}

teardown() {
	ct_teardown
	nest_destroy_all
}

# --- 1, 2: read-only /proc/sys, no capability: the dry run agrees

# The sysctl method cannot write here: 77, said by the dry run too. The
# default method may still reach the caller's own counter another way
# (creating tasks until it gets there, say): whatever it answers, the dry
# run, made first in the same state, answers the same, and a success is
# one: the next process gets VALUE + 1.

# sysctl_refused_default_agrees [--rootless]: in a default container,
# the sysctl method is refused with 77 (the dry run too) and creates
# nothing; the default method's dry run and real run agree.
sysctl_refused_default_agrees() {
	ct_run "$@" -- '
		probe p0; slp sdry -n --method=sysctl 600; slp sreal --method=sysctl 600; probe p1
		slp dry --dry-run 500; slp real 500; probe p2'
	ct_assert_status sdry 77
	ct_assert_status sreal 77
	ct_assert_one_line sreal
	ct_assert_step p0 p1 3
	ct_assert_agree_or_work dry real p2 500
}

@test "default podman run (no capability for its own level, /proc/sys read-only): 77 for sysctl, the dry run too, nothing changed" {
	ct_require rootful
	sysctl_refused_default_agrees
}

@test "--cap-add=CHECKPOINT_RESTORE, /proc/sys read-only: 77 naming it and what works, the dry run too; --exact works" {
	ct_require rootful
	ct_run --cap-add=CHECKPOINT_RESTORE -- '
		probe p0; slp dry -n --method=sysctl 500; probe p1; slp real --method=sysctl 500; probe p2
		slp cmd --method=sysctl 500 -- true; probe p3
		slp exact --exact 600 -- awk -v name=cmd "$PROBE" /proc/self/status
		slp adry -n 700; slp areal 700; probe p4'
	ct_assert_status real 77
	ct_assert_one_line real -i "read-only" "/proc/sys"
	# what works here: the way out the message names
	ct_assert_says_one_of real "--exact" "unmask" "CAP_SYS_ADMIN" "SYS_ADMIN"
	ct_assert_status dry 77
	ct_assert_status cmd 77
	ct_assert_step p0 p1 2
	ct_assert_step p1 p2 2
	ct_assert_step p2 p3 2
	ct_assert_status exact 0
	ct_assert_pid cmd 601
	ct_assert_agree_or_work adry areal p4 700
}

@test "--cap-add=SYS_ADMIN, /proc/sys read-only: set through a private mount namespace; the caller's mounts never change" {
	ct_require rootful
	ct_run --cap-add=SYS_ADMIN -- '
		mountinfo /tmp/m0
		slp dry -n 500; probe pd
		slp real 500; probe p1
		mountinfo /tmp/m1; same mounts /tmp/m0 /tmp/m1
		slp cmd 600 -- awk -v name=cmd "$PROBE" /proc/self/status
		slp lock --lock 700; probe p2
		mountinfo /tmp/m2; same mounts2 /tmp/m0 /tmp/m2'
	ct_assert_status dry 0
	[ "$(ct_value pd)" != 501 ] || { echo "the dry run set the counter" >&2; return 1; }
	ct_assert_status real 0
	ct_assert_pid p1 501
	[ "$(ct_value mounts)" = same ]
	ct_assert_status cmd 0
	ct_assert_pid cmd 601
	ct_assert_status lock 0
	ct_assert_pid p2 701
	[ "$(ct_value mounts2)" = same ]
}

@test "--cap-add=CHECKPOINT_RESTORE --security-opt unmask=/proc/sys: 500 makes the next pid 501, COMMAND and --lock too" {
	ct_require rootful
	ct_run --cap-add=CHECKPOINT_RESTORE --security-opt unmask=/proc/sys -- '
		slp dry -n 500; slp real 500; probe p1
		slp cmd --lock 600 -- awk -v name=cmd "$PROBE" /proc/self/status'
	ct_assert_status dry 0
	ct_assert_status real 0
	ct_assert_pid p1 501
	ct_assert_status cmd 0
	ct_assert_pid cmd 601
}

# --- 3: seccomp's ENOSYS for clone3 is not a kernel without it

@test "--exact where seccomp answers clone3 with ENOSYS (as Docker's default does): 77 naming seccomp, the dry run too" {
	ct_require rootful
	ct_run --cap-add=CHECKPOINT_RESTORE --security-opt "seccomp=$CT_SHARE/seccomp-clone3-enosys.json" -- '
		probe p0; slp dry -n --exact 500 -- true; probe p1
		slp real --exact 500 -- true; probe p2'
	ct_assert_status real 77
	ct_assert_one_line real -i seccomp
	ct_assert_not_said real "kernel lacks"
	ct_assert_status dry 77
	ct_assert_step p0 p1 2
	ct_assert_step p1 p2 2
}

@test "the same seccomp profile lets CAP_SYS_ADMIN have clone3, as Docker's does: --exact works" {
	ct_require rootful
	ct_run --cap-add=SYS_ADMIN --security-opt "seccomp=$CT_SHARE/seccomp-clone3-enosys.json" -- '
		slp dry -n --exact 500 -- true
		slp real --exact 500 -- awk -v name=cmd "$PROBE" /proc/self/status'
	ct_assert_status dry 0
	ct_assert_status real 0
	ct_assert_pid cmd 501
}

# --- 5: COMMAND that cannot be created

@test "--pids-limit too low for COMMAND: 71, the counter put back and said so" {
	ct_require rootful
	# two processes: the script's shell and setlastpid, which then cannot
	# fork COMMAND. (The script reads pids.max with a builtin, forking nothing.)
	ct_run --pids-limit=2 --cap-add=CHECKPOINT_RESTORE --security-opt unmask=/proc/sys -- '
		{ read -r m </sys/fs/cgroup/pids/pids.max || read -r m </sys/fs/cgroup/pids.max; } 2>/dev/null; echo pidsmax=$m
		probe p0; slp real 500 -- true; probe p1
		slp lock --lock 600 -- true; probe p2'
	[ "$(ct_value pidsmax)" = 2 ] || skip "podman did not apply --pids-limit=2 here (pids.max: $(ct_value pidsmax))"
	ct_assert_status real 71
	ct_assert_one_line real "put back"
	# the next process gets what it would have got: the probe after
	# setlastpid, whose own pid was the last
	ct_assert_step p0 p1 2
	ct_assert_status lock 71
	ct_assert_one_line lock "put back"
	ct_assert_step p1 p2 2
}

# --- 6: a masked ns_last_pid

@test "a masked ns_last_pid (--security-opt mask=: /dev/null over it): 77, the dry run too, nothing changed" {
	ct_require rootful
	local opts
	for opts in "" "--security-opt unmask=/proc/sys"; do
		# shellcheck disable=SC2086 # opts: words
		ct_run --cap-add=CHECKPOINT_RESTORE --security-opt mask=/proc/sys/kernel/ns_last_pid $opts -- '
			probe p0; slp dry -n 500; probe p1; slp real 500; probe p2
			slp cmd 600 -- true; probe p3'
		ct_assert_status real 77
		ct_assert_one_line real "ns_last_pid"
		ct_assert_status dry 77
		ct_assert_status cmd 77
		ct_assert_step p0 p1 2
		ct_assert_step p1 p2 2
		ct_assert_step p2 p3 2
	done
}

# --- 7: advice that fits

# what suggesting --lock looks like (naming it to say it was given is fine)
SUGGESTS_LOCK=("--lock prevent" "or --lock" "use --lock" "try --lock" "with --lock")

@test "another process first, with --lock given: the advice does not suggest --lock" {
	ct_require rootful
	ct_run --cap-add=CHECKPOINT_RESTORE --security-opt unmask=/proc/sys -- 'race lock --lock'
	ct_assert_status lock 75
	ct_assert_one_line lock
	ct_assert_not_said lock "${SUGGESTS_LOCK[@]}"
}

@test "another process first where --exact is impossible (seccomp refuses clone3): the advice does not suggest --exact" {
	ct_require rootful
	ct_run --cap-add=CHECKPOINT_RESTORE --security-opt unmask=/proc/sys \
		--security-opt "seccomp=$CT_SHARE/seccomp-clone3-enosys.json" -- 'race plain; race lock --lock'
	ct_assert_status plain 75
	ct_assert_one_line plain
	ct_assert_not_said plain "--exact"
	ct_assert_status lock 75
	ct_assert_one_line lock
	ct_assert_not_said lock "--exact" "${SUGGESTS_LOCK[@]}"
}

# --- 8: no /proc, a /proc that is not the caller's

@test "no /proc mounted: 69, the dry run too, nothing changed" {
	ct_require rootful
	! asan_build || skip "an ASan build cannot start without /proc"
	# In a mount namespace of its own, /proc unmounted, then without
	# CAP_SYS_ADMIN (nothing to mount one with), with CAP_CHECKPOINT_RESTORE.
	# Between the probes: unshare (sh), umount, three setlastpid runs.
	ct_run --cap-add=SYS_ADMIN,CHECKPOINT_RESTORE -- '
		probe p0
		unshare --mount sh -c "umount -l /proc && exec setpriv --bounding-set=-sys_admin sh -c \". /slp/inside.sh; slp real 500; slp dry -n 500; slp cmd 500 -- true\""
		probe p1'
	ct_assert_status real 69
	ct_assert_one_line real "/proc"
	ct_assert_status dry 69
	ct_assert_status cmd 69
	ct_assert_step p0 p1 6
}

@test "a /proc of another pid namespace: 69 saying /proc is not the caller's, the dry run agrees" {
	ct_require rootful
	! asan_build || skip "an ASan build reads /proc/self/maps at start"
	# A child pid namespace with its own /proc, in a mount namespace of
	# its own; setlastpid runs in that mount namespace but in the
	# container's pid namespace, without CAP_SYS_ADMIN. The plain run
	# comes last: after it, only the probe is created.
	ct_run --cap-add=SYS_ADMIN,CHECKPOINT_RESTORE -- '
		unshare --pid --fork --mount --mount-proc sleep 1000 & u=$!
		i=0; while [ $i -lt 100 ] && [ "$(nsenter --mount --target $u cat /proc/1/comm 2>/dev/null)" != sleep ]; do sleep 0.05; i=$((i + 1)); done
		nsenter --mount --target $u -- setpriv --bounding-set=-sys_admin sh -c ". /slp/inside.sh
			slp cmd 500 -- true; slp drycmd -n 500 -- true
			slp dry -n 500; slp real 500"
		probe p1
		kill $u'
	local name
	for name in cmd drycmd; do
		ct_assert_status "$name" 69
		ct_assert_one_line "$name" "/proc"
	done
	# The plain run is one write, which the kernel applies to the writer's
	# own namespace whatever /proc shows: it may succeed, but then its dry
	# run must say so too.
	ct_assert_same_status dry real
	if [ "$(ct_value real.status)" = 0 ]; then
		# the write acts on the writer's own namespace: then it must have
		ct_assert_pid p1 501
	else
		ct_assert_status real 69
		ct_assert_one_line real "/proc"
	fi
}

# --- from the host into a container's pid namespace

@test "from the host: --ns into a container's pid namespace sets its level, COMMAND and --exact too" {
	ct_require rootful
	ct_start
	run -0 "$SETLASTPID" --dry-run --ns "/proc/$CT_PID/ns/pid" 500
	run -0 "$SETLASTPID" --ns "/proc/$CT_PID/ns/pid" 500
	assert_next "$CT_PID" 501
	run -0 --separate-stderr "$SETLASTPID" --ns "/proc/$CT_PID/ns/pid" 600 -- "${OWN_PIDS[@]}"
	[ "$(cut -d' ' -f1 <<<"$output")" = 601 ]
	run -0 --separate-stderr "$SETLASTPID" --exact --ns "/proc/$CT_PID/ns/pid" 700 -- "${OWN_PIDS[@]}"
	[ "$(cut -d' ' -f1 <<<"$output")" = 701 ]
}

@test "from the host: a container in a nest of the test's, its level and the one above it (never the host's)" {
	ct_require rootful
	nest_create 2
	ct_start "--pid=ns:/proc/$NEST/ns/pid"
	[ "$(readlink "/proc/$CT_PID/ns/pid")" = "$(readlink "/proc/$NEST/ns/pid")" ]
	run -0 "$SETLASTPID" --dry-run --ns "/proc/$CT_PID/ns/pid" 500,600
	run -0 "$SETLASTPID" --ns "/proc/$CT_PID/ns/pid" 500,600
	assert_next "$CT_PID" "501 601"
	run -0 --separate-stderr "$SETLASTPID" --exact --ns "/proc/$CT_PID/ns/pid" 700,800 -- "${OWN_PIDS[@]}"
	[ "$(cut -d' ' -f1-2 <<<"$output")" = "701 801" ]
}

# --- 4: pid_max per pid namespace (Linux 6.14)

@test "inside: a value above the container's own pid_max: 65, the dry run too, nothing changed" {
	ct_require rootful
	ct_run --cap-add=SYS_ADMIN --security-opt unmask=/proc/sys -- '
		echo 1000 >/proc/sys/kernel/pid_max; echo pidmax=$(cat /proc/sys/kernel/pid_max)
		probe p0; slp real 2000; probe p1; slp dry -n 2000; probe p2
		slp cmd 2000 -- true; probe p3
		slp ok 900; probe p4'
	[ "$(ct_value pidmax)" = 1000 ] || skip "this kernel has no pid_max per pid namespace (Linux 6.14+): pid_max $(ct_value pidmax) after writing 1000"
	ct_assert_status real 65
	ct_assert_one_line real "pid_max"
	ct_assert_status dry 65
	ct_assert_status cmd 65
	ct_assert_step p0 p1 2
	ct_assert_step p1 p2 2
	ct_assert_step p2 p3 2
	ct_assert_status ok 0
	ct_assert_pid p4 901
}

@test "from the host: a container's own pid_max, higher than the host's, is the one that counts (never refuse what the kernel accepts)" {
	ct_require rootful
	local host_max value
	host_max=$(pid_max)
	value=$((host_max + 1000))
	# podman's own pid namespace for the container
	ct_start
	[ "$(ct_pid_max "$CT_PID")" -gt $((value + 2000)) ] ||
		skip "the container's pid_max is not above the host's ($host_max): no pid_max per pid namespace (Linux 6.14+), or the host's is the kernel's highest"
	run -0 --separate-stderr "$SETLASTPID" --dry-run --ns "/proc/$CT_PID/ns/pid" "$value"
	run -0 --separate-stderr "$SETLASTPID" --ns "/proc/$CT_PID/ns/pid" "$value"
	assert_next "$CT_PID" "$((value + 1))"
	run -0 --separate-stderr "$SETLASTPID" --exact --ns "/proc/$CT_PID/ns/pid" "$((value + 100))" -- "${OWN_PIDS[@]}"
	[ "$(cut -d' ' -f1 <<<"$output")" = "$((value + 101))" ]
	# and a level above a container, in a nest of the test's
	nest_create 2
	ct_start "--pid=ns:/proc/$NEST/ns/pid"
	[ "$(ct_pid_max "$(awk '/^PPid:/ { print $2 }' "/proc/$NEST/status")")" -gt $((value + 2000)) ]
	run -0 --separate-stderr "$SETLASTPID" --dry-run --ns "/proc/$CT_PID/ns/pid" "$((value + 200)),$((value + 300))"
	run -0 --separate-stderr "$SETLASTPID" --ns "/proc/$CT_PID/ns/pid" "$((value + 200)),$((value + 300))"
	assert_next "$CT_PID" "$((value + 201)) $((value + 301))"
	run -0 --separate-stderr "$SETLASTPID" --exact --ns "/proc/$CT_PID/ns/pid" "$((value + 400)),$((value + 500))" -- "${OWN_PIDS[@]}"
	[ "$(cut -d' ' -f1-2 <<<"$output")" = "$((value + 401)) $((value + 501))" ]
}

@test "from the host: a level whose own pid_max is below its value: 65, never written, the dry run too" {
	ct_require rootful
	command -v strace >/dev/null || skip "needs strace"
	nest_create 2
	ct_start "--pid=ns:/proc/$NEST/ns/pid"
	local outer trace=$BATS_TEST_TMPDIR/trace writes vector
	outer=$(awk '/^PPid:/ { print $2 }' "/proc/$NEST/status")
	# first the level above the container, then the container's too
	for vector in 100,2000 2000,100; do
		if [ "$vector" = 100,2000 ]; then
			set_level_pid_max "$outer" 1000 || skip "this kernel has no pid_max per pid namespace (Linux 6.14+)"
		else
			set_level_pid_max "$CT_PID" 1000
		fi
		run -65 --separate-stderr "$SETLASTPID" --dry-run --ns "/proc/$CT_PID/ns/pid" "$vector"
		assert_one_error_line "pid_max"
		run -65 --separate-stderr strace -f -qq -y -z -o "$trace" -e trace=write,pwrite64,writev,pwritev,pwritev2 \
			"$SETLASTPID" --ns "/proc/$CT_PID/ns/pid" "$vector"
		assert_one_error_line "pid_max"
		# 2000 is taken nowhere (the level's own pid_max refuses it); what was written is put back
		writes=$(taken_writes "$trace" 2000)
		[ -z "$writes" ] || { printf '%s: 2000 written where pid_max is 1000:\n%s\n' "$vector" "$writes" >&2; return 1; }
		[ "$(probe_levels "$CT_PID" | cut -d' ' -f1)" != $((${vector%%,*} + 1)) ]
	done
	# within both levels' pid_max: fine
	run -0 "$SETLASTPID" --ns "/proc/$CT_PID/ns/pid" 100,200
	assert_next "$CT_PID" "101 201"
}

# --- rootless Podman

@test "rootless podman run (default): 77 for sysctl, the dry run too, nothing changed" {
	ct_require rootless
	sysctl_refused_default_agrees --rootless
}

@test "rootless --cap-add=SYS_ADMIN, /proc/sys read-only: set through a private mount namespace; the caller's mounts never change" {
	ct_require rootless
	ct_run --rootless --cap-add=SYS_ADMIN -- '
		mountinfo /tmp/m0
		slp dry -n 500; probe pd
		slp real 500; probe p1
		mountinfo /tmp/m1; same mounts /tmp/m0 /tmp/m1'
	ct_assert_status dry 0
	[ "$(ct_value pd)" != 501 ] || { echo "the dry run set the counter" >&2; return 1; }
	ct_assert_status real 0
	ct_assert_pid p1 501
	[ "$(ct_value mounts)" = same ]
}

@test "rootless --cap-add=CHECKPOINT_RESTORE --security-opt unmask=/proc/sys: 500 makes the next pid 501; --exact too" {
	ct_require rootless
	ct_run --rootless --cap-add=CHECKPOINT_RESTORE --security-opt unmask=/proc/sys -- '
		slp dry -n 500; slp real 500; probe p1
		slp exact --exact 600 -- awk -v name=cmd "$PROBE" /proc/self/status'
	ct_assert_status dry 0
	ct_assert_status real 0
	ct_assert_pid p1 501
	ct_assert_status exact 0
	ct_assert_pid cmd 601
}
