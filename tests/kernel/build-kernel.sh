#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (or find in the cache) a Linux kernel with NS_SET_LAST_PID_VEC and
# its selftest, for run-vm.sh: Debian's linux-source-VERSION with the
# series in VERSION/ applied.
#
# Usage: build-kernel.sh VERSION CACHE_ROOT
#   VERSION     6.12 (the default of make check-kernel) or 6.1
#   CACHE_ROOT  where kernels are kept, one directory per key
# Prints the cache directory that holds bzImage, config, checkpatch.log,
# build.log, the installed uapi headers and the selftest's source.
#
# The cache key hashes everything the kernel is made of: VERSION, the
# source package's version, the patches, the config fragment and this
# script. Other keys in CACHE_ROOT (other versions, other trees' series)
# are left alone.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage="usage: build-kernel.sh VERSION CACHE_ROOT"
version=${1:?$usage}
cache_root=${2:?$usage}
package=linux-source-$version
source_tar=/usr/src/$package.tar.xz
series=$here/$version

die() { echo "build-kernel.sh: $*" >&2; exit 1; }

[ -d "$series" ] || die "no series for Linux $version in $here (there are: $(cd "$here" && echo */ | tr -d /))"
patches=("$series"/*.patch)
[ -f "${patches[0]}" ] || die "no patches in $series"
[ -r "$source_tar" ] || die "$source_tar missing: apt-get install $package"
source_version=$(dpkg-query -W -f '${Version}' "$package")
# Comments of the fragment do not change the kernel: they are left out.
key=$( { echo "$version $source_version"; cat "${patches[@]}"; grep -v '^#' "$here/config.fragment"; cat "$0"; } |
	sha256sum | cut -c1-16)
out=$cache_root/linux-$version-$key

if [ -f "$out/bzImage" ]; then
	echo "$out"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/setlastpid-kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/build.log

echo "build-kernel.sh: building linux $source_version with NS_SET_LAST_PID_VEC (key $key)" >&2
tar -C "$work" -xf "$source_tar"
src=$work/$package
for patch in "${patches[@]}"; do
	patch -d "$src" -p1 --quiet --forward <"$patch" ||
		die "$(basename "$patch") does not apply to $package $source_version"
done

# --no-tree: the source package is not a git tree. FILE_PATH_CHANGES asks
# whether MAINTAINERS needs an update for the new selftest file; it does not,
# the PIDFD API entry already covers tools/testing/selftests/pid_namespace/.
(cd "$src" && perl scripts/checkpatch.pl --strict --no-tree --ignore FILE_PATH_CHANGES \
	"${patches[@]}") >"$work/checkpatch.log" 2>&1 ||
	die "checkpatch.pl --strict complains: $(cat "$work/checkpatch.log")"

make -C "$src" -s ARCH=x86_64 tinyconfig >>"$log" 2>&1
(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m .config "$here/config.fragment") >>"$log" 2>&1
make -C "$src" -s ARCH=x86_64 olddefconfig >>"$log" 2>&1
# A fragment line that Kconfig dropped (an unmet dependency) must not pass
# unnoticed: the guest would fail in a way far from the cause.
while IFS= read -r line; do
	case $line in CONFIG_*=*) grep -qx "$line" "$src/.config" ||
		die "config fragment line '$line' did not survive olddefconfig on $version" ;; esac
done <"$here/config.fragment"

make -C "$src" ARCH=x86_64 -j"$(nproc)" bzImage >>"$log" 2>&1 ||
	die "kernel build failed: $(tail -n 30 "$log")"
make -C "$src" -s ARCH=x86_64 headers_install INSTALL_HDR_PATH="$work/headers" >>"$log" 2>&1 ||
	die "headers_install failed: $(tail -n 30 "$log")"

# Assembled beside its final name and renamed into place, so that a run
# that shares the cache sees a whole kernel or none.
mkdir -p "$cache_root"
tmp=$(mktemp -d "$out.tmp.XXXXXX")
cp "$src/arch/x86/boot/bzImage" "$src/.config" "$work/checkpatch.log" "$log" "$tmp/"
cp -r "$work/headers/include" "$tmp/include"
mkdir -p "$tmp/selftests/pid_namespace"
cp "$src/tools/testing/selftests/kselftest_harness.h" "$src/tools/testing/selftests/kselftest.h" "$tmp/selftests/"
cp "$src/tools/testing/selftests/pid_namespace/ns_set_last_pid_vec.c" "$tmp/selftests/pid_namespace/"
chmod 755 "$tmp"
[ -f "$out/bzImage" ] || rm -rf "$out"	# a broken one of this key
if ! mv -T "$tmp" "$out" 2>/dev/null; then
	# another run put the same kernel there first
	rm -rf "$tmp"
	[ -f "$out/bzImage" ] || die "cannot move the kernel into $out"
fi
echo "$out"
