#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of run-vm.sh's guest, whose root is make-initramfs.sh's initramfs:
# run what only a kernel with NS_SET_LAST_PID_VEC can show (the selftest,
# the suites or tests where the ioctl is used) and a sample of the rest,
# leave their TAP, timings and a status in the results share, and exit
# (the kernel then reboots, qemu stops). The host runs the whole of every
# suite itself, on its own kernel. SETLASTPID_GUEST_RUN=bench runs
# tests/bench/bench.sh instead.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
# tmpfs with xattrs, so that setcap works on copies there; what the
# initramfs has in /tmp (the tree under test, when the host's is there)
# copied in first, not hidden
mkdir -p /run/tmp
mount -t tmpfs tmpfs /run/tmp
cp -a /tmp/. /run/tmp/
mount --bind /run/tmp /tmp
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mkdir -p /run/results
mount -t 9p -o trans=virtio,version=9p2000.L results /run/results
out=/run/results
# shellcheck source=/dev/null
. /etc/setlastpid-guest.env

export SETLASTPID API_DRIVER TESTS_SRCDIR
export SETLASTPID_KERNEL_IOCTL=yes	# this kernel has NS_SET_LAST_PID_VEC
export TMPDIR=/tmp HOME=/root
cd /tmp || exit 1

uptime_s() { read -r up _ </proc/uptime && echo "$up"; }
echo "$(uname -srv), $(nproc) CPUs" >"$out/uname"
echo "init $(uptime_s)" >"$out/timing"

finish() {
	echo "$1" >"$out/status"
	echo "done $(uptime_s)" >>"$out/timing"
	sync
	exit 0
}

if [ "$SETLASTPID_GUEST_RUN" = bench ]; then
	BENCH_METHODS="ioctl sysctl" BENCH_RUNS=$BENCH_RUNS \
		bash "$TESTS_SRCDIR/bench/bench.sh" >"$out/bench.md" 2>&1
	finish $?
fi

# run_tap NAME COMMAND...: its TAP into NAME.tap, its time into timing
run_tap() {
	local name=$1 start
	shift
	start=$(uptime_s)
	"$@" >"$out/$name.tap" 2>&1 || echo "$name" >>"$out/failed"
	echo "$name $start $(uptime_s)" >>"$out/timing"
}
# bats_lane NAME REGEX SUITE...: one bats run of the SUITEs' tests whose
# names REGEX matches. One run per lane: under emulation bats alone takes
# seconds to start.
bats_lane() {
	local name=$1 regex=$2 suite files=()
	shift 2
	for suite in "$@"; do files+=("$TESTS_SRCDIR/$suite.bats"); done
	run_tap "$name" bats --tap --timing --filter "$regex" "${files[@]}"
}
# whole SUITE: a regex for every test of SUITE, by its whole name, so
# that a test added to it runs here too
whole() {
	sed -n 's/^@test "\(.*\)" {$/\1/p' "$TESTS_SRCDIR/$1.bats" |
		sed 's/[][\\.*^$(){}?+|]/\\&/g; s/.*/&$/' | paste -sd'|'
}

# The ioctl's own: the selftest; ioctl.bats, whole; and where auto picks
# the ioctl: library.bats' two threads (the library with it), COMMAND with
# it (command.bats: COMMAND gets VECTOR + 1, and exit 75; not --exact,
# which is clone3's set_tid, nor --method=sysctl, nor what COMMAND's
# exec, signals and options do, which no kernel changes), userns.bats'
# root of U (the ioctl in a user namespace; its refusals and dry run stop
# before any ioctl, its rootless test writes its own level), and
# fallback.bats' --verbose (auto, level by level), and floor.bats' floors
# the ioctl sets (a level past its value written back as read). A sample of the rest:
# the sysctl way at depth 3, --ns pid_for_children (hostile.bats). The
# host runs every test of every suite.
{
	run_tap selftest "$SETLASTPID_SELFTEST"
	bats_lane bats-1 "^($(whole ioctl))" ioctl
} &
bats_lane bats-2 '^(two threads|a caller in the owning|COMMAND is the next|exit 75 names|--verbose: one line|depth 3: |--ns /proc/self/ns/pid_for_children|--at-least at depth 1 and 3|--at-least leaves a level|--at-least with each method)' \
	library userns command fallback hostile floor
wait
[ -s "$out/failed" ] && finish 1
finish 0
