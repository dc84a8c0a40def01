#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Set up Podman for tests/containers.bats, as root on Debian 12: Debian's
# podman with runc, configured for this kind of machine, and a local test
# image built from a debootstrap minbase rootfs (no image registry needed).
# Idempotent; .ci/run runs it before the tests. Safe to run twice at once.
#
# Usage: setup-podman.sh            set up (or check) everything
#        setup-podman.sh --image    print the test image's name and exit
#
# What it does, each step skipped when already done:
# - installs podman, runc, uidmap and debootstrap;
# - writes /etc/containers/containers.conf.d/50-setlastpid-tests.conf:
#   runc (crun refuses a hybrid cgroup setup), cgroupfs without systemd,
#   and default ulimits no higher than the hard limits: without
#   CAP_SYS_RESOURCE, Podman's own (nofile 1048576, nproc = pid_max)
#   cannot be set and every container fails to start;
# - debootstraps the rootfs once per recipe (tests/containers/common.sh:
#   ct_make_rootfs, which setup-docker.sh shares) into
#   $CT_CACHE/podman-rootfs-KEY.tar.gz, and imports it as
#   localhost/setlastpid-test:KEY;
# - rootless: a system user with subordinate ids and its own copy of the
#   image; if rootless Podman does not work here, says so and goes on
#   (the suite then skips those tests, with the reason).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/containers/common.sh
. "$here/common.sh"

if [ "${1:-}" = --image ]; then
	ct_image
	exit
fi

say() { echo "setup-podman.sh: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
export DEBIAN_FRONTEND=noninteractive

mkdir -p "$CT_CACHE"
exec 9>"$CT_CACHE/podman-setup.lock"
flock 9

# --- packages
packages=(podman runc uidmap debootstrap)
missing=()
for package in "${packages[@]}"; do
	dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
{ command -v podman && command -v runc; } >/dev/null || die "podman or runc missing after install"

# --- containers.conf
limit() {
	# limit -n|-u: the hard limit, capped by CAP (nproc: Podman's own
	# setrlimit(RLIMIT_NPROC, pid_max) lowers it to pid_max first)
	local value cap=$2
	value=$(ulimit -H "$1")
	[ "$value" = unlimited ] && value=$cap
	[ -n "$cap" ] && [ "$value" -gt "$cap" ] && value=$cap
	echo "$value"
}
nofile=$(limit -n 1048576)
nproc=$(limit -u "$(cat /proc/sys/kernel/pid_max)")
cgroup_manager=
[ -d /run/systemd/system ] || cgroup_manager='cgroup_manager = "cgroupfs"'
conf=/etc/containers/containers.conf.d/50-setlastpid-tests.conf
want=$(cat <<EOF
# Written by setlastpid's tests/containers/setup-podman.sh.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
events_logger = "file"
$cgroup_manager
EOF
)
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
	say "writing $conf"
	mkdir -p "$(dirname "$conf")"
	printf '%s\n' "$want" >"$conf.tmp"
	mv "$conf.tmp" "$conf"
fi

# --- the rootfs, cached by its recipe
image=$(ct_image) || die "cannot compute the image key (is debootstrap installed?)"
tarball=$(ct_rootfs_tarball)
ct_make_rootfs || die "no rootfs for $image"

# import_image PODMAN...: import the tarball unless that Podman has the image
import_image() {
	if ! timeout 60 "$@" image exists "$image"; then
		say "importing $tarball as $image${2:+ (as $CT_ROOTLESS_USER)}"
		timeout 600 "$@" import --quiet - "$image" <"$tarball" >/dev/null
	fi
}

# smoke PODMAN...: a container starts and can see its own pid namespace
smoke() {
	timeout 120 "$@" run --rm --network=none "$image" sh -c 'test -r /proc/self/ns/pid' 2>&1
}

import_image podman
out=$(smoke podman) || die "rootful podman cannot run $image: $out"
say "rootful podman runs $image"

# --- rootless
rootless() {
	if ! id "$CT_ROOTLESS_USER" >/dev/null 2>&1; then
		useradd --system --user-group --create-home --home-dir "$CT_ROOTLESS_HOME" \
			--shell /usr/sbin/nologin --comment "setlastpid tests, rootless podman" "$CT_ROOTLESS_USER" ||
			return 1
	fi
	local file last start
	for file in /etc/subuid /etc/subgid; do
		touch "$file"
		grep -q "^$CT_ROOTLESS_USER:" "$file" && continue
		# 65536 ids above every range already given
		last=$(awk -F: 'BEGIN { m = 0 } { if ($2 + $3 > m) m = $2 + $3 } END { print m }' "$file")
		start=$((last > 1000000 ? last : 1000000))
		echo "$CT_ROOTLESS_USER:$start:65536" >>"$file"
	done
	local uid
	uid=$(id -u "$CT_ROOTLESS_USER")
	install -d -m 700 -o "$CT_ROOTLESS_USER" -g "$CT_ROOTLESS_USER" "/run/user/$uid"
	# the kernel's own overlayfs works in a user namespace (Linux 5.13)
	install -d -o "$CT_ROOTLESS_USER" -g "$CT_ROOTLESS_USER" "$CT_ROOTLESS_HOME/.config" \
		"$CT_ROOTLESS_HOME/.config/containers"
	local storage=$CT_ROOTLESS_HOME/.config/containers/storage.conf
	[ -f "$storage" ] || printf '[storage]\ndriver = "overlay"\n' >"$storage"
	chown "$CT_ROOTLESS_USER:" "$storage"
	ct_rootless_command || return 1
	import_image "${CT_ROOTLESS[@]}" podman || return 1
	out=$(smoke "${CT_ROOTLESS[@]}" podman) || { say "$out"; return 1; }
}
if rootless; then
	say "rootless podman ($CT_ROOTLESS_USER) runs $image"
else
	say "rootless podman does not work here: tests/containers.bats will skip its rootless tests"
fi
echo "$image"
