#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot the kernel build-kernel.sh made, once, with make-initramfs.sh's
# initramfs as the guest's root and guest-init.sh as its init; run the
# selftest and the bats tests there and print their TAP here. Exit 0 only
# if the guest ran them all and they all passed.
#
# Usage: run-vm.sh KERNEL_DIR BUILD_DIR
#   KERNEL_DIR  what build-kernel.sh printed
#   BUILD_DIR   the configured and built setlastpid tree (abs_top_builddir)
# Environment:
#   SETLASTPID_VM_RUN      tests (default): the ioctl's tests and a sample
#                          of the rest (guest-init.sh lists them); bench:
#                          tests/bench/bench.sh with the ioctl and the
#                          fallback side by side, whose table this prints
#   BENCH_RUNS             runs of each command in bench mode (30)
#   SETLASTPID_VM_TIMEOUT  seconds before the guest is stopped (900)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernel_dir=${1:?usage: run-vm.sh KERNEL_DIR BUILD_DIR}
build_dir=$(cd "${2:?usage: run-vm.sh KERNEL_DIR BUILD_DIR}" && pwd)
src_dir=$(cd "$here/../.." && pwd)
timeout_s=${SETLASTPID_VM_TIMEOUT:-900}
run=${SETLASTPID_VM_RUN:-tests}

die() { echo "run-vm.sh: $*" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"
case $run in tests | bench) ;; *) die "SETLASTPID_VM_RUN is tests or bench, not '$run'" ;; esac
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/setlastpid-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=$work/results overlay=$work/overlay
mkdir -p "$results" "$overlay/etc" "$overlay/opt/setlastpid"
t0=$(now)

# The selftest, against the patched kernel's own uapi headers: this also
# shows that <linux/nsfs.h> with the new struct compiles in userspace.
selftest=/opt/setlastpid/ns_set_last_pid_vec
${CC:-cc} -O2 -Wall -isystem "$kernel_dir/include" -I "$kernel_dir/selftests/pid_namespace" \
	-o "$overlay$selftest" "$kernel_dir/selftests/pid_namespace/ns_set_last_pid_vec.c" ||
	die "the selftest does not compile"
if [ "$run" = bench ]; then
	# The guest has no compiler: bench.sh's helpers are built here, and
	# its "cc" hands them out.
	mkdir -p "$overlay/opt/setlastpid/bench" "$overlay/usr/local/bin"
	for helper in sidebyside write-last-pid crew-floor; do
		${CC:-cc} -O2 -o "$overlay/opt/setlastpid/bench/$helper" "$src_dir/tests/bench/$helper.c" ||
			die "tests/bench/$helper.c does not compile"
	done
	cat >"$overlay/usr/local/bin/cc" <<'CC'
#!/bin/sh
# bench.sh's "cc -O2 -o OUT DIR/NAME.c": the NAME built on the host
while [ $# -gt 0 ]; do
	case $1 in -o) out=$2; shift ;; *.c) name=$(basename "$1" .c) ;; esac
	shift
done
exec cp "/opt/setlastpid/bench/$name" "$out"
CC
	chmod 755 "$overlay/usr/local/bin/cc"
fi
cat >"$overlay/etc/setlastpid-guest.env" <<ENV
SETLASTPID='$build_dir/src/setlastpid'
API_DRIVER='$build_dir/tests/unit/api-driver'
TESTS_SRCDIR='$src_dir/tests'
SETLASTPID_SELFTEST=$selftest
SETLASTPID_GUEST_RUN=$run
BENCH_RUNS='${BENCH_RUNS:-30}'
ENV
"$here/make-initramfs.sh" "$work/initramfs.cpio" "$build_dir" "$overlay"
echo "# host: selftest and initramfs ($(du -m "$work/initramfs.cpio" | cut -f1) MiB) in $(took "$t0")"

# -M pc with TCG: /dev/kvm here cannot boot these kernels. Two CPUs, so
# that the guest runs two lanes of tests at once (ACPI lists the second).
# The guest finishes by exiting its init; panic=-1 turns that into a
# reboot, -no-reboot into qemu's exit.
TIMEFORMAT='%R %U %S'
{ time timeout "$timeout_s" qemu-system-x86_64 -M pc -accel tcg,thread=multi -smp 2 -m 1G -nographic -no-reboot \
	-monitor none -serial "file:$work/console.log" \
	-kernel "$kernel_dir/bzImage" -initrd "$work/initramfs.cpio" \
	-virtfs "local,path=$results,mount_tag=results,security_model=none" \
	-append "console=ttyS0 panic=-1 loglevel=4" \
	>"$work/qemu.log" 2>&1 || true; } 2>"$work/qemu.time"
# Its CPU time says what a run costs on an idle machine; the wall time
# also says how busy this one was.
read -r wall user sys <"$work/qemu.time"
echo "# host: qemu ran for $wall s, $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') s of CPU (two vCPUs)"

if [ ! -f "$results/status" ]; then
	echo "run-vm.sh: the guest did not finish; its console said:" >&2
	tail -n 40 "$work/console.log" >&2 || true
	cat "$work/qemu.log" >&2 || true
	exit 1
fi
# timing: "init T", "NAME START END" per run, "done T" (guest uptime, s)
awk '$1 == "init" { printf "# guest: init started at %.1f s of uptime\n", $2 }
	NF == 3 { printf "# guest: %s took %.1f s\n", $1, $3 - $2 }
	$1 == "done" { printf "# guest: done at %.1f s of uptime\n", $2 }' "$results/timing"
if [ "$run" = bench ]; then
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
echo "# guest: $(cat "$results"/*.tap | grep -c '^ok ') ok, $(cat "$results"/*.tap | grep -c '^not ok ') not ok"
status=$(cat "$results/status")
[ "$status" = 0 ] || die "tests failed in the guest: $(tr '\n' ' ' <"$results/failed" 2>/dev/null)"
