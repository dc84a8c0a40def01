#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Record a nest of pid namespaces with the processes in it, and rebuild it
# at the same pids in every level with setlastpid alone.
#
#   restore-nest.sh record NEST_PID OUT
#   restore-nest.sh rebuild IN [--exact]
#
# record: NEST_PID (as /proc names it) is pid 1 of the nest's outermost pid
# namespace. Every process in that namespace or below it gets one line, in
# the order they were created (by their pid in the level above the nest):
#
#   LEVEL ROLE NS ABOVE NSPID PARENT
#
#   LEVEL   how deep its pid namespace is below the outer level, the one
#           holding NEST_PID as a task: 1 is the nest's outermost
#   ROLE    init (pid 1 of its namespace) or task
#   NS      its pid namespace, named by its init's pid in the outer level
#   ABOVE   the namespace above NS, named the same way; - for the outer level
#   NSPID   its pids, outer level first, as NSpid in /proc/PID/status
#   PARENT  its parent's NSPID, or - when the parent is not in the nest
#
# rebuild: run it with the outer level as its own pid namespace, where the
# record's outer pids are free, and /proc mounted for it (from
#   nsenter --target PID --pid -- unshare --mount -- \
#       sh -c 'mount -t proc proc /proc && exec restore-nest.sh rebuild IN'
# say: with /proc an ancestor's, setlastpid takes the pid one of its own
# helpers holds in a level above for one in use). It creates each process
# at its NSPID, outer level first:
#
#   * one whose parent is not in the nest, from here: a namespace's init
#     with setlastpid --new-pidns, a task with setlastpid --ns (both with
#     --exact if asked);
#   * one whose parent is in the nest, by that parent, so that it is its
#     child: each process starts as a stub of this script that forks its
#     children when told, once setlastpid --ns has set the counters of its
#     level and every level above; and a parent whose only child is a
#     namespace's init (unshare --fork's place) becomes setlastpid
#     [--exact] --new-pidns, which creates it.
#
# Then each stub becomes sleep infinity. Every process is checked at its
# NSPID as it starts; the last line says how many, how deep and how long,
# and names the rebuilt nest's outermost init as /proc/PID.
#
# SETLASTPID names the setlastpid to run (default: setlastpid in PATH).

set -u

SETLASTPID=${SETLASTPID:-setlastpid}
export SETLASTPID

die() {
	echo "restore-nest.sh: $*" >&2
	exit 1
}

# join_by SEP WORDS...
join_by() {
	local IFS=$1
	shift
	echo "$*"
}

# --- record -----------------------------------------------------------

# nspid_of PID: its NSpid, outermost first, space-separated ("" if gone).
nspid_of() {
	local key rest
	while read -r key rest; do
		[ "$key" = NSpid: ] && { echo "$rest"; return; }
	done 2>/dev/null <"/proc/$1/status"
}

ppid_of() {
	local key rest
	while read -r key rest; do
		[ "$key" = PPid: ] && { echo "$rest"; return; }
	done 2>/dev/null <"/proc/$1/status"
}

record() {
	local root=$1 out=$2
	local root_ns ns pns path link pid
	root_ns=$(readlink "/proc/$root/ns/pid") || die "no process $root"
	root_ns=${root_ns//[!0-9]/}
	# the pid namespaces, each with the one above it
	local -A above_of=() in_nest=([$root_ns]=1)
	while read -r ns pns; do
		above_of[$ns]=$pns
	done < <(lsns --type pid --noheadings --raw --output NS,PNS)
	# the nest: the root's namespace and every one below it
	local changed=1
	while ((changed)); do
		changed=0
		for ns in "${!above_of[@]}"; do
			if [ -z "${in_nest[$ns]:-}" ] && [ -n "${in_nest[${above_of[$ns]:-0}]:-}" ]; then
				in_nest[$ns]=1
				changed=1
			fi
		done
	done
	# its processes, and the namespace each is in
	local -A ns_of=()
	while read -r path link; do
		pid=${path#/proc/}
		pid=${pid%/ns}
		link=${link//[!0-9]/}	# empty where it cannot be read (kernel threads)
		[ -n "$link" ] && [ -n "${in_nest[$link]:-}" ] && ns_of[$pid]=$link
	done < <(find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/pid' -printf '%h %l\n' 2>/dev/null)
	# the outer level's place in /proc's NSpid lines: just above the root's own
	local -a nspid
	read -r -a nspid <<<"$(nspid_of "$root")"
	local outer=$((${#nspid[@]} - 2))
	((outer >= 0)) || die "$root is in /proc's own pid namespace: nothing holds it"
	# each process's pids from the outer level down; the init of each namespace
	local -A from_outer=() init_of=()
	for pid in "${!ns_of[@]}"; do
		read -r -a nspid <<<"$(nspid_of "$pid")"
		((${#nspid[@]} > outer + 1)) || continue	# gone meanwhile
		from_outer[$pid]=$(join_by , "${nspid[@]:outer}")
		[ "${nspid[-1]}" = 1 ] && init_of[${ns_of[$pid]}]=${nspid[outer]}
	done
	local level role above parent ppid
	{
		echo "# level role ns above nspid parent: pids from the outer level down"
		for pid in "${!from_outer[@]}"; do
			read -r -a nspid <<<"${from_outer[$pid]//,/ }"
			level=$((${#nspid[@]} - 1))
			role=task
			[ "${nspid[-1]}" = 1 ] && role=init
			ns=${ns_of[$pid]}
			above=-
			[ -z "${in_nest[${above_of[$ns]:-0}]:-}" ] || above=${init_of[${above_of[$ns]}]:--}
			ppid=$(ppid_of "$pid")
			parent=-
			[ -z "$ppid" ] || parent=${from_outer[$ppid]:--}
			echo "$level $role ${init_of[$ns]} $above ${from_outer[$pid]} $parent"
		done | sort -n -t ' ' -k5,5
	} >"$out"
}

# --- rebuild: the stubs -------------------------------------------------

# stub DIR KEY: a process of the rebuilt nest, KEY its outer pid, until it
# is told what to be. It creates nothing but what it is told to: every
# command here is a shell builtin, so that the counters set for its next
# child are that child's.
stub() {
	local dir=$1 key=$2 self word rest pids=
	read -r self rest </proc/self/stat
	while read -r word rest; do
		[ "$word" = NSpid: ] && pids=$rest
	done </proc/self/status
	exec 4<>"$dir/in.$key"		# read-write: opening it never waits
	echo "$key $self ${pids//[[:space:]]/,}" >"$dir/ack"
	while read -r word rest <&4; do
		case $word in
		fork)	# a child: the counters are set for it
			bash "$0" stub "$dir" "$rest" 4<&- & ;;
		new-pidns)	# this one's only child, pid 1 of a new namespace: become its setlastpid
			read -r key word <<<"$rest"
			exec 4<&-
			# shellcheck disable=SC2086 # RESTORE_EXACT is empty or --exact
			exec "$SETLASTPID" $RESTORE_EXACT --new-pidns "$word" -- bash "$0" stub "$dir" "$key" ;;
		done)
			exec sleep infinity 4<&- ;;
		esac
	done
	exit 1
}

# --- rebuild: the driver --------------------------------------------------

# vector_of NSPID: in REPLY, the VECTOR that gives NSPID (outer first):
# innermost first, less one. No subshell: nothing is created.
vector_of() {
	local -a pids
	IFS=, read -r -a pids <<<"$1"
	local i out=()
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		out+=($((pids[i] - 1)))
	done
	local IFS=,
	REPLY=${out[*]}
}

# await KEY NSPID: the stub KEY has started, at NSPID (from here down, as
# /proc, this level's, shows it).
await() {
	local key=$1 want=$2 got_key proc got
	read -r -t 30 -u 3 got_key proc got || die "process $key did not start (see $DIR/log)"
	[ "$got_key" = "$key" ] || die "process $got_key started, not $key"
	[ "$got" = "$want" ] || die "process $key started at $got, not $want"
	PROC_OF[$key]=$proc
}

# tell KEY WORDS...: a command to stub KEY.
tell() {
	local key=$1
	shift
	echo "$*" 1<>"$DIR/in.$key"
}

# park: the next process created here gets a pid that no process of the
# record needs, for setlastpid processes that stay (each waits for its
# COMMAND).
park() {
	"$SETLASTPID" "$PARK" || die "cannot set this level's counter to $PARK"
	PARK=$((PARK + 1))
}

rebuild() {
	local in=$1 exact=${2:-}
	[ -z "$exact" ] || [ "$exact" = --exact ] || die "rebuild IN [--exact]"
	export RESTORE_EXACT=$exact
	local -a exact_opt=()
	[ -z "$exact" ] || exact_opt=(--exact)
	local script start
	script=$(readlink -f "$0")
	start=${EPOCHREALTIME/./}
	# set this level's counter: never the machine's
	[ "$(stat -L -c %i /proc/self/ns/pid)" != 4026531836 ] ||
		die "run rebuild in the pid namespace that stands for the record's outer level, not the initial one"
	local -a lines
	mapfile -t lines < <(grep -v '^#' "$in")
	((${#lines[@]})) || die "$in records no process"

	# this level is the outer one, and /proc is its own
	local -a mine
	read -r -a mine <<<"$(nspid_of self)"
	((${#mine[@]} == 1)) ||
		die "/proc shows the pid namespace ${#mine[@]} levels up: mount one for this one (unshare --mount, mount -t proc proc /proc)"
	# the outer pids must be free here; parked setlastpids go above them
	local level role ns above nspid parent key max=${mine[-1]} deepest=0
	local -A children=()
	for line in "${lines[@]}"; do
		read -r level role ns above nspid parent <<<"$line"
		key=${nspid%%,*}
		kill -0 "$key" 2>/dev/null && die "pid $key, which the record needs here, is in use"
		((key > max)) && max=$key
		((level > deepest)) && deepest=$level
		[ "$parent" = - ] || children[${parent%%,*}]+="$key "
	done
	PARK=$((max + 1000))

	DIR=$(mktemp -d) || die "cannot make a directory"
	mkfifo "$DIR/ack" || die "cannot make a FIFO in $DIR"
	exec 3<>"$DIR/ack"
	declare -gA PROC_OF=()
	local -A became_setlastpid=()
	for line in "${lines[@]}"; do
		read -r level role ns above nspid parent <<<"$line"
		key=${nspid%%,*}
		mkfifo "$DIR/in.$key" || die "cannot make a FIFO in $DIR"
		# worked out before anything is set: from then on, nothing is
		# created here but the process itself
		local vector by=${parent%%,*}
		if [ "$role" = init ]; then
			vector_of "${nspid%,1}"	# the levels above its own, where it is not pid 1
		else
			vector_of "$nspid"
		fi
		vector=$REPLY
		if [ "$parent" = - ]; then
			# from here: setlastpid creates it, and stays as its parent
			park
			if [ "$role" = init ] && [ "$above" = - ]; then
				"$SETLASTPID" "${exact_opt[@]}" --new-pidns "$vector" -- \
					bash "$script" stub "$DIR" "$key" 3<&- </dev/null >>"$DIR/log" 2>&1 &
			elif [ "$role" = init ]; then
				"$SETLASTPID" "${exact_opt[@]}" --new-pidns --ns "/proc/${PROC_OF[$above]}/ns/pid" \
					"$vector" -- bash "$script" stub "$DIR" "$key" 3<&- </dev/null >>"$DIR/log" 2>&1 &
			else
				"$SETLASTPID" "${exact_opt[@]}" --ns "/proc/${PROC_OF[$ns]}/ns/pid" "$vector" -- \
					bash "$script" stub "$DIR" "$key" 3<&- </dev/null >>"$DIR/log" 2>&1 &
			fi
		elif [ "$role" = init ]; then
			# by its parent, which has no other child: it becomes setlastpid
			# --new-pidns for its own level, once the levels above are set
			[ "${children[$by]:-}" = "$key " ] ||
				die "process $by has children besides the init of a new namespace, $key"
			"$SETLASTPID" --ns "/proc/${PROC_OF[$by]}/ns/pid" "$vector" ||
				die "cannot set the counters for $key"
			tell "$by" new-pidns "$key" "${vector%%,*}"
			became_setlastpid[$by]=1
		else
			# by its parent, a stub, once its level and those above are set
			"$SETLASTPID" --ns "/proc/${PROC_OF[$by]}/ns/pid" "$vector" ||
				die "cannot set the counters for $key"
			tell "$by" fork "$key"
		fi
		await "$key" "$nspid"
	done
	# all there: each stub becomes what it stands for
	for line in "${lines[@]}"; do
		read -r level role ns above nspid parent <<<"$line"
		key=${nspid%%,*}
		[ -n "${became_setlastpid[$key]:-}" ] || tell "$key" "done"
	done
	local root
	root=$(grep -m1 '^1 init' "$in" | cut -d' ' -f5)
	rm -rf "$DIR"
	local ms=$(((${EPOCHREALTIME/./} - start) / 1000))
	printf 'rebuilt %d processes in %d levels below this one%s in %d ms; the nest is /proc/%s\n' \
		"${#lines[@]}" "$deepest" "${exact:+ with --exact}" "$ms" "${PROC_OF[${root%%,*}]}"
}

case ${1:-} in
record)
	[ $# = 3 ] || die "record NEST_PID OUT"
	record "$2" "$3" ;;
rebuild)
	[ $# = 2 ] || [ $# = 3 ] || die "rebuild IN [--exact]"
	rebuild "$2" "${3:-}" ;;
stub)
	stub "$2" "$3" ;;
*)
	die "record NEST_PID OUT, or rebuild IN [--exact]" ;;
esac
