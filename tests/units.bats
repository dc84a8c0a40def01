#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units, as make builds them (SETLASTPID_UNITS): each
# service's socket; systemd-analyze verify, offline, on the units as they
# are installed; each service's ExecStart=, socket-activated
# (systemd-socket-activate) with its capabilities and no others
# (setpriv), serving its pid namespace or a nest; and each of those
# capabilities needed. Servers run in the background on a socket of the
# test's own and die with the test.

load helpers

MIN_CLIENT=${MIN_CLIENT:-tests/server/min-client}

setup() {
	requires root
	SERVERS=()
	SOCK=$BATS_TEST_TMPDIR/sock
}

teardown() {
	kill_and_reap "${SERVERS[@]}"
	nest_destroy_all
	if [ -s "${SERVER_LOG:-}" ]; then
		echo "the server's stderr:" >&2
		cat "$SERVER_LOG" >&2
	fi
}

# requires_systemd TOOL...: skip, saying why, without systemd's tools.
requires_systemd() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || skip "needs $tool (package systemd)"
	done
}

# activate COMMAND...: COMMAND (systemd-socket-activate ..., or what runs
# it) in the background, its stderr in SERVER_LOG; returns once SOCK is
# there. The server itself starts at the first datagram.
activate() {
	SERVER_LOG=$BATS_TEST_TMPDIR/server.log
	"$@" </dev/null >/dev/null 2>"$SERVER_LOG" &
	SERVERS+=("$!")
	wait_until "$TEST_TIMEOUT" test -S "$SOCK"
}

# assert_caps PID SERVICE: PID runs with SERVICE's capabilities, in each
# set, and no new privileges.
assert_caps() {
	local status=/proc/$1/status want got set hex
	want=$(unit_value "$2" CapabilityBoundingSet | tr 'A-Z' 'a-z' | tr ' ' '\n' | sort)
	for set in CapEff CapPrm CapBnd; do
		hex=$(awk -v set="$set:" '$1 == set { print $2 }' "$status")
		got=$(capsh --decode="$hex" | sed 's/^[^=]*=//' | tr ',' '\n' | sort)
		[ "$got" = "$want" ] || { echo "$set of $1 is $(capsh --decode="$hex"), not $want" >&2; return 1; }
	done
	grep -q '^NoNewPrivs:[[:space:]]*1$' "$status"
}

# without CAPS CAP: setpriv's CAPS without +CAP.
without() {
	local caps=$1,
	caps=${caps/,+$2,/,}
	echo "${caps%,}"
}

@test "the sockets: a datagram socket at the path its service serves, root's alone, credentials on every datagram" {
	requires_systemd systemd-escape
	local service socket
	for service in setlastpid.service setlastpid@.service; do
		socket=${service%.service}.socket
		unit_argv "$service" proc-1-ns-pid "$SOCK"
		[ "$(unit_value "$socket" SocketMode)" = 0600 ]
		[ "$(unit_value "$socket" PassCredentials)" = yes ]
		[ "$(unit_value "$service" NoNewPrivileges)" = yes ]
		unit_caps "$service" >/dev/null
	done
	# the template's instance is the nest's namespace file
	unit_argv setlastpid@.service proc-1-ns-pid "$SOCK"
	[ "${UNIT_ARGV[*]}" = "$SETLASTPID --serve=$SOCK --ns=/proc/1/ns/pid" ]
	[ "$(unit_value setlastpid@.socket ListenDatagram)" = "/run/setlastpid/%i.sock" ]
}

# verify_root: a root for systemd-analyze verify --root, as installed:
# setlastpid at its sbindir, the units in /etc/systemd/system, and
# systemd's own units (sockets.target and the like) in /usr/lib/systemd/system.
verify_root() {
	local sbindir systemd_units
	ROOT=$BATS_TEST_TMPDIR/root
	sbindir=$(unit_value setlastpid.service ExecStart)
	sbindir=${sbindir%%/setlastpid *}
	ROOT_BIN=$ROOT$sbindir/setlastpid
	for systemd_units in /usr/lib/systemd/system /lib/systemd/system; do
		[ ! -f "$systemd_units/sockets.target" ] || break
	done
	mkdir -p "$ROOT$sbindir" "$ROOT/etc/systemd/system" "$ROOT/usr/lib/systemd"
	cp "$SETLASTPID" "$ROOT_BIN"
	cp "$SETLASTPID_UNITS"/setlastpid.socket "$SETLASTPID_UNITS"/setlastpid.service \
		"$SETLASTPID_UNITS"/setlastpid@.socket "$SETLASTPID_UNITS"/setlastpid@.service \
		"$ROOT/etc/systemd/system/"
	cp -r "$systemd_units" "$ROOT/usr/lib/systemd/system"
}

UNITS=(setlastpid.socket setlastpid.service setlastpid@.socket setlastpid@.service)

@test "systemd-analyze verify: the units, as installed, and it says nothing" {
	requires_systemd systemd-analyze
	verify_root
	run_bounded -0 systemd-analyze verify --man=no --root="$ROOT" "${UNITS[@]}"
	[ -z "$output" ]
}

@test "systemd-analyze verify: a key it does not know, or no setlastpid where ExecStart= says, is not silent" {
	requires_systemd systemd-analyze
	verify_root
	# so that the test above means something
	sed -i 's/^ProtectSystem=/ProtectSystm=/' "$ROOT/etc/systemd/system/setlastpid@.service"
	run_bounded -0 systemd-analyze verify --man=no --root="$ROOT" "${UNITS[@]}"
	[[ $output == *"Unknown key 'ProtectSystm'"* ]]
	sed -i 's/^ProtectSystm=/ProtectSystem=/' "$ROOT/etc/systemd/system/setlastpid@.service"
	rm "$ROOT_BIN"
	run_bounded '!' systemd-analyze verify --man=no --root="$ROOT" "${UNITS[@]}"
	[[ $output == *"is not executable"* ]]
}

@test "setlastpid.service: its ExecStart, socket-activated with CAP_CHECKPOINT_RESTORE alone, serves its own pid namespace" {
	requires_systemd systemd-socket-activate systemd-escape
	nest_create 1
	unit_argv setlastpid.service "" "$SOCK"
	local caps
	caps=$(unit_caps setlastpid.service)
	[ "$caps" = -all,+checkpoint_restore ]
	# its own pid namespace: the nest's, where it runs
	activate nsenter --target "$NEST" --pid -- systemd-socket-activate --datagram -l "$SOCK" \
		setpriv --bounding-set="$caps" --inh-caps=-all --no-new-privs -- "${UNIT_ARGV[@]}"
	# the first datagram starts it, and is answered
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 600
	assert_next "$NEST" 601
	run_bounded -0 "$SETLASTPID" --connect="$SOCK" 700
	assert_next "$NEST" 701
	local server
	# nsenter's child, now the server (each execs the next)
	server=$(cat "/proc/${SERVERS[0]}/task/${SERVERS[0]}/children")
	server=${server%% *}
	assert_caps "$server" setlastpid.service
}

@test "setlastpid.service: without its one capability, it cannot set its level (77)" {
	nest_create 1
	unit_argv setlastpid.service "" "$SOCK"
	local caps
	caps=$(without "$(unit_caps setlastpid.service)" checkpoint_restore)
	run_bounded -77 --separate-stderr nsenter --target "$NEST" --pid -- \
		setpriv --bounding-set="$caps" --inh-caps=-all --no-new-privs -- "${UNIT_ARGV[@]}"
	assert_one_error_line "it needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE"
}

@test "setlastpid@.service: its ExecStart for /proc/PID/ns/pid, socket-activated with its capabilities alone, serves a nest 3 deep" {
	requires_systemd systemd-socket-activate systemd-escape
	nest_create 3
	local instance caps
	instance=$(systemd-escape --path "/proc/$NEST/ns/pid")
	unit_argv setlastpid@.service "$instance" "$SOCK"
	[[ " ${UNIT_ARGV[*]} " == *" --ns=/proc/$NEST/ns/pid "* ]]
	caps=$(unit_caps setlastpid@.service)
	activate systemd-socket-activate --datagram -l "$SOCK" \
		setpriv --bounding-set="$caps" --inh-caps=-all --no-new-privs -- "${UNIT_ARGV[@]}"
	run_bounded -0 "$SETLASTPID" --connect="$SOCK" 700,70,7
	assert_next "$NEST" "701 71 8"
	assert_caps "${SERVERS[0]}" setlastpid@.service
	# it sees that a client with COMMAND is not in level 0, and refuses
	remember_levels
	run_bounded -65 --separate-stderr "$SETLASTPID" --connect="$SOCK" 800,80,9 -- true
	assert_unchanged
}

@test "setlastpid@.service: without CAP_SYS_PTRACE it cannot open a container's /proc/PID/ns/pid, without CAP_SYS_ADMIN enter it (77)" {
	requires_systemd systemd-escape
	nest_create 2
	unit_argv setlastpid@.service "$(systemd-escape --path "/proc/$NEST/ns/pid")" "$SOCK"
	local caps
	caps=$(unit_caps setlastpid@.service)
	# the nest's processes have every capability: a ptrace access check
	run_bounded -77 --separate-stderr setpriv --bounding-set="$(without "$caps" sys_ptrace)" \
		--inh-caps=-all --no-new-privs -- "${UNIT_ARGV[@]}"
	assert_one_error_line "cannot open /proc/$NEST/ns/pid: Permission denied"
	run_bounded -77 --separate-stderr setpriv --bounding-set="$(without "$caps" sys_admin)" \
		--inh-caps=-all --no-new-privs -- "${UNIT_ARGV[@]}"
	assert_one_error_line "it needs CAP_SYS_ADMIN in"
	[ ! -e "$SOCK" ]
}

@test "setlastpid@.service: an instance that names a bind mount of the namespace file, its path escaped" {
	requires_systemd systemd-socket-activate systemd-escape
	nest_create 2
	# a dash, a space: escaped in the instance, back in --ns
	local file="$BATS_TEST_TMPDIR/my nest-2" instance caps
	instance=$(systemd-escape --path "$file")
	[[ $instance == *'\x2d'* && $instance == *'\x20'* ]]
	unit_argv setlastpid@.service "$instance" "$SOCK"
	[[ " ${UNIT_ARGV[*]} " == *" --ns=$file "* ]]
	caps=$(unit_caps setlastpid@.service)
	touch "$file"
	# the bind mount in a mount namespace of the server's own
	activate unshare --mount sh -c 'mount --bind "/proc/$1/ns/pid" "$2" && shift 2 && exec "$@"' sh \
		"$NEST" "$file" systemd-socket-activate --datagram -l "$SOCK" \
		setpriv --bounding-set="$caps" --inh-caps=-all --no-new-privs -- "${UNIT_ARGV[@]}"
	run_bounded -0 "$SETLASTPID" --connect="$SOCK" 500,50
	assert_next "$NEST" "501 51"
}
