#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr; OWN_PIDS is helpers.bash's
# setlastpid --serve=SOCKET and --connect=SOCKET: set_ns_last_pid's
# protocol, spoken by a client that knows nothing else (MIN_CLIENT); ours
# (SLP1, setlastpid-wire(7)) at depth 1, 3 and 32, and by a client written
# from that page alone (CLIENT_PY); malformed datagrams (DATAGRAM);
# FastFreeze's drop-in, at its socket path;
# the socket's owner, mode and group; socket activation; signals; helpers
# that die; floods from many clients (FLOOD) and the server's memory.
# Every server runs in the background with a socket of the test's own and
# is killed by teardown whatever happens; helpers are looked for in the
# test's own nest only.

load helpers

MIN_CLIENT=${MIN_CLIENT:-tests/server/min-client}
FLOOD=${FLOOD:-tests/server/flood}
DATAGRAM=${DATAGRAM:-tests/server/datagram}

# Above every pid_max, the machine's and each nest's (PID_MAX_LIMIT on
# 64-bit: a nest's own pid_max, Linux 6.14+, may be above the machine's).
BIG=4194305

setup() {
	requires root
	SERVERS=()
	SOCK=$BATS_TEST_TMPDIR/sock
	# an abstract name no other test (or run) has
	ABSTRACT=@setlastpid-test-$$-$BATS_TEST_NUMBER-$RANDOM
}

teardown() {
	kill_and_reap "${SERVERS[@]}"
	nest_destroy_all
	if [ -n "${GROUP:-}" ]; then groupdel "$GROUP" 2>/dev/null || true; fi
	if [ -n "${PUBLIC_DIR:-}" ]; then rm -rf "$PUBLIC_DIR"; fi
}

# serve_nest DEPTH: a nest of DEPTH levels (NEST, NEST_DEPTH), and NS its --ns.
serve_nest() {
	nest_create "$1"
	NEST_DEPTH=$1
	NS=/proc/$NEST/ns/pid
}

# serving: the server has said it serves (with --verbose), or is gone.
serving() {
	grep -q '^setlastpid: serving ' "$SERVER_LOG" || job_ended "$SERVER"
}

# serve_start [--no-wait] COMMAND...: COMMAND (setlastpid --serve=... --verbose,
# or what starts it) in the background, its stderr in SERVER_LOG and its pid
# in SERVER; returns once it says it serves, failing if it did not.
serve_start() {
	local wait=yes
	if [ "$1" = --no-wait ]; then wait=no; shift; fi
	SERVER_LOG=$BATS_TEST_TMPDIR/server.${#SERVERS[@]}.log
	"$@" </dev/null >/dev/null 2>"$SERVER_LOG" &
	SERVER=$!
	SERVERS+=("$SERVER")
	[ "$wait" = yes ] || return 0
	wait_until "$TEST_TIMEOUT" serving
	grep -q '^setlastpid: serving ' "$SERVER_LOG" || {
		echo "the server did not start:" >&2
		cat "$SERVER_LOG" >&2
		return 1
	}
}

# serve SOCKET [OPTION...]: setlastpid --serve=SOCKET --ns NS --verbose OPTION...
serve() {
	local sock=$1
	shift
	serve_start "$SETLASTPID" --serve="$sock" --ns "$NS" --verbose "$@"
}

# server_stop SIGNAL: send it, wait (bounded) for the server; its status in STOPPED.
server_stop() {
	kill "-$1" "$SERVER"
	STOPPED=0
	wait_bounded "$SERVER" || STOPPED=$?
}

# The nest's levels, innermost first, by inode: NEST's pid namespace, then
# that of each process above it up to the test's own (nest_create's
# unshares: the init of a level is the child of the level above).
nest_level_inodes() {
	local pid=$NEST i
	for ((i = 0; i < NEST_DEPTH; i++)); do
		stat -L -c %i "/proc/$pid/ns/pid"
		pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
	done
}

# server_helpers [LEVEL]: the pids (as the test sees them) of the tasks
# named setlastpid in the nest's levels, or in level LEVEL alone: the
# server's helpers (CLONE_VM tasks; /proc/PID/comm is setlastpid's).
server_helpers() {
	local -A level=()
	local inode path pid comm i=0
	while read -r inode; do
		if [ $# = 0 ] || [ "$i" = "$1" ]; then level[$inode]=1; fi
		i=$((i + 1))
	done < <(nest_level_inodes)
	while read -r path inode; do
		[ -n "${level[$inode]:-}" ] || continue
		pid=${path#/proc/}
		pid=${pid%%/*}
		{ read -r comm <"/proc/$pid/comm"; } 2>/dev/null || continue
		if [ "$comm" = setlastpid ]; then echo "$pid"; fi
	done < <(stat -L -c '%n %i' /proc/[0-9]*/ns/pid 2>/dev/null)
}

helper_count() {
	server_helpers | grep -c '' || true
}

# no_helpers: none of the server's helpers is left in the nest.
no_helpers() {
	[ "$(helper_count)" = 0 ]
}

# vector_of DEPTH BASE: BASE, BASE + 10, ... DEPTH values, comma-separated.
vector_of() {
	seq -s, "$2" 10 $(($2 + 10 * ($1 - 1)))
}

# next_of VECTOR: the pids of the next process, innermost first: VECTOR + 1.
next_of() {
	local v out=()
	for v in ${1//,/ }; do out+=($((v + 1))); done
	echo "${out[*]}"
}

# server_waits: the server's main task sleeps on a futex: in a request,
# waiting for its helpers (between requests it is in ppoll).
server_waits() {
	grep -q futex "/proc/$SERVER/wchan" 2>/dev/null
}

# failure_lines: the lines the server logged for failed requests.
failure_lines() {
	grep '^setlastpid: request from ' "$SERVER_LOG" | grep -v -E ': (done|would be done)$' || true
}

@test "a minimal client of set_ns_last_pid's protocol (C, abstract address) sets level 0" {
	serve_nest 3
	serve "$SOCK"
	# born 0600 and root's: nobody else's by default
	[ "$(stat -c '%a %U %F' "$SOCK")" = "600 root socket" ]
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 500
	assert_next "$NEST" 501
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 1200
	assert_next "$NEST" 1201
	# a failure is 1: above pid_max, a level untouched
	remember_levels
	run_bounded -1 "$MIN_CLIENT" "$SOCK" "$BIG"
	assert_unchanged
	# and the server's own name may be abstract too
	serve "$ABSTRACT"
	run_bounded -0 "$MIN_CLIENT" "$ABSTRACT" 700
	assert_next "$NEST" 701
}

@test "the extended protocol at depth 1, 3 and 32: VECTOR set, a dry run changes nothing" {
	local depth vector
	for depth in 1 3 32; do
		serve_nest "$depth"
		serve "$SOCK.$depth"
		[ "$(grep -c '^setlastpid: level [0-9]*: a helper holds pid' "$SERVER_LOG")" = "$depth" ]
		vector=$(vector_of "$depth" 300)
		run_bounded -0 --separate-stderr "$SETLASTPID" --connect="$SOCK.$depth" "$vector"
		[ -z "$output$stderr" ]
		assert_next "$NEST" "$(next_of "$vector")"
		vector=$(vector_of "$depth" 900)
		remember_levels
		run_bounded -0 "$SETLASTPID" --connect="$SOCK.$depth" --dry-run "$vector"
		[ "$output" = "would set $vector via the server on $SOCK.$depth" ]
		assert_unchanged
		run_bounded -0 "$SETLASTPID" --connect="$SOCK.$depth" --verbose "$vector"
		[ "$output" = "set $vector via the server on $SOCK.$depth" ]
		assert_next "$NEST" "$(next_of "$vector")"
		# fewer values than levels: the innermost ones alone (the probe
		# above took one pid at every level)
		local rest
		rest=$(plus "$(next_of "$vector" | cut -s -d' ' -f2-)" 1)
		run_bounded -0 "$SETLASTPID" --connect="$SOCK.$depth" 2000
		assert_next "$NEST" "2001${rest:+ $rest}"
		grep -q "^setlastpid: request from pid [0-9]* (uid 0, gid 0): $vector: done$" "$SERVER_LOG"
	done
}

@test "--connect exits as the command would, with the command's line" {
	serve_nest 3
	serve "$SOCK"
	local vector
	for vector in "$BIG" "100,$BIG" "1,2,3,4,5"; do
		run_bounded --separate-stderr "$SETLASTPID" --ns "$NS" "$vector"
		local want_status=$status want_stderr=$stderr
		[ "$want_status" != 0 ]
		remember_levels
		run_bounded "-$want_status" --separate-stderr "$SETLASTPID" --connect="$SOCK" "$vector"
		assert_stderr_is "$want_stderr"
		assert_unchanged
	done
	# no server there: 69 (EX_UNAVAILABLE)
	run_bounded -69 --separate-stderr "$SETLASTPID" --connect="$BATS_TEST_TMPDIR/none" 100
	assert_one_error_line "cannot reach a server on $BATS_TEST_TMPDIR/none"
}

@test "every malformed datagram gets a failure reply, logged with the sender's credentials; the server goes on" {
	serve_nest 2
	serve "$SOCK"
	local spec want n=0
	# DATAGRAM's parts, and the reply: set_ns_last_pid's 1 byte, or ours
	while IFS='|' read -r spec want; do
		remember_levels
		# shellcheck disable=SC2086 # one word per part
		run_bounded -0 "$DATAGRAM" "$SOCK" $spec
		# shellcheck disable=SC2053 # want is a pattern
		[[ $output == $want ]] || { echo "'$spec': got '$output', want '$want'" >&2; false; }
		assert_unchanged
		n=$((n + 1))
		# and the server goes on
		run_bounded -0 "$MIN_CLIENT" "$SOCK" $((400 + n))
		assert_next "$NEST" $((401 + n))
	done <<EOF
|reply 1 byte: 1
zero:3|reply 1 byte: 1
zero:5|reply 1 byte: 1
zero:65536|reply 1 byte: 1
u32:$BIG|reply 1 byte: 1
u32:2147483648|reply 1 byte: 1
u32:-1|reply 1 byte: 1
u32:-500|reply 1 byte: 1
str:SLP2 u32:0 u32:1 u32:100|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: *
str:SLP0 u32:0 u32:1 u32:100|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: *
str:SLP1|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: *
str:SLP1 u32:0 u32:0|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: *
str:SLP1 u32:0 u32:33 zero:132|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: *
str:SLP1 u32:0 u32:2 u32:100|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: *
str:SLP1 u32:0 u32:1 u32:100 u32:100|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: *
str:SLP1 u32:0 u32:1 u32:-1|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: a negative value
str:SLP1 u32:0 u32:2 u32:100 u32:-100|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: a negative value
str:SLP1 u32:8 u32:1 u32:100|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: flags this server does not know
str:SLP1 u32:6 u32:1 u32:100|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: a floor with COMMAND: a floor creates nothing
str:SLP1 u32:0 u32:1 zero:65536|reply * bytes: SLP1 status 64 level -1 errnum 0: malformed request: *
str:SLP1 u32:0 u32:1 u32:$BIG|reply * bytes: SLP1 status 65 level 0 errnum 0: value 1 of the vector, $BIG, is above pid_max *
str:SLP1 u32:0 u32:4 u32:1 u32:2 u32:3 u32:4|reply * bytes: SLP1 status 65 level -1 errnum 0: the vector has 4 values but $NS is 3 levels deep *
EOF
	# one line each, and each says who sent it
	failure_lines >"$BATS_TEST_TMPDIR/failures"
	[ "$(grep -c '' "$BATS_TEST_TMPDIR/failures")" = "$n" ] || { cat "$BATS_TEST_TMPDIR/failures" >&2; false; }
	run_bounded -0 grep -c -E '^setlastpid: request from pid [1-9][0-9]* \(uid 0, gid 0\): ' "$BATS_TEST_TMPDIR/failures"
	[ "$output" = "$n" ]
	if job_ended "$SERVER"; then false; fi
}

@test "Linux 6.14+: a value above the level's own pid_max fails, by either protocol, from outside and from a server of its own level" {
	pid_max_per_ns || skip "this kernel has one pid_max for all (before Linux 6.14)"
	serve_nest 2
	nsenter --target "$NEST" --pid -- sh -c 'echo 1000 >/proc/sys/kernel/pid_max'
	serve "$SOCK"
	remember_levels
	run_bounded -1 "$MIN_CLIENT" "$SOCK" 1500
	run_bounded -65 --separate-stderr "$SETLASTPID" --connect="$SOCK" 1500,50
	assert_one_error_line "value 1 of the vector, 1500, is above pid_max (1000): give 0 to 1000"
	run_bounded -65 --separate-stderr "$SETLASTPID" --connect="$SOCK" --dry-run 1500,50
	assert_stderr_is "setlastpid: value 1 of the vector, 1500, is above pid_max (1000): give 0 to 1000"
	assert_unchanged
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 998
	assert_next "$NEST" 999
	# a server of its own level: its one write, the kernel's range check
	serve_start nsenter --target "$NEST" --pid -- "$SETLASTPID" --serve="$SOCK.own" --verbose
	remember_levels
	run_bounded -1 "$MIN_CLIENT" "$SOCK.own" 1001
	run_bounded -65 --separate-stderr "$SETLASTPID" --connect="$SOCK.own" 1001
	assert_one_error_line "value 1 of the vector, 1001, is above pid_max (1000): give 0 to 1000"
	assert_unchanged
	run_bounded -0 "$MIN_CLIENT" "$SOCK.own" 1000
	run_bounded -0 "$MIN_CLIENT" "$SOCK.own" 900
	assert_next "$NEST" 901
}

# public_dir_and_group: PUBLIC_DIR, a directory anyone may reach (the
# test's own is root's alone), and GROUP, a new system group; teardown
# removes both.
public_dir_and_group() {
	PUBLIC_DIR=$(mktemp -d /tmp/setlastpid-server.XXXXXX)
	chmod 0755 "$PUBLIC_DIR"
	GROUP=slpsrv$$t$BATS_TEST_NUMBER
	groupadd -r "$GROUP"
}

@test "another user is refused by the socket's mode, and admitted with --socket-group" {
	serve_nest 1
	public_dir_and_group
	local gid nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --) member
	gid=$(getent group "$GROUP" | cut -d: -f3)
	member=(setpriv --reuid=65534 --regid=65534 --groups="$gid" --)

	# the default: 0600, root's
	serve "$PUBLIC_DIR/default"
	[ "$(stat -c %a "$PUBLIC_DIR/default")" = 600 ]
	remember_levels
	run_bounded -2 --separate-stderr "${nobody[@]}" "$MIN_CLIENT" "$PUBLIC_DIR/default" 300
	[[ $stderr == *"Permission denied"* ]]
	run_bounded -2 --separate-stderr "${member[@]}" "$MIN_CLIENT" "$PUBLIC_DIR/default" 300
	run_bounded -77 --separate-stderr "${nobody[@]}" "$SETLASTPID" --connect="$PUBLIC_DIR/default" 300
	assert_one_error_line "cannot reach a server on $PUBLIC_DIR/default: Permission denied"
	assert_unchanged

	# --socket-group (with --socket-mode=0660, as setlastpid(8) says):
	# its members may write, others still not
	serve "$PUBLIC_DIR/group" --socket-group="$GROUP" --socket-mode=0660
	[ "$(stat -c '%a %G' "$PUBLIC_DIR/group")" = "660 $GROUP" ]
	remember_levels
	run_bounded -2 "${nobody[@]}" "$MIN_CLIENT" "$PUBLIC_DIR/group" 300
	assert_unchanged
	run_bounded -0 "${member[@]}" "$MIN_CLIENT" "$PUBLIC_DIR/group" 300
	assert_next "$NEST" 301
	run_bounded -0 "${member[@]}" "$SETLASTPID" --connect="$PUBLIC_DIR/group" 310
	assert_next "$NEST" 311
	# a failure from another is logged with that user's credentials
	run_bounded -65 "${member[@]}" "$SETLASTPID" --connect="$PUBLIC_DIR/group" "$BIG"
	failure_lines | grep -q "^setlastpid: request from pid [1-9][0-9]* (uid 65534, gid 65534): $BIG: "
}

@test "--socket-mode and --socket-group: the mode and group asked for, by name or number" {
	serve_nest 1
	public_dir_and_group
	local gid
	gid=$(getent group "$GROUP" | cut -d: -f3)
	serve "$PUBLIC_DIR/g" --socket-mode=0660 --socket-group="$gid"
	[ "$(stat -c '%a %G' "$PUBLIC_DIR/g")" = "660 $GROUP" ]
	run_bounded -0 setpriv --reuid=65534 --regid=65534 --groups="$GROUP" -- "$MIN_CLIENT" "$PUBLIC_DIR/g" 300
	assert_next "$NEST" 301
	run_bounded -2 setpriv --reuid=65534 --regid=65534 --clear-groups -- "$MIN_CLIENT" "$PUBLIC_DIR/g" 310
	serve "$PUBLIC_DIR/all" --socket-mode=0666
	[ "$(stat -c %a "$PUBLIC_DIR/all")" = 666 ]
	run_bounded -0 setpriv --reuid=65534 --regid=65534 --clear-groups -- "$MIN_CLIENT" "$PUBLIC_DIR/all" 320
	assert_next "$NEST" 321
	# no such group: nothing made
	run_bounded -64 --separate-stderr "$SETLASTPID" --serve="$PUBLIC_DIR/none" --ns "$NS" --socket-group=no-such-group-here
	assert_one_error_line "invalid --socket-group 'no-such-group-here'"
	[ ! -e "$PUBLIC_DIR/none" ]
}

# socket_group_refused GROUP: --socket-group=GROUP is a bad command line,
# and no socket is made. A server that took it would serve: bounded short.
socket_group_refused() {
	local TEST_TIMEOUT=20
	run_bounded -64 --separate-stderr "$SETLASTPID" --serve="$SOCK" --socket-group="$1"
	assert_stderr_is "setlastpid: invalid --socket-group '$1': give a group name, or a number from 0 to 4294967294"
	[ ! -e "$SOCK" ]
}

@test "--socket-group=4294967296, past gid_t, is refused, not taken as group 0 (root)" {
	socket_group_refused 4294967296
	socket_group_refused 99999999999999999999
}

@test "--socket-group=-1, negative, is refused" {
	socket_group_refused -1
}

@test "--socket-group=4294967295, (gid_t)-1, which chown() takes as no change, is refused" {
	socket_group_refused 4294967295
}

@test "--socket-group alone: mode 0660, its members admitted, others not" {
	serve_nest 1
	public_dir_and_group
	serve "$PUBLIC_DIR/group" --socket-group="$GROUP"
	[ "$(stat -c '%a %G' "$PUBLIC_DIR/group")" = "660 $GROUP" ]
	remember_levels
	run_bounded -2 setpriv --reuid=65534 --regid=65534 --clear-groups -- "$MIN_CLIENT" "$PUBLIC_DIR/group" 300
	assert_unchanged
	run_bounded -0 setpriv --reuid=65534 --regid=65534 --groups="$GROUP" -- "$MIN_CLIENT" "$PUBLIC_DIR/group" 300
	assert_next "$NEST" 301
	run_bounded -0 setpriv --reuid=65534 --regid=65534 --groups="$GROUP" -- \
		"$SETLASTPID" --connect="$PUBLIC_DIR/group" 310
	assert_next "$NEST" 311
	# --socket-mode, given, is the mode
	serve "$PUBLIC_DIR/mode" --socket-group="$GROUP" --socket-mode=0640
	[ "$(stat -c '%a %G' "$PUBLIC_DIR/mode")" = "640 $GROUP" ]
}

@test "the socket swapped for a symbolic link before its group and mode are set: they are set on nothing else" {
	command -v strace >/dev/null || skip "needs strace"
	serve_nest 1
	public_dir_and_group
	local victim=$PUBLIC_DIR/victim
	echo secret >"$victim"
	chmod 0600 "$victim"
	# bind() made the socket file, and takes 1.5 s to return: in its place, a link
	serve_start --no-wait strace -f -qq -o /dev/null -e inject=bind:delay_exit=1500000 \
		"$SETLASTPID" --serve="$PUBLIC_DIR/sock" --ns "$NS" --socket-group="$GROUP" --socket-mode=0666
	wait_until "$TEST_TIMEOUT" test -S "$PUBLIC_DIR/sock"
	rm "$PUBLIC_DIR/sock"
	ln -s "$victim" "$PUBLIC_DIR/sock"
	local status=0
	wait_bounded "$SERVER" || status=$?
	[ "$status" = 71 ]
	grep -q "^setlastpid: cannot set the owner or mode of $PUBLIC_DIR/sock: " "$SERVER_LOG"
	[ "$(stat -c '%a %U %G' "$victim")" = "600 root root" ]
}

@test "an existing socket file is replaced only if nothing answers on it" {
	serve_nest 1
	# not a socket: left alone
	echo data >"$SOCK"
	run_bounded -64 --separate-stderr "$SETLASTPID" --serve="$SOCK" --ns "$NS"
	assert_one_error_line "cannot serve on $SOCK: it exists and is no socket"
	[ "$(cat "$SOCK")" = data ]
	rm "$SOCK"
	# a live server's: left alone, and it goes on answering
	serve "$SOCK"
	local first=$SERVER
	run_bounded -75 --separate-stderr "$SETLASTPID" --serve="$SOCK" --ns "$NS"
	assert_one_error_line "cannot serve on $SOCK: a server answers on it already"
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 400
	assert_next "$NEST" 401
	# a dead one's (SIGKILL leaves the file): replaced
	kill -KILL "$first"
	wait_bounded "$first" || true
	[ -S "$SOCK" ]
	serve "$SOCK"
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 500
	assert_next "$NEST" 501
}

# requires_activation: systemd-socket-activate, and systemd-escape for
# the instance of setlastpid@.service, whose command line these tests run.
requires_activation() {
	local tool
	for tool in systemd-socket-activate systemd-escape; do
		command -v "$tool" >/dev/null || skip "needs $tool (package systemd)"
	done
}

@test "socket activation: setlastpid@.service's ExecStart under systemd-socket-activate --datagram serves the socket it is handed" {
	requires_activation
	serve_nest 2
	# the unit's command line for this nest (tests/units.bats has the rest
	# of the unit), on the test's socket, and --verbose to watch it
	unit_argv setlastpid@.service "$(systemd-escape --path "$NS")" "$SOCK"
	# it listens, and execs the server (same pid) at the first datagram
	serve_start --no-wait systemd-socket-activate --datagram -l "$SOCK" "${UNIT_ARGV[@]}" --verbose
	wait_until "$TEST_TIMEOUT" test -S "$SOCK"
	# the first datagram, queued before the server runs: answered
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 600
	assert_next "$NEST" 601
	grep -q '^setlastpid: serving ' "$SERVER_LOG"
	[ "$(helper_count)" = 2 ]
	run_bounded -0 "$SETLASTPID" --connect="$SOCK" 700,70
	assert_next "$NEST" "701 71"
	# the socket is systemd's: left where it is; the helpers end
	server_stop TERM
	[ "$STOPPED" = 0 ]
	[ -S "$SOCK" ]
	wait_until 10 no_helpers
}

@test "socket activation: a failure queued before the server ran is not pinned on another user" {
	requires_activation
	serve_nest 1
	unit_argv setlastpid@.service "$(systemd-escape --path "$NS")" "$SOCK"
	serve_start --no-wait systemd-socket-activate --datagram -l "$SOCK" "${UNIT_ARGV[@]}" --verbose
	wait_until "$TEST_TIMEOUT" test -S "$SOCK"
	run_bounded -1 "$MIN_CLIENT" "$SOCK" "$BIG"
	run_bounded -1 "$MIN_CLIENT" "$SOCK" $((BIG + 1))
	# root sent both: the first's credentials went unsent (no SO_PASSCRED
	# yet), so the log may say it does not know them, not name nobody
	failure_lines >"$BATS_TEST_TMPDIR/failures"
	[ "$(grep -c '' "$BATS_TEST_TMPDIR/failures")" = 2 ]
	if grep -q 'uid 65534' "$BATS_TEST_TMPDIR/failures"; then
		cat "$BATS_TEST_TMPDIR/failures" >&2
		false
	fi
}

@test "LISTEN_FDS with no UNIX datagram socket: exit 64, nothing served" {
	serve_nest 1
	# fd 3 a regular file, LISTEN_PID the server's own (exec keeps it)
	run_bounded -64 --separate-stderr bash -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --serve="$1" --ns "$2" 3<"$0"' \
		"$SETLASTPID" "$SOCK" "$NS"
	assert_one_error_line "LISTEN_FDS gave no UNIX datagram socket as fd 3"
	[ ! -e "$SOCK" ]
}

@test "SIGTERM and SIGINT: exit 0, no socket, no helper left" {
	serve_nest 3
	local sig
	for sig in TERM INT; do
		serve "$SOCK"
		[ "$(helper_count)" = 3 ]
		run_bounded -0 "$SETLASTPID" --connect="$SOCK" 100,50,7
		# and one of fewer values than levels, last
		run_bounded -0 "$MIN_CLIENT" "$SOCK" 200
		assert_next "$NEST" "201 51 8"
		server_stop "$sig"
		[ "$STOPPED" = 0 ] || { echo "SIG$sig: status $STOPPED" >&2; cat "$SERVER_LOG" >&2; false; }
		[ ! -e "$SOCK" ]
		grep -q "^setlastpid: stopped by SIG$sig$" "$SERVER_LOG"
		wait_until 10 no_helpers
	done
}

@test "SIGTERM while it starts (depth 32, its helpers being made): exit 0, no socket, no helper" {
	serve_nest 32
	serve_start --no-wait "$SETLASTPID" --serve="$SOCK" --ns "$NS"
	local deadline=$((SECONDS + TEST_TIMEOUT))
	# the moment its socket exists: it makes its helpers next
	until [ -S "$SOCK" ] || ((SECONDS > deadline)); do :; done
	server_stop TERM
	[ "$STOPPED" = 0 ] || { echo "status $STOPPED, socket left: $(ls "$SOCK" 2>&1)" >&2; false; }
	[ ! -e "$SOCK" ]
	wait_until 10 no_helpers
}

@test "the nest gone under the server: requests fail clearly, never 'done'" {
	serve_nest 2
	serve "$SOCK"
	run_bounded -0 "$SETLASTPID" --connect="$SOCK" 100,50
	nest_destroy_all
	run_bounded -71 --separate-stderr "$SETLASTPID" --connect="$SOCK" 200,60
	assert_one_error_line "level 0"
	run_bounded -1 "$MIN_CLIENT" "$SOCK" 300
	[ "$(failure_lines | grep -c '')" = 2 ]
}

@test "SIGTERM in the middle of a request: it is finished and answered, then the server ends" {
	serve_nest 2
	serve "$SOCK"
	local helper client
	helper=$(server_helpers 0)
	[ -n "$helper" ]
	# a request in hand: level 0's helper held still while it is given
	kill -STOP "$helper"
	bounded "$SETLASTPID" --connect="$SOCK" 300,30 >"$BATS_TEST_TMPDIR/client" 2>&1 &
	client=$!
	wait_until "$TEST_TIMEOUT" server_waits
	kill -TERM "$SERVER"
	sleep 0.2
	if job_ended "$SERVER"; then echo "the server ended with a request in hand" >&2; false; fi
	kill -CONT "$helper"
	wait_bounded "$client" || { cat "$BATS_TEST_TMPDIR/client" >&2; false; }
	assert_next "$NEST" "301 31"
	STOPPED=0
	wait_bounded "$SERVER" || STOPPED=$?
	[ "$STOPPED" = 0 ]
	[ ! -e "$SOCK" ]
	wait_until 10 no_helpers
}

@test "SIGKILL: the helpers end too" {
	serve_nest 3
	serve "$ABSTRACT"
	[ "$(helper_count)" = 3 ]
	run_bounded -0 "$MIN_CLIENT" "$ABSTRACT" 100
	kill -KILL "$SERVER"
	wait_bounded "$SERVER" || true
	wait_until 10 no_helpers
}

@test "a helper killed between requests: the next request is done right or fails clearly" {
	serve_nest 3
	serve "$SOCK"
	local level helper round=0 vector
	for level in 0 1 2; do
		helper=$(server_helpers "$level")
		[ -n "$helper" ]
		kill -KILL "$helper"
		wait_until 10 job_ended "$helper"
		for vector in "$(vector_of 3 $((1000 + 100 * round)))" "$((1050 + 100 * round))"; do
			remember_levels
			run_bounded --separate-stderr "$SETLASTPID" --connect="$SOCK" "$vector"
			if [ "$status" = 0 ]; then
				# done: and it is true, every level
				assert_next "$NEST" "$(next_of "$vector")"
			else
				assert_one_error_line "level"
				echo "# helper of level $level killed: '$stderr'" >&3
			fi
			round=$((round + 1))
		done
	done
	# replaced, or not: the server still answers, and never falsely
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 4000
	assert_next "$NEST" 4001
	echo "# helpers now: $(helper_count) of 3" >&3
}

@test "a helper killed in the middle of a request: it fails clearly, the next is done" {
	serve_nest 3
	serve "$SOCK"
	local helper client status=0
	run_bounded -0 "$SETLASTPID" --connect="$SOCK" 100,50,7
	helper=$(server_helpers 1)
	[ -n "$helper" ]
	kill -STOP "$helper"
	remember_levels
	bounded "$SETLASTPID" --connect="$SOCK" 300,30,3 >"$BATS_TEST_TMPDIR/client" 2>&1 &
	client=$!
	wait_until "$TEST_TIMEOUT" server_waits
	kill -KILL "$helper"
	wait_bounded "$client" || status=$?
	echo "# the request's answer: status $status, '$(cat "$BATS_TEST_TMPDIR/client")'" >&3
	[ "$status" != 0 ] || { echo "a helper died mid-request, yet 'done'" >&2; false; }
	[ "$status" != 124 ] && [ "$status" != 137 ] || { echo "no answer: the server hangs" >&2; false; }
	grep -q "^setlastpid: .*level" "$BATS_TEST_TMPDIR/client"
	# nothing half-done: every level as it was
	assert_unchanged
	# and the next is done (a replacement, if any, takes a pid in level 1
	# and above first, and holds it: values clear of it)
	run_bounded -0 "$SETLASTPID" --connect="$SOCK" 500,60,20
	assert_next "$NEST" "501 61 21"
}

@test "a flood of 10,000 requests from 8 clients, both protocols, is answered completely" {
	serve_nest 3
	serve "$SOCK"
	run_bounded -0 "$FLOOD" -c 8 -n 1250 -p mix -d 3 "$SOCK"
	echo "# $output" >&3
	[[ $output == "clients=8 requests=10000 done=10000 failed=0 lost=0 bad=0 "* ]]
	# every one logged as done, none as failed
	[ "$(grep -c ': done$' "$SERVER_LOG")" = 10000 ]
	[ -z "$(failure_lines)" ]
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 5000
	assert_next "$NEST" 5001
}

@test "memory flat: VmRSS under 4 MiB after 100,000 requests, not growing from 50,000" {
	serve_nest 2
	# not --verbose: as a server runs for long
	serve_start --no-wait "$SETLASTPID" --serve="$SOCK" --ns "$NS"
	wait_until "$TEST_TIMEOUT" test -S "$SOCK"
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 100
	local -a rss fds
	local half
	for half in 1 2; do
		run_bounded -0 "$FLOOD" -c 4 -n 12500 -p mix -d 2 "$SOCK"
		[[ $output == *" done=50000 "* ]]
		rss[half]=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER/status")
		fds[half]=$(find "/proc/$SERVER/fd" -mindepth 1 | grep -c '')
	done
	echo "# VmRSS after 50,000: ${rss[1]} kB, after 100,000: ${rss[2]} kB; fds ${fds[1]}, ${fds[2]}" >&3
	# ASan's shadow memory alone is more; growth is the check there
	asan_build || [ "${rss[2]}" -lt 4096 ]
	[ "${rss[2]}" -le "${rss[1]}" ]
	[ "${fds[2]}" = "${fds[1]}" ]
	[ ! -s "$SERVER_LOG" ]
}

@test "clients gone before their replies do no harm" {
	serve_nest 2
	serve "$SOCK"
	run_bounded -0 "$FLOOD" -g -c 4 -n 500 -p mix -d 2 "$SOCK"
	run_bounded -0 "$MIN_CLIENT" "$SOCK" 6000
	assert_next "$NEST" 6001
	[ "$(grep -c ': done$' "$SERVER_LOG")" = 2001 ]
	[ -z "$(failure_lines)" ]
}

@test "Ctrl-C on a --connect client, swept over its run: exit 0 and every level set, or 130 and none" {
	[ -n "${SIGNAL_AT:-}" ] && [ -x "$SIGNAL_AT" ] || skip "needs tests/faults/signal-at (make check builds it)"
	serve_nest 3
	serve "$SOCK"
	local pass round delay vector set=0 cut=0 spans=
	# the delays spread over a whole run and past its end, however long a
	# run takes here and now (an ASan build starts slower; a busy machine's
	# pace changes): a sweep with no run done is measured and swept again
	for ((pass = 1; pass <= ${SWEEP_PASSES:-3} && set == 0; pass++)); do
		sweep_delays 40 "$SETLASTPID" --connect="$SOCK" 500,1500,2500
		spans+="${spans:+, }$SWEEP_SPAN"
		for ((round = 0; round < 40; round++)); do
			delay=${SWEEP_DELAYS[round]}
			vector="$((1000 + round * 10)),$((2000 + round * 10)),$((3000 + round * 10))"
			remember_levels
			run_bounded "$SIGNAL_AT" -g INT "$delay" "$SETLASTPID" --connect="$SOCK" "$vector"
			case $status in
			0) assert_next "$NEST" "$((1001 + round * 10)) $((2001 + round * 10)) $((3001 + round * 10))"
				set=$((set + 1)) ;;
			130) assert_unchanged
				cut=$((cut + 1)) ;;
			*) echo "delay $delay us: status $status: $output" >&2
				false ;;
			esac
		done
	done
	echo "# $((pass - 1)) sweep(s) to 3/2 of a run ($spans us): $set set (exit 0), $cut cut before the request (130)" >&3
	[ "$set" -gt 0 ]
}

@test "--connect VALUE -- COMMAND, in level 0: COMMAND at VALUE + 1, its status handed on" {
	serve_nest 2
	serve "$SOCK"
	run_bounded -0 nsenter --target "$NEST" --pid -- "$SETLASTPID" --connect="$SOCK" 700 -- "${OWN_PIDS[@]}"
	[[ $output == "701 "* ]]
	run_bounded -3 nsenter --target "$NEST" --pid -- "$SETLASTPID" --connect="$SOCK" 800 -- sh -c 'exit 3'
	run_bounded -127 --separate-stderr nsenter --target "$NEST" --pid -- \
		"$SETLASTPID" --connect="$SOCK" 900 -- /nonexistent/command
	assert_stderr_is "setlastpid: cannot run /nonexistent/command: No such file or directory"
}

@test "--connect VECTOR -- COMMAND in level 0 of a deeper nest: COMMAND at VECTOR + 1" {
	serve_nest 2
	serve "$SOCK"
	# the server sets both levels; COMMAND is created in level 0, whence
	# the client sees one level of the two it asked for
	run_bounded --separate-stderr nsenter --target "$NEST" --pid -- \
		"$SETLASTPID" --connect="$SOCK" 700,70 -- awk '/^NSpid:/ { print $NF }' /proc/self/status
	[ "$status" = 0 ] || { echo "status $status: $stderr" >&2; false; }
	[ "$output" = 701 ]
	assert_next "$NEST" "702 72"
}

@test "--connect VALUE -- COMMAND where VALUE + 1 is the client's own pid: 65 before the server is asked, nothing set" {
	serve_nest 1
	serve "$SOCK"
	remember_levels
	# sh's pid is the client's (exec): VALUE + 1 is taken by the client
	run_bounded -65 --separate-stderr nsenter --target "$NEST" --pid -- \
		sh -c 'exec "$0" --connect="$1" $(($$ - 1)) -- true' "$SETLASTPID" "$SOCK"
	assert_one_error_line "is this process's own"
	# found before the server was asked: it had no request, and the level
	# moved on by the client's own pid alone (set, VALUE + 1 would be next)
	if grep '^setlastpid: request from ' "$SERVER_LOG"; then false; fi
	assert_unchanged_but 1
}

@test "--connect VECTOR -- COMMAND in a noisy level 0: COMMAND only with its pid, else 75 or 65" {
	serve_nest 1
	serve "$SOCK"
	nsenter --target "$NEST" --pid -- sh -c 'while :; do /bin/true; done' </dev/null >/dev/null 2>&1 &
	NEST_KILL+=("$!")
	local round value out status exact=0 refused=0 in_use=0
	for round in $(seq 25); do
		value=$((2000 + 4 * round))
		status=0
		out=$(bounded nsenter --target "$NEST" --pid -- "$SETLASTPID" --connect="$SOCK" "$value" -- \
			"${OWN_PIDS[@]}" 2>"$BATS_TEST_TMPDIR/stderr") || status=$?
		if [ "$status" = 0 ] && [[ $out == "$((value + 1)) "* ]]; then
			exact=$((exact + 1))
		elif [ "$status" = 75 ] && [ -z "$out" ]; then
			refused=$((refused + 1))
		elif [ "$status" = 65 ] && [ -z "$out" ] &&
			grep -q -E " is in use in level 0 | is this process's own" "$BATS_TEST_TMPDIR/stderr"; then
			# the noise, or the client itself, holds VALUE + 1: COMMAND
			# could not have it
			in_use=$((in_use + 1))
		else
			echo "round $round: status $status, output '$out', stderr '$(cat "$BATS_TEST_TMPDIR/stderr")'" >&2
			false
		fi
	done
	echo "# noisy level 0, --connect: $exact exact, $refused refused (75), $in_use in use (65)" >&3
}

# free_value: a value whose next pid is free in the test's own namespace
# (COMMAND created here would not find it in use).
free_value() {
	local v=700
	while [ -e "/proc/$((v + 1))" ]; do v=$((v + 7)); done
	echo "$v"
}

@test "--connect -- COMMAND outside level 0 of the served nest: 65 before anything is set, saying where" {
	serve_nest 2
	# the server serves the nest's outer level; NEST is in the level below it
	local outer value
	outer=$(awk '/^PPid:/ { print $2 }' "/proc/$NEST/status")
	NS=/proc/$outer/ns/pid
	serve "$SOCK"
	value=$(free_value)
	# above the nest, in the test's own namespace
	remember_levels
	run_bounded -65 --separate-stderr "$SETLASTPID" --connect="$SOCK" "$value" -- true
	assert_one_error_line "cannot run true here: this process is in pid:[$(stat -L -c %i /proc/self/ns/pid)], not in level 0 of the served nest (pid:[$(stat -L -c %i "$NS")]"
	[[ $stderr == *"; nothing was set" ]]
	[[ $stderr != *"another process was created there first"* ]]
	run_bounded -65 --separate-stderr "$SETLASTPID" --connect="$SOCK" --dry-run "$value" -- true
	assert_one_error_line "not in level 0 of the served nest"
	assert_unchanged
	# below it: the client and its nsenter take a pid in each level
	remember_levels
	run_bounded -65 --separate-stderr nsenter --target "$NEST" --pid -- "$SETLASTPID" --connect="$SOCK" 700,70 -- true
	assert_one_error_line "this process is in pid:[$(stat -L -c %i "/proc/$NEST/ns/pid")], not in level 0"
	assert_unchanged_but 1 1
	# the flag (2) alone, from a client that knows nothing of setlastpid
	run_bounded -0 "$DATAGRAM" "$SOCK" str:SLP1 u32:2 u32:1 u32:500
	[[ $output == "reply "*" bytes: SLP1 status 65 level 0 errnum 0: cannot run COMMAND here: "* ]]
	# without COMMAND, from anywhere: done
	run_bounded -0 "$SETLASTPID" --connect="$SOCK" 600
	assert_next "$outer" 601
	# each refusal logged with who asked
	[ "$(failure_lines | grep -c 'not in level 0 of the served nest')" = 4 ]
}

@test "a server inside the nest: a client outside it is said to be, never 'pid 0', and its COMMAND refused" {
	serve_nest 1
	serve_start nsenter --target "$NEST" --pid -- "$SETLASTPID" --serve="$SOCK" --verbose
	local value
	value=$(free_value)
	remember_levels
	run_bounded -65 "$SETLASTPID" --connect="$SOCK" "$BIG"
	grep -q "^setlastpid: request from a process outside the server's pid namespace (uid 0, gid 0): $BIG: value 1 of the vector" "$SERVER_LOG"
	run_bounded -65 --separate-stderr "$SETLASTPID" --connect="$SOCK" "$value" -- true
	assert_one_error_line "cannot run true here: this process is outside the server's pid namespace, not in level 0"
	assert_unchanged
	if grep 'request from pid 0 ' "$SERVER_LOG"; then false; fi
	# from inside, COMMAND at VALUE + 1
	run_bounded -0 nsenter --target "$NEST" --pid -- "$SETLASTPID" --connect="$SOCK" 700 -- "${OWN_PIDS[@]}"
	[[ $output == "701 "* ]]
	grep -q "^setlastpid: request from pid [1-9][0-9]* (uid 0, gid 0): 700: done$" "$SERVER_LOG"
}

@test "--connect to a server of set_ns_last_pid's protocol alone: its 1-byte answer, told as it is" {
	command -v cc >/dev/null || skip "needs a C compiler for tests/bench/server-baseline.c"
	serve_nest 1
	cc -o "$BATS_TEST_TMPDIR/server-baseline" "${TESTS_SRCDIR:-tests}/bench/server-baseline.c"
	# in level 0: it writes its own ns_last_pid
	serve_start --no-wait nsenter --target "$NEST" --pid -- "$BATS_TEST_TMPDIR/server-baseline" "$SOCK"
	wait_until "$TEST_TIMEOUT" test -S "$SOCK"
	# one value: asked again its way, 4 bytes, and done
	run_bounded -0 --separate-stderr "$SETLASTPID" --connect="$SOCK" 500
	[ -z "$output$stderr" ]
	assert_next "$NEST" 501
	run_bounded -0 "$SETLASTPID" --connect="$SOCK" --verbose 600
	[ "$output" = "set 600 via the server on $SOCK" ]
	assert_next "$NEST" 601
	# and with COMMAND, in level 0: at VALUE + 1
	run_bounded -0 nsenter --target "$NEST" --pid -- "$SETLASTPID" --connect="$SOCK" 700 -- "${OWN_PIDS[@]}"
	[[ $output == "701 "* ]]
	# refused: it gives no reason, and the client says so
	remember_levels
	run_bounded -71 --separate-stderr "$SETLASTPID" --connect="$SOCK" "$BIG"
	assert_one_error_line "the server on $SOCK refused $BIG without saying why"
	# more than its one value, or a dry run, it cannot do: nothing set
	run_bounded -69 --separate-stderr "$SETLASTPID" --connect="$SOCK" 800,80
	assert_one_error_line "the server on $SOCK speaks set_ns_last_pid's protocol alone"
	run_bounded -69 --separate-stderr "$SETLASTPID" --connect="$SOCK" --dry-run 800
	assert_one_error_line "the server on $SOCK speaks set_ns_last_pid's protocol alone"
	assert_unchanged
}

# The client of setlastpid-wire(7), written from the page alone, in Python.
CLIENT_PY=${CLIENT_PY:-${TESTS_SRCDIR:-tests}/server/client.py}

@test "a client written from setlastpid-wire(7) alone (Python) sets a vector at depth 3, dry-runs, and reads back every status it can provoke" {
	command -v python3 >/dev/null || skip "needs python3 (python3-minimal) for tests/server/client.py"
	local client=(python3 "$CLIENT_PY")
	serve_nest 3
	serve "$SOCK"
	run_bounded -0 "${client[@]}" "$SOCK" set 300 310 320
	[ "$output" = "SLP1 status 0 level -1 errnum 0: " ]
	assert_next "$NEST" "301 311 321"
	remember_levels
	run_bounded -0 "${client[@]}" "$SOCK" set --dry-run 900 910 920
	[ "$output" = "SLP1 status 0 level -1 errnum 0: " ]
	assert_unchanged
	# a floor: level 1 raised, levels 0 and 2 past theirs and left (the
	# floor's one task to read them moves each on by one, after the probes)
	run_bounded -0 "${client[@]}" "$SOCK" set --at-least 10 500 10
	[ "$output" = "SLP1 status 0 level -1 errnum 0: " ]
	assert_next "$NEST" "305 501 325"

	# each refused, nothing set: the client runs outside the nest, the
	# server creates no process, so no level moves at all
	remember_levels
	local inode_here inode_level0 spec want
	inode_here=$(stat -L -c %i /proc/self/ns/pid)
	inode_level0=$(stat -L -c %i "$NS")
	while IFS='|' read -r spec want; do
		# shellcheck disable=SC2086 # one word per argument
		run_bounded "${client[@]}" "$SOCK" $spec
		# shellcheck disable=SC2053 # want is a pattern
		[[ $output == $want ]] || { echo "'$spec': got '$output', want '$want'" >&2; false; }
		[ "$status" = "${want:12:2}" ]
	done <<EOT
set $BIG|SLP1 status 65 level 0 errnum 0: value 1 of the vector, $BIG, is above pid_max *
set 100 100 $BIG|SLP1 status 65 level 2 errnum 0: value 3 of the vector, $BIG, is above pid_max *
set 1 2 3 4 5|SLP1 status 65 level -1 errnum 0: the vector has 5 values but $NS is 4 levels deep *
set --command=restored-task 500|SLP1 status 65 level 0 errnum 0: cannot run restored-task here: this process is in pid:\[$inode_here\], not in level 0 of the served nest (pid:\[$inode_level0\], *could not get VECTOR + 1* nothing was set
set --dry-run --command=restored-task 500|SLP1 status 65 level 0 errnum 0: cannot run restored-task here: *
set --nr=2 500|SLP1 status 64 level -1 errnum 0: malformed request: *
set --extra=4 500|SLP1 status 64 level -1 errnum 0: malformed request: *
set --nr=0|SLP1 status 64 level -1 errnum 0: malformed request: *
set --nr=33 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33|SLP1 status 64 level -1 errnum 0: malformed request: *
set --magic=SLP2 500|SLP1 status 64 level -1 errnum 0: malformed request: a version this server does not speak: it speaks SLP1
set --magic=SLP0|SLP1 status 64 level -1 errnum 0: malformed request: a version this server does not speak: it speaks SLP1
set --flags=8 500|SLP1 status 64 level -1 errnum 0: malformed request: *
set -- -5|SLP1 status 64 level -1 errnum 0: malformed request: *
set 500 -500 5|SLP1 status 64 level -1 errnum 0: malformed request: *
EOT
	# set_ns_last_pid's protocol, its refusals: 1
	for spec in "$BIG" 2147483648 -1; do
		run_bounded -1 "${client[@]}" "$SOCK" plain "$spec"
		[ "$output" = "reply 1 byte: 1" ]
	done
	assert_unchanged
	# (77 is not provoked: a server checks at its start that it may write
	# every level, and does not start otherwise; setlastpid-wire(7))

	# and done: level 0 alone
	run_bounded -0 "${client[@]}" "$SOCK" plain 999
	[ "$output" = "reply 1 byte: 0" ]
	assert_next "$NEST" 1000
	# the nest gone under the server: a system error (71) at level 0
	nest_destroy_all
	run_bounded -71 "${client[@]}" "$SOCK" set 200 210 220
	[[ $output == "SLP1 status 71 level 0 errnum "* ]]
	run_bounded -1 "${client[@]}" "$SOCK" plain 300
	if job_ended "$SERVER"; then false; fi
}

# fastfreeze_shim DIR: setlastpid-wire(7)'s set_ns_last_pid for FastFreeze,
# taken from the page itself, in DIR, and setlastpid there under its name.
fastfreeze_shim() {
	local page=${TESTS_SRCDIR:-tests}/../man/setlastpid-wire.7
	mkdir -p "$1"
	sed -n '/^#!\/bin\/sh$/,/^esac$/p' "$page" >"$1/set_ns_last_pid"
	grep -q '^esac$' "$1/set_ns_last_pid" || { echo "no set_ns_last_pid script in $page" >&2; return 1; }
	chmod +x "$1/set_ns_last_pid"
	ln -s "$(command -v "$SETLASTPID")" "$1/setlastpid"
}

# fastfreeze_mounts: a mount namespace of the test's own (a process in it:
# MNT) where FF_APP, for FastFreeze /tmp/fastfreeze/APP, is mounted over
# /var/tmp/fastfreeze, as FastFreeze does with --app-name; /var/tmp there
# is the test's own directory, so that nothing is made in the machine's.
fastfreeze_mounts() {
	case $BATS_TEST_TMPDIR/ in
	/var/tmp/*) skip "the test's directory is in /var/tmp, which this test mounts over" ;;
	esac
	FF_APP=$BATS_TEST_TMPDIR/fastfreeze/app
	mkdir -p "$FF_APP/run" "$BATS_TEST_TMPDIR/var-tmp"
	setpriv --pdeathsig KILL unshare --mount --propagation private -- sh -c '
		mount --bind "$1" /var/tmp && mkdir -p /var/tmp/fastfreeze &&
			mount --bind "$2" /var/tmp/fastfreeze && : >"$3" && exec sleep infinity' \
		sh "$BATS_TEST_TMPDIR/var-tmp" "$FF_APP" "$BATS_TEST_TMPDIR/mounted" </dev/null >/dev/null 2>&1 &
	MNT=$!
	SERVERS+=("$MNT")
	wait_until 10 test -e "$BATS_TEST_TMPDIR/mounted"
}

@test "FastFreeze's drop-in: setlastpid run as set_ns_last_pid on /var/tmp/fastfreeze/run/set_ns_last_pid.sock answers its client's 1 byte" {
	serve_nest 1
	fastfreeze_mounts
	fastfreeze_shim "$BATS_TEST_TMPDIR/bin"
	local sock=/var/tmp/fastfreeze/run/set_ns_last_pid.sock outside
	outside=$FF_APP/run/set_ns_last_pid.sock
	# in the application's container: its mounts, its pid namespace, and
	# FastFreeze's PATH with the drop-in first
	local app=(nsenter --mount="/proc/$MNT/ns/mnt" --pid="/proc/$NEST/ns/pid" --
		env PATH="$BATS_TEST_TMPDIR/bin:$PATH")
	# as FastFreeze starts it: the file removed, the server run there, and
	# awaited until the file exists
	rm -f "$outside"
	serve_start --no-wait "${app[@]}" set_ns_last_pid "$sock"
	wait_until "$TEST_TIMEOUT" test -S "$outside"
	[ "$(stat -c %a "$outside")" = 600 ]
	# FastFreeze's first pid, APP_ROOT_PID 1000: 999 asked, by a client
	# addressing as set_ns_last_pid's example client does
	run_bounded -0 "${app[@]}" "$MIN_CLIENT" -f "$sock" 999
	assert_next "$NEST" 1000
	remember_levels
	run_bounded -1 "${app[@]}" "$MIN_CLIENT" -f "$sock" "$BIG"
	# the client itself took a pid there
	assert_unchanged_but 1
	# the same socket from outside the container, at FastFreeze's
	# /tmp/fastfreeze/APP/run/set_ns_last_pid.sock; SLP1 besides
	run_bounded -0 "$MIN_CLIENT" "$outside" 1499
	assert_next "$NEST" 1500
	run_bounded -0 "$SETLASTPID" --connect="$outside" 1799
	assert_next "$NEST" 1800
	# set_ns_last_pid PID, for a single process: the command alone
	run_bounded -0 "${app[@]}" set_ns_last_pid 1999
	assert_next "$NEST" 2000
	if job_ended "$SERVER"; then cat "$SERVER_LOG" >&2; false; fi
}

# fake_server NAME STATUS MESSAGE: answer one request on @NAME with an SLP1
# reply of that status and message, as a broken or hostile server would.
fake_server() {
	python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(b"\0" + sys.argv[1].encode())
s.settimeout(20)
print("ready", flush=True)
d, a = s.recvfrom(1000)
s.sendto(b"SLP1" + struct.pack("=iii", int(sys.argv[2]), -1, 0) + sys.argv[3].encode() + b"\0", a)
' "$@"
}

@test "--connect: a reply with a status no setlastpid exits with is 71, never 0; its message one line" {
	command -v python3 >/dev/null || skip "needs python3 for a fake server"
	local name=slp-fake-$$
	# its first line: bound, listening
	exec 4< <(fake_server "$name" 256 "refused")
	read -r -t 10 _ <&4
	run_bounded -71 --separate-stderr "$SETLASTPID" --connect="@$name" 5
	assert_one_error_line "with status 256, which no setlastpid exits with"
	exec 4< <(fake_server "$name" 65 $'first\nsecond')
	read -r -t 10 _ <&4
	run_bounded -65 --separate-stderr "$SETLASTPID" --connect="@$name" 5
	assert_stderr_is "setlastpid: first?second"
	exec 4<&-
}
