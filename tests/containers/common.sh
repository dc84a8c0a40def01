# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# What setup-podman.sh and the container suite agree on: where the cache
# is, the test image's recipe and name, the rootless user.

CT_CACHE=${SETLASTPID_CACHE:-/var/cache/setlastpid}

# The image: a debootstrap minbase rootfs of Debian 12, with what the tests
# run inside (sh, coreutils, mawk, grep, util-linux: unshare, nsenter,
# setpriv; mount). The setlastpid under test is bind-mounted, never built in.
CT_SUITE=bookworm
CT_VARIANT=minbase
CT_MIRROR=http://deb.debian.org/debian
# Left out of the tarball: nothing the tests run reads them.
CT_TRIM='usr/share/doc usr/share/man usr/share/info usr/share/locale var/cache/apt var/lib/apt/lists var/log'
# Bump when the recipe changes in a way the values above do not show.
CT_RECIPE_VERSION=1
CT_REPO=localhost/setlastpid-test

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
