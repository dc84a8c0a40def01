#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run the README's two "Try it" commands in fresh debootstrap --variant=minbase roots.
#
# Usage: run-readme.sh            run both (as root; CI does, after installing debootstrap)
#        run-readme.sh --print demo|test
#                                 print that README command (what .ci/run runs)
#
# The root is made once per input (suite, variant, mirror, debootstrap's
# version, this script) and kept as a tarball in CACHE (default
# /var/cache/setlastpid): minbase-KEY.tar.zst, or .tar.gz without zstd.
# Each command gets its own fresh copy of it with the committed tree
# (git archive HEAD, what a fresh clone has) in /root/setlastpid, and runs
# there as root with no standard input, in a mount namespace of its own
# whose root is that copy (pivot_root, as a container's), with /proc, /sys
# and /dev bind-mounted from here and the .deb downloads kept in
# CACHE/apt-archives-SUITE. No mount is ever made in the caller's mount
# namespace, and every process left in the command's is killed at the
# end, failure or not.
#
# Environment: SETLASTPID_CACHE, MINBASE_SUITE (bookworm), MINBASE_MIRROR
# (http://deb.debian.org/debian), MINBASE_DEBOOTSTRAP_TIMEOUT (1200 s),
# MINBASE_DEMO_TIMEOUT (600 s), MINBASE_TEST_TIMEOUT (900 s; make check
# takes about 2 minutes), MINBASE_LOG_DIR (the tree's top; the logs are
# minbase-demo.log and minbase-test.log).
set -euo pipefail

self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
here=$(dirname "$self")
readme=$here/../../README

die() { echo "run-readme.sh: $*" >&2; exit 1; }

# readme_command demo|test: the README's indented "apt-get update ..." line
# of the "Try it" section, the first (which ends in `make demo`) or the
# second (`make check`). Anything else there is an error, not a guess.
readme_command() {
	local which=$1 lines
	[ -r "$readme" ] || die "no README at $readme"
	lines=$(awk '
		prev == "Try it" && /^-+$/ { in_section = 1 }
		in_section && prev != "Try it" && /^-+$/ { exit }
		in_section && /^    apt-get update / { sub(/^    /, ""); print }
		{ prev = $0 }' "$readme")
	[ "$(grep -c '' <<<"$lines")" = 2 ] ||
		die "README's 'Try it' section must have exactly two indented 'apt-get update' lines, has:
$lines"
	case $which in
	demo) lines=$(sed -n 1p <<<"$lines"); [[ $lines == *"make demo" ]] ;;
	test) lines=$(sed -n 2p <<<"$lines"); [[ $lines == *"make check" ]] ;;
	*) die "readme_command: demo or test, not '$which'" ;;
	esac || die "README's $which command does not end in 'make $which': $lines"
	printf '%s\n' "$lines"
}

# In the new mount namespace (the script runs itself with --inside): make
# ROOT the root, as a container's, with bind mounts only, and run COMMAND
# in /root/setlastpid, as root, with a login's environment and no stdin.
if [ "${1:-}" = --inside ]; then
	root=$2 command=$3 aptcache=$4 nsfile=$5
	readlink /proc/self/ns/mnt >"$nsfile"
	[ "$(cat "$nsfile")" != "$(readlink /proc/1/ns/mnt)" ] || die "--inside: not in a mount namespace of its own"
	mount --bind "$root" "$root"
	for fs in proc sys dev; do
		mount --rbind "/$fs" "$root/$fs"
		mount --make-rslave "$root/$fs"
	done
	mount --bind "$aptcache" "$root/var/cache/apt/archives"
	cd "$root"
	pivot_root . .oldroot
	# From here on every program is the root's own.
	umount --lazy /.oldroot
	rmdir /.oldroot
	# apt downloads as _apt, whose uid is the root's business
	chown _apt:root /var/cache/apt/archives/partial
	cd /root/setlastpid
	exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 \
		/bin/sh -c "$command" </dev/null
fi

if [ "${1:-}" = --print ]; then
	readme_command "${2:?usage: run-readme.sh --print demo|test}"
	exit 0
fi
[ $# = 0 ] || die "usage: run-readme.sh [--print demo|test]"

[ "$(id -u)" = 0 ] || die "run as root: it makes roots and mount namespaces"
for tool in debootstrap git unshare pivot_root timeout flock; do
	command -v "$tool" >/dev/null || die "$tool missing (apt-get install debootstrap git util-linux coreutils)"
done
top=$(git -C "$here" rev-parse --show-toplevel) || die "not in a git tree: it tests what is committed"

suite=${MINBASE_SUITE:-bookworm}
variant=minbase
mirror=${MINBASE_MIRROR:-http://deb.debian.org/debian}
cache=${SETLASTPID_CACHE:-/var/cache/setlastpid}
logs=${MINBASE_LOG_DIR:-$top}
key=$( { printf '%s\n' "$suite" "$variant" "$mirror" "$(dpkg-query -W -f '${Version}' debootstrap)"; cat "$self"; } |
	sha256sum | cut -c1-16)
if command -v zstd >/dev/null; then
	tarball=$cache/minbase-$key.tar.zst compress=--zstd
else
	tarball=$cache/minbase-$key.tar.gz compress=--gzip
fi
aptcache=$cache/apt-archives-$suite
mkdir -p "$cache" "$aptcache/partial" "$logs"

work=$(mktemp -d "${TMPDIR:-/tmp}/setlastpid-minbase.XXXXXX")
namespaces=()
# The mounts this could touch, in this namespace: /, /proc, /sys, /dev
# and below, any procfs (superblock options included) and anything under
# WORK. They must be the same at the end. (Others come and go with other
# programs on a shared machine.)
watched_mounts() {
	awk -v work="$work" '{ for (i = 7; $i != "-"; i++) continue; fstype = $(i + 1) }
		$5 == "/" || $5 ~ "^/(proc|sys|dev)(/|$)" || index($5, work) == 1 || fstype == "proc"' \
		/proc/self/mountinfo | sort
}
mounts_before=$(watched_mounts)

# Kill every process left in the mount namespace NSFILE names (a test's
# nest, a daemon apt started): by namespace, not by name.
kill_namespace() {
	local ns pid found i
	[ -s "$1" ] || return 0
	ns=$(cat "$1")
	# never ours: that would be everything
	[ "$ns" != "$(readlink /proc/self/ns/mnt)" ] || return 0
	for ((i = 0; i < 100; i++)); do
		found=0
		for pid in /proc/[0-9]*; do
			[ "$(readlink "$pid/ns/mnt" 2>/dev/null)" = "$ns" ] || continue
			kill -KILL "${pid#/proc/}" 2>/dev/null && found=1
		done
		[ "$found" = 0 ] && return 0
		sleep 0.1
	done
	echo "run-readme.sh: processes in $ns survive SIGKILL" >&2
}

# list_namespace NSFILE: pid and command line of each process in it.
list_namespace() {
	local ns pid
	[ -s "$1" ] || return 0
	ns=$(cat "$1")
	for pid in /proc/[0-9]*; do
		[ "$(readlink "$pid/ns/mnt" 2>/dev/null)" = "$ns" ] || continue
		printf '  %s %s\n' "${pid#/proc/}" "$(tr '\0' ' ' <"$pid/cmdline" 2>/dev/null | cut -c1-160)"
	done
}

cleanup() {
	local status=$? nsfile changed
	for nsfile in "${namespaces[@]}"; do
		kill_namespace "$nsfile"
	done
	changed=$(diff <(echo "$mounts_before") <(watched_mounts)) || {
		printf 'run-readme.sh: the mounts here changed while it ran:\n%s\n' "$changed" >&2
		[ "$status" != 0 ] || status=1
	}
	# Nothing is mounted here in this namespace; if something were, rm -rf
	# would go through it into the host's /proc, /sys or /dev.
	if grep -qF " $work/" /proc/self/mountinfo; then
		echo "run-readme.sh: something is mounted under $work: not removing it" >&2
	else
		rm -rf "$work"
	fi
	rm -f "$tarball.tmp.$$"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The commands are those of the README in the tree under test: HEAD's.
readme=$work/README
git -C "$top" show HEAD:README >"$readme"
demo_command=$(readme_command demo)
test_command=$(readme_command test)

# The cached root, or a new one. debootstrap mounts proc, sysfs and devpts
# in its target (new instances, not remounts): in a mount namespace of its
# own they vanish with it, whatever happens.
make_tarball() {
	local target=$work/debootstrap log=$work/debootstrap.log
	echo "run-readme.sh: debootstrap --variant=$variant $suite $mirror (key $key)"
	if ! timeout --kill-after=30 "${MINBASE_DEBOOTSTRAP_TIMEOUT:-1200}" \
		unshare --mount --propagation private -- \
		debootstrap --variant="$variant" "$suite" "$target" "$mirror" </dev/null >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "debootstrap failed (log above)"
	fi
	# its .debs: the root's archives are CACHE's, bind-mounted
	find "$target/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -delete
	tar -C "$target" --numeric-owner --xattrs --xattrs-include='*' $compress \
		-cf "$tarball.tmp.$$" . || die "cannot write $tarball"
	mv "$tarball.tmp.$$" "$tarball"
	rm -rf "$target"
	echo "run-readme.sh: $tarball made ($((SECONDS - start)) s)"
}
start=$SECONDS
(
	flock 9
	[ -f "$tarball" ] || make_tarball
) 9>"$cache/minbase.lock"

# run_readme NAME COMMAND SECONDS: COMMAND in a fresh root; its output in
# LOGS/minbase-NAME.log.
run_readme() {
	local name=$1 command=$2 seconds=$3 root=$work/$1 log=$logs/minbase-$1.log status=0
	local nsfile=$work/$1.mntns start=$SECONDS
	mkdir "$root"
	tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' $compress -xf "$tarball"
	git -C "$top" archive --prefix=setlastpid/ HEAD | tar -C "$root/root" -xf -
	rm -f "$root/etc/resolv.conf"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf"
	mkdir "$root/.oldroot"
	namespaces+=("$nsfile")
	echo "run-readme.sh: $name, in a fresh $suite minbase root (at most $seconds s): $command"
	# --foreground: the signal goes to the shell alone, so that what still
	# runs under it can be shown, before it is killed by namespace.
	timeout --foreground --kill-after=30 "$seconds" unshare --mount --propagation private -- \
		bash "$self" --inside "$root" "$command" "$aptcache" "$nsfile" </dev/null >"$log" 2>&1 || status=$?
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		tail -n 60 "$log" >&2
		echo "run-readme.sh: still running when the time ran out:" >&2
		list_namespace "$nsfile" >&2
		kill_namespace "$nsfile"
		die "the README's $name command did not finish in $seconds s (the end of $log, and what ran, are above)"
	fi
	kill_namespace "$nsfile"
	if [ "$status" != 0 ]; then
		tail -n 60 "$log" >&2
		[ ! -f "$root/root/setlastpid/test-suite.log" ] || cat "$root/root/setlastpid/test-suite.log" >&2
		die "the README's $name command exited $status in a fresh minbase root (the end of $log is above)"
	fi
	rm -rf "$root"
	echo "run-readme.sh: $name: exit 0 ($((SECONDS - start)) s, unpacking the root included)"
}

run_readme demo "$demo_command" "${MINBASE_DEMO_TIMEOUT:-600}"
# The README: the demo's last line is the next process's NSpid, which ends 8 51 101.
demo_line=$(grep -A1 -x '# the next process created there:' "$logs/minbase-demo.log" | sed -n 2p)
[[ $demo_line =~ ^NSpid:.*[[:space:]]8[[:space:]]+51[[:space:]]+101$ ]] ||
	die "the demo's next process has '$demo_line', not an NSpid ending in 8 51 101 (see $logs/minbase-demo.log)"
echo "run-readme.sh: demo: $demo_line"

run_readme test "$test_command" "${MINBASE_TEST_TIMEOUT:-900}"
grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$logs/minbase-test.log" | sed 's/^/run-readme.sh: test: /'
# A skip can hide a missing tool as well as a failure can: show why each was.
grep -E '^SKIP: ' "$logs/minbase-test.log" | sed 's/^/run-readme.sh: skipped: /' || true
