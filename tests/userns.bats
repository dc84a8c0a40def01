#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
# Nests owned by a child user namespace: a caller inside it may set the
# levels it owns, and no level at all when the vector names one it does not.

load helpers

setup() {
	requires root userns
	# A process in a new user namespace U, where root maps to root...
	nest_create 0 unshare --user --map-root-user
	USERNS_HOLDER=$NEST
	# ...and two pid namespaces below the test's, both created in U, so U owns them.
	nest_create 2 nsenter --target "$USERNS_HOLDER" --user --
	# AS_USERNS_ROOT COMMAND...: run COMMAND as root of U, with U's privileges only.
	AS_USERNS_ROOT=(nsenter --target "$USERNS_HOLDER" --user --)
}

teardown() {
	nest_destroy_all
	if [ -n "${ROOTLESS_DIR:-}" ]; then rm -rf "$ROOTLESS_DIR"; fi
}

@test "a caller in the owning user namespace sets the levels it owns" {
	run_bounded -0 "${AS_USERNS_ROOT[@]}" "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 100,50
	assert_next "$NEST" "101 51"
}

@test "--method=sysctl: the same, through helpers that enter each level" {
	run_bounded -0 "${AS_USERNS_ROOT[@]}" "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 90,80
	assert_next "$NEST" "91 81"
}

@test "exit 77: a vector that names a level above U sets none, and says which level" {
	remember_levels
	local top
	top=$(stat -L -c %i /proc/self/ns/pid)
	run_bounded -77 --separate-stderr "${AS_USERNS_ROOT[@]}" "$SETLASTPID" --ns "/proc/$NEST/ns/pid" 100,50,7
	assert_one_error_line "not permitted to set level 2 (pid:[$top]) of /proc/$NEST/ns/pid: it needs CAP_SYS_ADMIN"
	[[ $stderr == *" in a user namespace above yours, which owns it" ]]
	assert_unchanged
}

@test "exit 77 with --method=sysctl too, before any helper is made" {
	remember_levels
	run_bounded -77 --separate-stderr "${AS_USERNS_ROOT[@]}" "$SETLASTPID" --method=sysctl --ns "/proc/$NEST/ns/pid" 100,50,7
	assert_one_error_line "not permitted to set level 2"
	assert_unchanged
}

@test "--dry-run in U: reports the level it may not set" {
	remember_levels
	run_bounded -77 --separate-stderr "${AS_USERNS_ROOT[@]}" "$SETLASTPID" --dry-run --ns "/proc/$NEST/ns/pid" 100,50,7
	assert_one_error_line "not permitted to set level 2"
	run_bounded -0 "${AS_USERNS_ROOT[@]}" "$SETLASTPID" --dry-run --ns "/proc/$NEST/ns/pid" 100,50
	[ "${#lines[@]}" = 2 ]
	# nothing written; on Linux 6.14+ a helper per level read its pid_max
	local probes=(0 0)
	kernel_has_ioctl || read -r -a probes <<<"$(probe_pids 2)"
	assert_unchanged_but "${probes[*]}"
}

@test "rootless: an unprivileged user sets the last pid of its own user+pid namespace" {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- unshare --user true 2>/dev/null ||
		skip "unprivileged users may not create user namespaces here"
	# a copy where nobody may reach it: the build tree may be private
	ROOTLESS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/setlastpid-rootless.XXXXXX")
	chmod 755 "$ROOTLESS_DIR"
	cp "$SETLASTPID" "$ROOTLESS_DIR/setlastpid"
	run_bounded -0 setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		unshare --user --map-root-user --pid --fork --kill-child -- \
		bash -c '"$0" 700 && awk "/^NSpid:/ { print \$NF }" /proc/self/status; exit' \
		"$ROOTLESS_DIR/setlastpid"
	[ "$output" = 701 ]
}
