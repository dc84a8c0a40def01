#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: setlastpid against what users do today, as whole processes
# side by side in one hyperfine run per case: medians and ratios, and the
# peak RSS of each. Needs root, hyperfine, GNU time and a C compiler.
set -euo pipefail

setlastpid=${SETLASTPID:-setlastpid}
here=$(cd "$(dirname "$0")" && pwd)
runs=${BENCH_RUNS:-100}
[ "$(id -u)" = 0 ] || { echo "bench.sh: run as root: it creates pid namespaces" >&2; exit 77; }
command -v hyperfine >/dev/null && [ -x /usr/bin/time ] ||
	{ echo "bench.sh: needs hyperfine and GNU time (apt-get install hyperfine time)" >&2; exit 1; }

work=$(mktemp -d)
nests=()
cleanup() {
	local pid
	for pid in "${nests[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

${CC:-cc} -O2 -o "$work/write-last-pid" "$here/write-last-pid.c"

# nest DEPTH: a nest like the tests', its innermost process's pid on stdout
nest() {
	local depth=$1 i cmd=() pidfile=$work/nest$1
	for ((i = 0; i < depth; i++)); do cmd+=(unshare --pid --fork --kill-child); done
	"${cmd[@]}" sh -c 'read -r pid rest </proc/self/stat && echo "$pid" >"$1" && exec sleep infinity' \
		sh "$pidfile" </dev/null >/dev/null 2>&1 &
	nests+=("$!")
	until [ -s "$pidfile" ]; do sleep 0.05; done
	cat "$pidfile"
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

# peak_rss COMMAND...: the peak resident set of COMMAND, KiB, by GNU
# time (an upper bound: it counts time's own forked copy before the exec)
peak_rss() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}

# compare NAME COMMAND...: one hyperfine run of several commands; prints
# a table row per command, median and ratio to the first
compare() {
	local name=$1
	shift
	hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/$name.json" "$@" >/dev/null 2>&1
	python3 - "$work/$name.json" "$name" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["median"]
for r in results:
    print(f"| {sys.argv[2]} | `{r['command'][:70]}` | {r['median'] * 1e3:.3f} ms | {r['median'] / base:.2f}x |")
PY
}

echo "| case | command | median | vs first |"
echo "|---|---|---|---|"
for depth in 1 8 32; do
	pid=$(nest "$depth")
	vector=$(seq -s, 100 10 $((100 + 10 * (depth - 1))))
	loop=$work/nsenter-loop-$depth.sh
	{
		echo '#!/bin/sh'
		i=0
		for holder in $(holders "$pid" "$depth"); do
			echo "nsenter --target $holder --pid -- sh -c 'echo $((100 + 10 * i)) > /proc/sys/kernel/ns_last_pid'"
			i=$((i + 1))
		done
	} >"$loop"
	compare "depth $depth" "$setlastpid --method=sysctl --ns /proc/$pid/ns/pid $vector" "sh $loop"
	echo "| depth $depth | peak RSS of setlastpid | $(peak_rss "$setlastpid" --method=sysctl --ns "/proc/$pid/ns/pid" "$vector") KiB | |"
done
compare "own namespace, 1 level" "$work/write-last-pid 5000" "$setlastpid 5000" \
	"sh -c 'echo 5000 > /proc/sys/kernel/ns_last_pid'"
