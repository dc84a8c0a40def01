#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (or find in the cache) a Linux 6.1 kernel with NS_SET_LAST_PID_VEC
# and its selftest, for run-vm.sh.
#
# Usage: build-kernel.sh CACHE_ROOT
# Prints the cache directory that holds bzImage, config, checkpatch.log,
# the installed uapi headers and the selftest's source.
#
# The cache key hashes everything the kernel is made of: the source
# package's version, the patches, the config fragment and this script.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${1:?usage: build-kernel.sh CACHE_ROOT}
source_tar=/usr/src/linux-source-6.1.tar.xz

die() { echo "build-kernel.sh: $*" >&2; exit 1; }

[ -r "$source_tar" ] || die "$source_tar missing: apt-get install linux-source-6.1"
source_version=$(dpkg-query -W -f '${Version}' linux-source-6.1)
# Comments of the fragment do not change the kernel: they are left out.
key=$( { echo "$source_version"; cat "$here"/*.patch; grep -v '^#' "$here/config.fragment"; cat "$0"; } |
	sha256sum | cut -c1-16)
out=$cache_root/linux-6.1-$key

if [ -f "$out/bzImage" ]; then
	echo "$out"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/setlastpid-kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/build.log

echo "build-kernel.sh: building linux $source_version with NS_SET_LAST_PID_VEC (key $key)" >&2
tar -C "$work" -xf "$source_tar"
src=$work/linux-source-6.1
for patch in "$here"/*.patch; do
	patch -d "$src" -p1 --quiet --forward <"$patch" ||
		die "$(basename "$patch") does not apply to linux-source-6.1 $source_version"
done

# --no-tree: the source package is not a git tree. FILE_PATH_CHANGES asks
# whether MAINTAINERS needs an update for the new selftest file; it does not,
# the PIDFD API entry already covers tools/testing/selftests/pid_namespace/.
(cd "$src" && perl scripts/checkpatch.pl --strict --no-tree --ignore FILE_PATH_CHANGES \
	"$here"/*.patch) >"$work/checkpatch.log" 2>&1 ||
	die "checkpatch.pl --strict complains: $(cat "$work/checkpatch.log")"

make -C "$src" -s ARCH=x86_64 tinyconfig >>"$log" 2>&1
(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m .config "$here/config.fragment") >>"$log" 2>&1
make -C "$src" -s ARCH=x86_64 olddefconfig >>"$log" 2>&1
# A fragment line that Kconfig dropped (an unmet dependency) must not pass
# unnoticed: the guest would fail in a way far from the cause.
while IFS= read -r line; do
	case $line in CONFIG_*=*) grep -qx "$line" "$src/.config" ||
		die "config fragment line '$line' did not survive olddefconfig" ;; esac
done <"$here/config.fragment"

make -C "$src" ARCH=x86_64 -j"$(nproc)" bzImage >>"$log" 2>&1 ||
	die "kernel build failed: $(tail -n 30 "$log")"
make -C "$src" -s ARCH=x86_64 headers_install INSTALL_HDR_PATH="$work/headers" >>"$log" 2>&1 ||
	die "headers_install failed: $(tail -n 30 "$log")"

mkdir -p "$out.tmp"
cp "$src/arch/x86/boot/bzImage" "$src/.config" "$work/checkpatch.log" "$log" "$out.tmp/"
cp -r "$work/headers/include" "$out.tmp/include"
mkdir -p "$out.tmp/selftests/pid_namespace"
cp "$src/tools/testing/selftests/kselftest_harness.h" "$src/tools/testing/selftests/kselftest.h" "$out.tmp/selftests/"
cp "$src/tools/testing/selftests/pid_namespace/ns_set_last_pid_vec.c" "$out.tmp/selftests/pid_namespace/"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
