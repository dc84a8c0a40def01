# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Sourced (by dash) before each script that tests/containers.bats runs
# inside a container, from /slp, read-only. What a script reports is lines
# KEY=VALUE on standard output, which the suite reads back (ct_value).
# Pids are counted: each function says how many processes it creates.

# The awk program that prints, as NAME=PID, its own pid in its own pid
# namespace: what a process created there next gets.
PROBE='/^NSpid:/ { print name "=" $NF }'

# probe NAME: NAME=the pid the next process gets here. One process.
probe() {
	awk -v name="$1" "$PROBE" /proc/self/status
}

# clone3 NAME: NAME=the errno clone3() gets here, called with no
# arguments: 22 (EINVAL) from the kernel, 38 (ENOSYS) from a seccomp
# filter that refuses it (Docker's default profile, without
# CAP_SYS_ADMIN). perl-base is in every Debian. One process, which
# creates none.
clone3() {
	perl -e 'syscall(435, 0, 0); print "$ARGV[0]=", $! + 0, "\n"' "$1"
}

# slp NAME ARGS...: setlastpid ARGS, then NAME.status=ITS STATUS and
# NAME.err=LINE for each line of its standard error. Its standard output
# (COMMAND's, --dry-run's) passes through. One process, and whatever
# setlastpid creates.
slp() {
	slp_name=$1
	shift
	setlastpid "$@" 2>/tmp/slp.err
	echo "$slp_name.status=$?"
	while IFS= read -r slp_line; do
		echo "$slp_name.err=$slp_line"
	done </tmp/slp.err
}

# mountinfo FILE: this mount namespace's mounts, into FILE. One process.
mountinfo() {
	cat /proc/self/mountinfo >"$1"
}

# same NAME FILE1 FILE2: NAME=same, or NAME=differs and the diff lines.
# One process.
same() {
	if cmp -s "$2" "$3"; then
		echo "$1=same"
	else
		echo "$1=differs"
		while IFS= read -r same_line; do echo "$1.before=$same_line"; done <"$2"
		while IFS= read -r same_line; do echo "$1.after=$same_line"; done <"$3"
	fi
}

# race NAME ARGS...: with a loop forking beside it, setlastpid ARGS VALUE
# -- true, VALUE new each time, until it exits 75 (300 tries at most);
# then NAME.tries=N and the last run's status and standard error, as slp.
race() {
	race_name=$1
	shift
	(while :; do /bin/true; done) &
	race_forker=$!
	race_i=0
	while [ "$race_i" -lt 300 ]; do
		race_i=$((race_i + 1))
		setlastpid "$@" $((10000 + race_i * 20)) -- true 2>/tmp/slp.err
		race_status=$?
		[ "$race_status" = 75 ] && break
	done
	kill "$race_forker"
	wait "$race_forker" 2>/dev/null
	echo "$race_name.tries=$race_i"
	echo "$race_name.status=$race_status"
	while IFS= read -r slp_line; do
		echo "$race_name.err=$slp_line"
	done </tmp/slp.err
}
