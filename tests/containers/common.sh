# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034 # constants for the scripts that source this
# What setup-podman.sh, setup-docker.sh and the container suites agree
# on: where the cache is, the test image's recipe and name, how the rootfs
# is made, the rootless user, the tests' own dockerd.

CT_CACHE=${SETLASTPID_CACHE:-/var/cache/setlastpid}

# The image: a debootstrap minbase rootfs of Debian 12, with what the tests
# run inside (sh, coreutils, mawk, grep, perl-base, util-linux: unshare,
# nsenter, setpriv; mount). The setlastpid under test is bind-mounted, never built in.
CT_SUITE=bookworm
CT_VARIANT=minbase
CT_MIRROR=http://deb.debian.org/debian
# Left out of the tarball: nothing the tests run reads them.
CT_TRIM='usr/share/doc usr/share/man usr/share/info usr/share/locale var/cache/apt var/lib/apt/lists var/log'
# Bump when the recipe changes in a way the values above do not show.
CT_RECIPE_VERSION=1
CT_REPO=localhost/setlastpid-test

# The tests' own dockerd (Debian's docker.io), apart from any other
# Docker on the machine: its own socket, data and exec roots; no
# iptables, no bridge (the containers run with --network=none). Its
# client is docker.io's, not another docker ahead of it in PATH.
CT_DOCKER_BIN=/usr/bin/docker
CT_DOCKERD_BIN=/usr/sbin/dockerd
CT_DOCKER_HOST=unix:///run/setlastpid-docker.sock
CT_DOCKER_DATA=/var/lib/setlastpid-docker
CT_DOCKER_EXEC=/run/setlastpid-docker
CT_DOCKER_LOG=/var/log/setlastpid-dockerd.log
CT_DOCKER=("$CT_DOCKER_BIN" --host="$CT_DOCKER_HOST")

# Rootless Podman runs as this system user, with its own storage.
CT_ROOTLESS_USER=setlastpid-rootless
CT_ROOTLESS_HOME=/var/lib/setlastpid-rootless

# ct_image_key: a hash of everything the rootfs is made of; fails when
# debootstrap, whose version is one of them, is not installed.
ct_image_key() {
	local version arch
	version=$(dpkg-query -W -f '${Version}' debootstrap 2>/dev/null) && [ -n "$version" ] || return 1
	arch=$(dpkg --print-architecture) || return 1
	printf '%s\n' "$CT_RECIPE_VERSION" "$CT_SUITE" "$CT_VARIANT" "$CT_MIRROR" "$CT_TRIM" \
		"debootstrap $version" "$arch" | sha256sum | cut -c1-16
}

# ct_image: the image's name, localhost/setlastpid-test:KEY.
ct_image() {
	local key
	key=$(ct_image_key) || return 1
	echo "$CT_REPO:$key"
}

ct_rootfs_tarball() {
	local key
	key=$(ct_image_key) || return 1
	echo "$CT_CACHE/podman-rootfs-$key.tar.gz"
}

# ct_make_rootfs: debootstrap the rootfs into ct_rootfs_tarball, unless
# it is there; one at a time (setup-podman.sh and setup-docker.sh may run
# at once). Progress and errors on standard error; fails on an error.
ct_make_rootfs() {
	local tarball work tool path status=0
	tarball=$(ct_rootfs_tarball) || { echo "cannot compute the image key (is debootstrap installed?)" >&2; return 1; }
	mkdir -p "$CT_CACHE"
	(
		flock 8
		[ -s "$tarball" ] && exit 0
		echo "debootstrap $CT_VARIANT $CT_SUITE into $tarball (once per recipe)" >&2
		work=$(mktemp -d "$CT_CACHE/podman-rootfs.XXXXXX")
		trap 'rm -rf "$work"' EXIT
		timeout 1800 debootstrap --variant="$CT_VARIANT" "$CT_SUITE" "$work/root" "$CT_MIRROR" >"$work/log" 2>&1 ||
			{ tail -n 20 "$work/log" >&2; echo "debootstrap failed" >&2; exit 1; }
		for tool in sh awk grep perl unshare nsenter setpriv mount umount timeout sleep cmp; do
			chroot "$work/root" sh -c "command -v $tool" >/dev/null ||
				{ echo "the rootfs has no $tool" >&2; exit 1; }
		done
		for path in $CT_TRIM; do
			rm -rf "${work:?}/root/$path"
		done
		tar -C "$work/root" --numeric-owner -czf "$work/rootfs.tar.gz" .
		mv "$work/rootfs.tar.gz" "$tarball"
	) 8>"$CT_CACHE/rootfs.lock" || status=$?
	return "$status"
}

# ct_rootless_command: set CT_ROOTLESS to the words that run a command as
# the rootless user, from /, in the environment rootless Podman needs (no
# login session here: no logind to make XDG_RUNTIME_DIR). Fails without
# the user.
ct_rootless_command() {
	local uid
	uid=$(id -u "$CT_ROOTLESS_USER" 2>/dev/null) || return 1
	# shellcheck disable=SC2034 # for the caller
	CT_ROOTLESS=(setpriv --reuid="$CT_ROOTLESS_USER" --regid="$CT_ROOTLESS_USER" --init-groups
		env -i --chdir=/ HOME="$CT_ROOTLESS_HOME" XDG_RUNTIME_DIR="/run/user/$uid"
		PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
}
