#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PID 1 of run-vm.sh's guest: mount what a test needs over the read-only
# root, run the selftest and the bats suites, leave their TAP and a status
# in the results share, and exit (the kernel then reboots, qemu stops).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Not over /tmp: the tree under test may be there (a CI clone is).
mount -t tmpfs tmpfs /run
mkdir -m 1777 /run/tmp
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr

results=$(sed -n 's/.*setlastpid\.results=\([^ ]*\).*/\1/p' /proc/cmdline)
mkdir -p /run/results
mount -t 9p -o trans=virtio,version=9p2000.L results /run/results
# shellcheck source=/dev/null
. /run/results/env

cd "$SETLASTPID_BUILD_DIR" || exit 1
export SETLASTPID="$SETLASTPID_BUILD_DIR/src/setlastpid"
export TESTS_SRCDIR="$SETLASTPID_SRC_DIR/tests"
export SETLASTPID_KERNEL_IOCTL=yes	# this kernel has NS_SET_LAST_PID_VEC
export TMPDIR=/run/tmp HOME=/run/tmp

echo "$(uname -srv), $(nproc) CPUs" >/run/results/uname
if [ "$SETLASTPID_GUEST_RUN" = bench ]; then
	BENCH_METHODS="ioctl sysctl" BENCH_RUNS=$BENCH_RUNS \
		bash "$TESTS_SRCDIR/bench/bench.sh" >/run/results/bench.md 2>&1
	echo $? >/run/results/status
	sync
	exit 0
fi
# Two CPUs, two halves at once: every test works in nests of its own.
run_tap() {
	local name=$1
	shift
	"$@" >"/run/results/$name.tap" 2>&1 || echo "$name" >>/run/results/failed
}
run_tap selftest "$SETLASTPID_SELFTEST" &
run_tap bats-ioctl-userns-race bats --tap --timing "$TESTS_SRCDIR/ioctl.bats" "$TESTS_SRCDIR/userns.bats" \
	"$TESTS_SRCDIR/race.bats" "$TESTS_SRCDIR/hostile.bats" &
run_tap bats-cli-fallback-command bats --tap --timing "$TESTS_SRCDIR/cli.bats" "$TESTS_SRCDIR/fallback.bats" \
	"$TESTS_SRCDIR/command.bats"
wait
if [ -s /run/results/failed ]; then status=1; else status=0; fi
echo "$status" >/run/results/status
echo "guest done: $status (results in $results)"
sync
