#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot the kernel build-kernel.sh made, with the host's root read-only over
# virtio 9p as the guest's root, run the selftest and the bats suites in
# it, and print their TAP here. Exit 0 only if the guest ran them all and
# they all passed.
#
# Usage: run-vm.sh KERNEL_DIR BUILD_DIR
#   KERNEL_DIR  what build-kernel.sh printed
#   BUILD_DIR   the configured and built setlastpid tree (abs_top_builddir)
# With SETLASTPID_VM_RUN=bench, the guest runs tests/bench/bench.sh with
# the ioctl and the fallback side by side instead, and this prints its table.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernel_dir=${1:?usage: run-vm.sh KERNEL_DIR BUILD_DIR}
build_dir=$(cd "${2:?usage: run-vm.sh KERNEL_DIR BUILD_DIR}" && pwd)
timeout_s=${SETLASTPID_VM_TIMEOUT:-900}

die() { echo "run-vm.sh: $*" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"

results=$(mktemp -d "${TMPDIR:-/tmp}/setlastpid-vm.XXXXXX")
trap 'rm -rf "$results"' EXIT

# The selftest, against the patched kernel's own uapi headers: this also
# shows that <linux/nsfs.h> with the new struct compiles in userspace.
selftest=$results/ns_set_last_pid_vec
${CC:-cc} -O2 -Wall -isystem "$kernel_dir/include" -I "$kernel_dir/selftests/pid_namespace" \
	-o "$selftest" "$kernel_dir/selftests/pid_namespace/ns_set_last_pid_vec.c" ||
	die "the selftest does not compile"

# The guest's init reads what to run from here, mounted at /run/results
# (its root is ours, read-only; its TMPDIR is a tmpfs in /run).
cat >"$results/env" <<ENV
SETLASTPID_BUILD_DIR='$build_dir'
SETLASTPID_SRC_DIR='$(cd "$here/../.." && pwd)'
SETLASTPID_SELFTEST=/run/results/$(basename "$selftest")
SETLASTPID_GUEST_RUN='${SETLASTPID_VM_RUN:-tests}'
BENCH_RUNS='${BENCH_RUNS:-30}'
ENV

# -M pc with TCG: /dev/kvm here cannot boot this kernel. The guest finishes
# by exiting its init; panic=-1 turns that into a reboot, -no-reboot into
# qemu's exit.
timeout "$timeout_s" qemu-system-x86_64 -M pc -accel tcg,thread=multi -smp 2 -m 1G -nographic -no-reboot \
	-monitor none -serial "file:$results/console.log" \
	-kernel "$kernel_dir/bzImage" \
	-virtfs local,path=/,mount_tag=host0,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$results,mount_tag=results,security_model=none" \
	-append "console=ttyS0 root=host0 rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro panic=-1 loglevel=4 init=$here/guest-init.sh setlastpid.results=$results" \
	>"$results/qemu.log" 2>&1 || true

if [ ! -f "$results/status" ]; then
	echo "run-vm.sh: the guest did not finish; its console said:" >&2
	tail -n 40 "$results/console.log" >&2 || true
	cat "$results/qemu.log" >&2 || true
	exit 1
fi
if [ -f "$results/bench.md" ]; then
	cat "$results/bench.md"
	echo "# guest kernel: $(cat "$results/uname")"
	[ "$(cat "$results/status")" = 0 ] || die "the benchmark failed in the guest"
	exit 0
fi
for tap in "$results"/*.tap; do
	echo "# guest: $(basename "$tap" .tap)"
	cat "$tap"
done
echo "# guest kernel: $(cat "$results/uname")"
status=$(cat "$results/status")
[ "$status" = 0 ] || die "tests failed in the guest ($status)"
