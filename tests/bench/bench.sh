#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: setlastpid against what users do today, as whole processes
# side by side: one round-robin run (sidebyside.c) of every command, so
# that whatever drifts on the machine falls on all alike. Prints a
# markdown table of medians, spreads and peak RSS, then the ratios the
# goals are about. Needs root and a C compiler.
#
# Environment:
#   SETLASTPID       the binary (default: setlastpid on PATH)
#   BENCH_RUNS       runs of each command (default 200)
#   BENCH_METHODS    methods to time at each depth (default: sysctl;
#                    "ioctl sysctl" on a kernel with NS_SET_LAST_PID_VEC)
#   BENCH_BASELINES  "no" to leave out the nsenter loops and the one-level
#                    floors (they are slow under emulation)
#   BENCH_SPIN       "no" to leave out the spin method's run
#   BENCH_SPIN_PIDS  pids each spin run moves the counter by (default 100000)
#   BENCH_SPIN_RUNS  runs of each spinner (default 7)
#   BENCH_SERVER     "no" to leave out the server's section (--serve)
#   BENCH_SERVER_ROUNDS  rounds of it (default 7)
#   RESTORE_BENCH    tests/bench/restore, built (make bench builds it); unset:
#                    no restore section
#   SETLASTPID_STATIC  a setlastpid linked with -all-static (make bench builds
#                    tests/bench/setlastpid-static): the restore's command rows
#                    again with it; unset: not
#   BENCH_RESTORE_PROCESSES, BENCH_RESTORE_ROUNDS  its size (default 1000, 3)
set -euo pipefail

setlastpid=${SETLASTPID:-setlastpid}
here=$(cd "$(dirname "$0")" && pwd)
runs=${BENCH_RUNS:-200}
methods=${BENCH_METHODS:-sysctl}
baselines=${BENCH_BASELINES:-yes}
depths=(1 8 32)
[ "$(id -u)" = 0 ] || { echo "bench.sh: run as root: it creates pid namespaces" >&2; exit 77; }

work=$(mktemp -d)
nests=()
servers=()
cleanup() {
	local pid
	for pid in "${servers[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	for pid in "${nests[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

${CC:-cc} -O2 -o "$work/sidebyside" "$here/sidebyside.c"
${CC:-cc} -O2 -o "$work/write-last-pid" "$here/write-last-pid.c"
${CC:-cc} -O2 -o "$work/crew-floor" "$here/crew-floor.c"
if [ "${BENCH_SPIN:-yes}" = yes ]; then
	${CC:-cc} -O2 -pthread -o "$work/spin-baseline" "$here/spin-baseline.c"
	${CC:-cc} -O2 -pthread -I"$here/../../src/lib" -o "$work/spin-ceiling" "$here/spin-ceiling.c"
fi

# nest DEPTH: a nest like the tests', its innermost process's pid in NEST.
# Not in a subshell, so that cleanup sees it; it dies with this script even
# when the script is killed outright (pdeathsig).
nest() {
	local depth=$1 i cmd=(setpriv --pdeathsig KILL) pidfile=$work/nest$1
	for ((i = 0; i < depth; i++)); do cmd+=(unshare --pid --fork --kill-child); done
	"${cmd[@]}" sh -c 'read -r pid rest </proc/self/stat && echo "$pid" >"$1" && exec sleep infinity' \
		sh "$pidfile" </dev/null >/dev/null 2>&1 &
	nests+=("$!")
	for ((i = 0; i < 200; i++)); do
		[ -s "$pidfile" ] && break
		sleep 0.05
	done
	[ -s "$pidfile" ] || { echo "bench.sh: a nest of depth $depth did not start in 10 s" >&2; exit 1; }
	NEST=$(cat "$pidfile")
}

# holders PID DEPTH: a process in each level, innermost first: each init's
# parent is the init of the level above
holders() {
	local pid=$1 depth=$2 i
	for ((i = 0; i < depth; i++)); do
		echo "$pid"
		pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
	done
}

# nsenter_loop PID DEPTH VALUES...: what an admin does today, as a script
nsenter_loop() {
	local pid=$1 depth=$2 holder
	shift 2
	echo '#!/bin/sh'
	for holder in $(holders "$pid" "$depth"); do
		echo "nsenter --target $holder --pid -- sh -c 'echo $1 > /proc/sys/kernel/ns_last_pid'"
		shift
	done
}

names=()
commands=()
# add NAME COMMAND...: one more command for the run
add() {
	names+=(-n "$1")
	shift
	[ ${#commands[@]} = 0 ] || commands+=(::)
	commands+=("$@")
}

declare -A nest_of
for depth in "${depths[@]}"; do
	nest "$depth"
	nest_of[$depth]=$NEST
done
for method in $methods; do
	for depth in "${depths[@]}"; do
		add "$method, depth $depth" "$setlastpid" --method="$method" --ns "/proc/${nest_of[$depth]}/ns/pid" \
			"$(seq -s, 100 10 $((100 + 10 * (depth - 1))))"
	done
done
# the crew floor: a bare crew, a helper per level, for the depth-32 row
# shellcheck disable=SC2046 # one word per level
add "crew floor, depth 32" "$work/crew-floor" "$(seq -s, 100 10 410)" \
	$(for holder in $(holders "${nest_of[32]}" 32); do echo "/proc/$holder/ns/pid"; done)
if [ "$baselines" = yes ]; then
	for depth in "${depths[@]}"; do
		# shellcheck disable=SC2046 # one word per value
		nsenter_loop "${nest_of[$depth]}" "$depth" $(seq 100 10 $((100 + 10 * (depth - 1)))) \
			>"$work/nsenter-loop-$depth.sh"
		add "nsenter loop, depth $depth" sh "$work/nsenter-loop-$depth.sh"
	done
	# born in the depth-1 nest: their own level is the nest's, not the machine's
	own=$(($(cat /proc/sys/kernel/pid_max) / 2))
	in_nest=@pidns=/proc/${nest_of[1]}/ns/pid
	add "bare C floor, own level" "$in_nest" "$work/write-last-pid" "$own"
	add "setlastpid, own level" "$in_nest" "$setlastpid" "$own"
	add "sh -c echo, own level" "$in_nest" sh -c "echo $own > /proc/sys/kernel/ns_last_pid"
fi

"$work/sidebyside" -r "$runs" -w 5 "${names[@]}" "${commands[@]}" >"$work/results"

echo "| command | median | p10 - p90 | peak RSS |"
echo "|---|---|---|---|"
awk -F'\t' '!/^#/ { printf "| %s | %.3f ms | %.3f - %.3f ms | %d KiB |\n", $1, $2 / 1000, $4 / 1000, $5 / 1000, $6 }' \
	"$work/results"
echo

# goal NAME A B OP LIMIT: the ratio of A's median to B's, against a goal
goal() {
	awk -F'\t' -v what="$1" -v a="$2" -v b="$3" -v op="$4" -v limit="$5" '
		$1 == a { x = $2 } $1 == b { y = $2 }
		END {
			if (!x || !y) exit
			r = x / y
			met = op == "<=" ? r <= limit : r >= limit
			printf "- %s: %.3fx (goal %s %sx): %s\n", what, r, op, limit, met ? "met" : "NOT met"
		}' "$work/results"
}
echo "Ratios of medians, from the same run:"
goal "nsenter loop / sysctl fallback, depth 32" "nsenter loop, depth 32" "sysctl, depth 32" ">=" 40
goal "sysctl fallback, depth 32 / depth 1" "sysctl, depth 32" "sysctl, depth 1" "<=" 2.0
goal "sysctl fallback, depth 32 / the crew floor" "sysctl, depth 32" "crew floor, depth 32" "<=" 1.3
goal "ioctl, depth 32 / depth 1" "ioctl, depth 32" "ioctl, depth 1" "<=" 1.10
goal "setlastpid / bare C floor, own level" "setlastpid, own level" "bare C floor, own level" "<=" 1.05
awk -F'\t' '!/^#/ && $1 !~ /nsenter|bare C|sh -c|crew floor/ && $6 > rss { rss = $6 }
	END { printf "- peak RSS of setlastpid, any case: %d KiB (goal < 2048 KiB): %s\n", rss, rss < 2048 ? "met" : "NOT met" }' \
	"$work/results"
echo "- (peak RSS as wait4() tells it: the larger of the process's own and the driver's, $(awk -F'\t' '/^#driver-rss/ { print $2 }' "$work/results") KiB)"

# The server (setlastpid --serve) against a set_ns_last_pid-style one
# (server-baseline.c: recvfrom, lseek + write of its own ns_last_pid,
# sendto), driven by the same load generator (tests/server/flood.c),
# round-robin, each round one run of each: requests per second at depth 1,
# from 1 client and from 4; a depth-32 request (SLP1, timed per request by
# one client) against a depth-32 command run (sidebyside); the servers'
# memory at the end, after 100,000 requests and more at depth 1.
server_section() {
	local rounds=${BENCH_SERVER_ROUNDS:-7} round name line req32 us i
	${CC:-cc} -O2 -o "$work/server-baseline" "$here/server-baseline.c"
	${CC:-cc} -O2 -pthread -o "$work/flood" "$here/../server/flood.c"
	declare -A pid_of served
	# start NAME [@pidns=PATH] COMMAND...: a server on $work/NAME.sock,
	# born in PATH's pid namespace if given; its pid (as we see it) in pid_of
	start() {
		local name=$1 launcher pid=
		shift
		if [[ $1 == @pidns=* ]]; then
			nsenter --target "${1#@pidns=}" --pid -- "${@:2}" </dev/null >/dev/null 2>"$work/$name.log" &
			launcher=$!
			servers+=("$launcher")
			for ((i = 0; i < 200; i++)); do
				pid=$(pgrep -P "$launcher" || true)
				[ -z "$pid" ] || break
				sleep 0.05
			done
		else
			"$@" </dev/null >/dev/null 2>"$work/$name.log" &
			pid=$!
		fi
		[ -n "$pid" ] || { echo "bench.sh: the $name server did not start" >&2; exit 1; }
		servers+=("$pid")
		pid_of[$name]=$pid
		served[$name]=0
		for ((i = 0; i < 600; i++)); do
			[ -S "$work/$name.sock" ] && break
			sleep 0.05
		done
		[ -S "$work/$name.sock" ] || { echo "bench.sh: the $name server has no socket:" >&2; cat "$work/$name.log" >&2; exit 1; }
	}
	start baseline "@pidns=${nest_of[1]}" "$work/server-baseline" "$work/baseline.sock"
	start own "@pidns=${nest_of[1]}" "$setlastpid" --serve="$work/own.sock"
	start ns1 "$setlastpid" --serve="$work/ns1.sock" --ns "/proc/${nest_of[1]}/ns/pid"
	start ns32 "$setlastpid" --serve="$work/ns32.sock" --ns "/proc/${nest_of[32]}/ns/pid"
	# flood NAME ARGS...: one run; "rate median_us" appended to $work/server-NAME-ARGS
	flood() {
		local name=$1 out
		shift
		out=$("$work/flood" "$@" "$work/$name.sock") ||
			{ echo "bench.sh: flood $* on $name: $out" >&2; exit 1; }
		served[$name]=$((served[$name] + $(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$out")))
		sed 's/.* rate=\([0-9]*\) median_us=\([0-9.]*\).*/\1 \2/' <<<"$out" >>"$work/server-$name-$*"
	}
	local vector32
	vector32=$(seq -s, 100 10 410)
	for ((round = 0; round < rounds; round++)); do
		for name in baseline own ns1; do
			flood "$name" -c 1 -n 5000 -p raw
			flood "$name" -c 4 -n 2500 -p raw
		done
		flood ns32 -c 1 -n 500 -p slp1 -d 32
		"$work/sidebyside" -r 10 -w 1 -n cmd32 "$setlastpid" --ns "/proc/${nest_of[32]}/ns/pid" "$vector32" |
			awk -F'\t' '$1 == "cmd32" { print $2 }' >>"$work/server-cmd32"
	done
	# median FILE COLUMN
	median() {
		sort -n -k"$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
	}
	# spread FILE COLUMN: min - max
	spread() {
		sort -n -k"$2,$2" "$1" | awk -v c="$2" 'NR == 1 { lo = $c } { hi = $c } END { print lo " - " hi }'
	}
	local -A label=(
		[baseline]="set_ns_last_pid-style baseline, in the nest"
		[own]="setlastpid --serve, in the nest (its own level)"
		[ns1]="setlastpid --serve --ns, depth 1 (one helper)"
	)
	echo
	echo "Servers at depth 1, $rounds rounds round-robin, each run 5,000 requests from 1 client or 2,500 from each of 4 (4-byte protocol, $(nproc) CPUs):"
	echo
	echo "| server | clients | requests/s (median) | min - max | round trip (median of medians) |"
	echo "|---|---|---|---|---|"
	for name in baseline own ns1; do
		for line in "1 -c 1 -n 5000 -p raw" "4 -c 4 -n 2500 -p raw"; do
			echo "| ${label[$name]} | ${line%% *} | $(median "$work/server-$name-${line#* }" 1) | $(spread "$work/server-$name-${line#* }" 1) | $(median "$work/server-$name-${line#* }" 2) us |"
		done
	done
	echo
	req32=$(median "$work/server-ns32--c 1 -n 500 -p slp1 -d 32" 2)
	us=$(median "$work/server-cmd32" 1)
	echo "Depth 32, the same rounds: a request (SLP1, 1 client, 500 per round, the median round trip of each round) and a command run (sidebyside, 10 per round):"
	echo
	echo "| what | median | min - max of the rounds |"
	echo "|---|---|---|"
	echo "| setlastpid --connect-style request to --serve --ns, depth 32 | $req32 us | $(spread "$work/server-ns32--c 1 -n 500 -p slp1 -d 32" 2) us |"
	echo "| setlastpid --ns NEST32 VECTOR, a command run | $us us | $(spread "$work/server-cmd32" 1) us |"
	echo
	echo "Ratios, from the same run:"
	# ratio WHAT A B OP LIMIT
	ratio() {
		awk -v what="$1" -v a="$2" -v b="$3" -v op="$4" -v limit="$5" 'BEGIN {
			r = a / b
			met = op == "<=" ? r <= limit : r >= limit
			printf "- %s: %.3fx (goal %s %sx): %s\n", what, r, op, limit, met ? "met" : "NOT met"
		}'
	}
	for line in "1 -c 1 -n 5000 -p raw" "4 -c 4 -n 2500 -p raw"; do
		ratio "--serve in the nest / baseline, requests/s, ${line%% *} client(s)" \
			"$(median "$work/server-own-${line#* }" 1)" "$(median "$work/server-baseline-${line#* }" 1)" ">=" 1
		ratio "--serve --ns depth 1 / --serve in the nest, requests/s, ${line%% *} client(s)" \
			"$(median "$work/server-ns1-${line#* }" 1)" "$(median "$work/server-own-${line#* }" 1)" ">=" 0.8
	done
	ratio "a depth-32 request / a depth-32 command run" "$req32" "$us" "<=" 0.05
	for name in own ns1 ns32; do
		awk -v name="$name" -v n="${served[$name]}" '/^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 }
			END { printf "- VmRSS of the %s server after %d requests: %d KiB, peak %d KiB (goal < 4096 KiB): %s\n",
				name, n, rss, hwm, (rss < 4096 && hwm < 4096) ? "met" : "NOT met" }' "/proc/${pid_of[$name]}/status"
	done
	awk -v n="${served[baseline]}" '/^VmRSS:/ { printf "- (the baseline after %d requests: %d KiB)\n", n, $2 }' \
		"/proc/${pid_of[baseline]}/status"
	# SIGTERM: each ends, its helpers with it (ours are our children)
	local status ended=()
	for name in baseline own ns1 ns32; do kill -TERM "${pid_of[$name]}" 2>/dev/null || true; done
	for name in ns1 ns32; do
		for ((i = 0; i < 200; i++)); do
			[[ $(awk '{ print $3 }' "/proc/${pid_of[$name]}/stat" 2>/dev/null) == [SR]* ]] || break
			sleep 0.05
		done
		status=0
		if ((i < 200)); then wait "${pid_of[$name]}" || status=$?; else status="still running after 10 s"; fi
		ended+=("$name: $status")
	done
	echo "- SIGTERM: the --ns servers exited (${ended[*]}; goal 0)"
}
[ "${BENCH_SERVER:-yes}" != yes ] || server_section

# A restore: 1,000 processes rebuilt at recorded pids in a fresh nest
# three deep, each way a restorer has, against a bare clone3() set_tid
# loop (what the kernel itself costs), round-robin (tests/bench/restore.c).
restore_section() {
	local n=${BENCH_RESTORE_PROCESSES:-1000} r=${BENCH_RESTORE_ROUNDS:-3}
	printf 'int main(void) { return 0; }\n' >"$work/noop.c"
	${CC:-cc} -O2 -static -o "$work/noop" "$work/noop.c"
	local -a static=()
	[ -z "${SETLASTPID_STATIC:-}" ] || static=(-s "$SETLASTPID_STATIC")
	"$RESTORE_BENCH" -n "$n" -r "$r" "${static[@]}" "$setlastpid" "$work/noop" >"$work/restore"
	echo
	echo "A restore of $n processes at recorded pids into a fresh nest three deep, each a static no-op waited for, $r rounds round-robin ($(nproc) CPUs):"
	echo
	echo "| way | processes/s | per process: median | p90 | peak RSS (self, largest child) | / floor |"
	echo "|---|---|---|---|---|---|"
	awk -F'\t' '{ printf "| %s | %d | %.0f us | %.0f us | %d, %d KiB | %.2fx |\n", $1, $2, $3, $4, $5, $6, $7 }' \
		"$work/restore"
	echo
	echo "Ratios of per-process medians to the floor, from the same run:"
	awk -F'\t' '
		function goal(what, r, limit) {
			printf "- %s: %.2fx (goal <= %sx): %s\n", what, r, limit, r <= limit ? "met" : "NOT met"
		}
		{ m[$1] = $3 }
		END {
			floor = m["floor: clone3() set_tid loop"]
			exact = m["library, SLP_EXACT"]
			per_call = m["library, counters (helpers per call)"]
			kept = m["library, counters (kept crew)"]
			goal("library, SLP_EXACT", exact / floor, 1.05)
			goal("library, counters, helpers per call", per_call / floor, 1.2)
			goal("library, counters, kept crew", kept / floor, 1.2)
			goal("kept crew / helpers per call", kept / per_call, 1)
			goal("command, --exact", m["command, --exact"] / floor, 2.5)
			goal("command, counters", m["command, counters"] / floor, 3)
			shared = "floor, in shared memory (CLONE_VM | CLONE_VFORK)"
			if (shared in m)
				printf "- library, SLP_EXACT / the floor in shared memory (as posix_spawn() makes a process): %.2fx\n", exact / m[shared]
			if ("command, --exact (static build)" in m) {
				printf "- command, --exact, static build / floor: %.2fx (the goal of 2.5x, for the build a container image takes)\n", m["command, --exact (static build)"] / floor
				printf "- command, counters, static build / floor: %.2fx (the goal of 3x, the same)\n", m["command, counters (static build)"] / floor
			}
		}' "$work/restore"
}
[ -z "${RESTORE_BENCH:-}" ] || restore_section

[ "${BENCH_SPIN:-yes}" = yes ] || exit 0

# The spin method against what set_ns_last_pid does and against a bare
# clone loop on every core: each moves the depth-1 nest's counter by the
# same number of pids, round-robin, as before. setlastpid spins to the
# counter + PIDS, read just before (a wrap past pid_max folded in).
pids=${BENCH_SPIN_PIDS:-100000}
spin_runs=${BENCH_SPIN_RUNS:-7}
nest_max=$(nsenter --target "${nest_of[1]}" --pid -- cat /proc/sys/kernel/pid_max)
cat >"$work/spin-ahead.sh" <<SH
#!/bin/sh
c=\$(cat /proc/sys/kernel/ns_last_pid)
v=\$((c + $pids))
[ "\$v" -lt $((nest_max - 1)) ] || v=\$((v - $nest_max + 300))
exec "$setlastpid" --method=spin --max-spin=$((2 * pids)) "\$v"
SH
in_nest=@pidns=/proc/${nest_of[1]}/ns/pid
"$work/sidebyside" -r "$spin_runs" -w 1 \
	-n "setlastpid --method=spin" -n "set_ns_last_pid-style baseline" -n "lock-free clone loop (ceiling)" \
	"$in_nest" sh "$work/spin-ahead.sh" :: \
	"$in_nest" "$work/spin-baseline" "$pids" :: \
	"$in_nest" "$work/spin-ceiling" "$pids" >"$work/spin"

echo
echo "Spinning the counter $pids pids, $spin_runs runs each, in the depth-1 nest ($(nproc) CPUs):"
echo
echo "| command | median | pids/s | p10 - p90 | peak RSS |"
echo "|---|---|---|---|---|"
awk -F'\t' -v n="$pids" '!/^#/ { printf "| %s | %.0f ms | %.0f | %.0f - %.0f ms | %d KiB |\n", $1, $2 / 1000, n / ($2 / 1e6), $4 / 1000, $5 / 1000, $6 }' \
	"$work/spin"
echo
echo "Ratios of rates, from the same run:"
awk -F'\t' '$1 ~ /^setlastpid/ { s = $2 } $1 ~ /baseline/ { b = $2 } $1 ~ /ceiling/ { c = $2 }
	END {
		printf "- spin / set_ns_last_pid-style baseline: %.2fx (goal >= 1.2x): %s\n", b / s, (b / s >= 1.2 ? "met" : "NOT met")
		printf "- spin / lock-free ceiling: %.2fx (goal >= 0.95x): %s\n", c / s, (c / s >= 0.95 ? "met" : "NOT met")
	}' "$work/spin"
awk -F'\t' '$1 ~ /^setlastpid/ { printf "- peak RSS of the spin: %d KiB (goal < 4096 KiB): %s\n", $6, ($6 < 4096 ? "met" : "NOT met") }' "$work/spin"
