#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Pack the guest's root for run-vm.sh: an uncompressed initramfs with just
# what the selftest and the bats suites run (bash, bats, the commands the
# suites call and their libraries), the tool and the test driver from the
# build tree and the suites from the source tree, each at its host path,
# guest-init.sh as /init, and OVERLAY_DIR's files on top.
#
# Usage: make-initramfs.sh OUT BUILD_DIR OVERLAY_DIR
#   OUT          the cpio archive to write
#   BUILD_DIR    the configured and built setlastpid tree
#   OVERLAY_DIR  a tree copied over the root last (run-vm.sh's guest
#                environment, the selftest, bench's helpers)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage="usage: make-initramfs.sh OUT BUILD_DIR OVERLAY_DIR"
out=${1:?$usage}
build_dir=$(cd "${2:?$usage}" && pwd)
overlay=${3:?$usage}
src_dir=$(cd "$here/../.." && pwd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() { echo "make-initramfs.sh: $*" >&2; exit 1; }
command -v cpio >/dev/null || die "cpio missing: apt-get install cpio"

# What the suites, their helpers, bats, bench.sh and /init call. A command
# that is not installed here is left out: a test that needs it fails or
# skips in the guest as it would on the host.
commands=(
	bash sh awk sed grep
	cat cp mv rm ln ls mkdir mkfifo mktemp chmod touch head tail tr cut sort
	uniq wc tee seq stat readlink realpath basename dirname env id uname nproc
	sleep timeout date printf echo true false test expr kill sync cmp
	mount unshare nsenter setpriv capsh setcap getcap strace ps pgrep pkill
	find xargs flock nl paste
)

root=$(mktemp -d "${TMPDIR:-/tmp}/setlastpid-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
# Debian's merged /usr, as on the host, so that paths in ELF headers and
# scripts hold
mkdir -p "$root"/usr/bin "$root"/usr/sbin "$root"/usr/lib "$root"/usr/lib64 \
	"$root"/etc "$root"/proc "$root"/sys "$root"/dev "$root"/run "$root"/tmp "$root"/root
for dir in bin sbin lib lib64; do ln -s "usr/$dir" "$root/$dir"; done
chmod 1777 "$root/tmp"

# copy FILE...: each at its host path, symlinks resolved
copy() {
	local file
	for file in "$@"; do
		mkdir -p "$root$(dirname "$file")"
		cp -L "$file" "$root$file"
	done
}


elves=()
for cmd in "${commands[@]}"; do
	path=$(type -P "$cmd") || continue
	copy "$path"
	elves+=("$path")
done
copy /usr/bin/bats
cp -r /usr/lib/bats-core "$root/usr/lib/"
mkdir -p "$root/usr/libexec"
cp -r /usr/libexec/bats-core "$root/usr/libexec/"
copy /etc/passwd /etc/group
[ -f /etc/nsswitch.conf ] && copy /etc/nsswitch.conf

# The tree under test, at the paths the host gave it
for file in "$build_dir/src/setlastpid" "$build_dir/tests/unit/api-driver"; do
	[ -x "$file" ] || die "$file missing: build it first (make check-kernel does)"
	copy "$file"
	elves+=("$file")
done
copy "$src_dir"/tests/helpers.bash "$src_dir"/tests/*.bats "$src_dir"/tests/bench/*

cp -a "$overlay/." "$root/"
while IFS= read -r -d '' file; do
	[ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = 177ELF ] && elves+=("$file")
done < <(find "$overlay" -type f -perm -u+x -print0)

# Every library of every ELF file, once, as ldd finds them here (one ldd
# for all: each costs a start of the dynamic loader)
ldd "${elves[@]}" 2>/dev/null |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(0x/ { print $1 }' |
	sort -u | while IFS= read -r lib; do
		[ -e "$root$lib" ] || copy "$lib"
	done

install -m 755 "$here/guest-init.sh" "$root/init"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$out"
