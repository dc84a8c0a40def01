#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: a nest of three pid namespaces, setlastpid 100,50,7 on it, and
# the NSpid of the next process created there. Needs root.
set -euo pipefail

setlastpid=${SETLASTPID:-setlastpid}
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root: it creates pid namespaces" >&2; exit 77; }

pidfile=$(mktemp)
setpriv --pdeathsig KILL unshare --pid --fork --kill-child unshare --pid --fork --kill-child \
	unshare --pid --fork --kill-child \
	sh -c 'read -r pid rest </proc/self/stat && echo "$pid" >"$1" && exec sleep infinity' sh "$pidfile" &
nest=$!
trap '{ kill -KILL "$nest"; wait "$nest"; } 2>/dev/null || true; rm -f "$pidfile"' EXIT
for _ in $(seq 200); do [ -s "$pidfile" ] && break; sleep 0.05; done
[ -s "$pidfile" ] || { echo "demo.sh: the nest did not start in 10 s" >&2; exit 1; }
pid=$(cat "$pidfile")

echo "# a nest of 3 pid namespaces; its process $pid has NSpid:"
grep NSpid "/proc/$pid/status"
echo "# setlastpid --verbose --ns /proc/$pid/ns/pid 100,50,7"
"$setlastpid" --verbose --ns "/proc/$pid/ns/pid" 100,50,7
echo "# the next process created there:"
nsenter --target "$pid" --pid -- grep NSpid /proc/self/status
