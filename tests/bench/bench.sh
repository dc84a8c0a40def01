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
cleanup() {
	local pid
	for pid in "${nests[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

${CC:-cc} -O2 -o "$work/sidebyside" "$here/sidebyside.c"
${CC:-cc} -O2 -o "$work/write-last-pid" "$here/write-last-pid.c"
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
goal "nsenter loop / sysctl fallback, depth 32" "nsenter loop, depth 32" "sysctl, depth 32" ">=" 30
goal "sysctl fallback, depth 32 / depth 1" "sysctl, depth 32" "sysctl, depth 1" "<=" 2.5
goal "ioctl, depth 32 / depth 1" "ioctl, depth 32" "ioctl, depth 1" "<=" 1.10
goal "setlastpid / bare C floor, own level" "setlastpid, own level" "bare C floor, own level" "<=" 1.05
awk -F'\t' '!/^#/ && $1 !~ /nsenter|bare C|sh -c/ && $6 > rss { rss = $6 }
	END { printf "- peak RSS of setlastpid, any case: %d KiB (goal < 2048 KiB): %s\n", rss, rss < 2048 ? "met" : "NOT met" }' \
	"$work/results"
echo "- (peak RSS as wait4() tells it: the larger of the process's own and the driver's, $(awk -F'\t' '/^#driver-rss/ { print $2 }' "$work/results") KiB)"

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
		printf "- spin / set_ns_last_pid-style baseline: %.2fx (goal >= 1x): %s\n", b / s, (b / s >= 1 ? "met" : "NOT met")
		printf "- spin / lock-free ceiling: %.2fx (goal >= 0.90x): %s\n", c / s, (c / s >= 0.9 ? "met" : "NOT met")
	}' "$work/spin"
awk -F'\t' '$1 ~ /^setlastpid/ { printf "- peak RSS of the spin: %d KiB (goal < 4096 KiB): %s\n", $6, ($6 < 4096 ? "met" : "NOT met") }' "$work/spin"
