#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Set up Docker for tests/docker.bats, as root on Debian 12: Debian's
# docker.io, a dockerd of the tests' own started here without systemd, and
# the test image imported from the debootstrap rootfs that setup-podman.sh
# uses too (no image registry needed). Idempotent; .ci/run runs it before
# the tests. Safe to run twice at once, and beside Podman.
#
# Usage: setup-docker.sh            set up (or check) everything
#        setup-docker.sh --image    print the test image's name and exit
#
# What it does, each step skipped when already done:
# - installs docker.io (with containerd, runc and tini) and debootstrap;
# - starts dockerd unless the tests' own answers on its socket
#   (tests/containers/common.sh: CT_DOCKER_HOST), in a session of its own,
#   with its own data and exec roots, its own containerd namespaces (a
#   system containerd it would share), no iptables rules, no bridge, and
#   cgroupfs without systemd; it logs to CT_DOCKER_LOG and keeps running
#   for the next run; `docker info` must answer within 90 s;
# - debootstraps the rootfs once per recipe (common.sh: ct_make_rootfs),
#   and imports it as localhost/setlastpid-test:KEY, the name Podman's
#   copy has.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/containers/common.sh
. "$here/common.sh"

if [ "${1:-}" = --image ]; then
	ct_image
	exit
fi

say() { echo "setup-docker.sh: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
export DEBIAN_FRONTEND=noninteractive

mkdir -p "$CT_CACHE"
exec 9>"$CT_CACHE/docker-setup.lock"
flock 9

# --- packages
packages=(docker.io debootstrap)
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
{ [ -x "$CT_DOCKER_BIN" ] && [ -x "$CT_DOCKERD_BIN" ]; } || die "no $CT_DOCKER_BIN or $CT_DOCKERD_BIN after install"

# --- dockerd
answers() {
	timeout 20 "${CT_DOCKER[@]}" info >/dev/null 2>&1
}

# running: the pid in our dockerd's pidfile is a dockerd
running() {
	local pid
	pid=$(cat "$CT_DOCKER_EXEC/dockerd.pid" 2>/dev/null) && [ -n "$pid" ] &&
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]
}

if ! answers; then
	if running; then
		say "dockerd $(cat "$CT_DOCKER_EXEC/dockerd.pid") does not answer yet: waiting"
	else
		mkdir -p "$CT_DOCKER_EXEC" "$CT_DOCKER_DATA" "$(dirname "$CT_DOCKER_LOG")"
		cgroups=()
		[ -d /run/systemd/system ] || cgroups=(--exec-opt native.cgroupdriver=cgroupfs)
		say "starting dockerd on $CT_DOCKER_HOST (log: $CT_DOCKER_LOG)"
		# Its own session, no terminal, and not the lock (fd 9): it outlives
		# this script, and the next run must get the lock.
		setsid -f "$CT_DOCKERD_BIN" --host="$CT_DOCKER_HOST" --data-root="$CT_DOCKER_DATA" \
			--exec-root="$CT_DOCKER_EXEC" --pidfile="$CT_DOCKER_EXEC/dockerd.pid" \
			--containerd-namespace=setlastpid-test --containerd-plugins-namespace=setlastpid-test-plugins \
			--iptables=false --ip-forward=false --ip-masq=false --bridge=none \
			"${cgroups[@]}" --log-level=warn </dev/null >>"$CT_DOCKER_LOG" 2>&1 9>&-
	fi
	deadline=$((SECONDS + 90))
	until answers; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			tail -n 20 "$CT_DOCKER_LOG" >&2 || true
			die "dockerd does not answer on $CT_DOCKER_HOST after 90 s"
		fi
		sleep 0.5
	done
fi
version=$(timeout 20 "${CT_DOCKER[@]}" version --format '{{.Server.Version}}') || die "dockerd does not say its version"
say "dockerd $version answers on $CT_DOCKER_HOST"

# --- the image, from the rootfs cached by its recipe
image=$(ct_image) || die "cannot compute the image key (is debootstrap installed?)"
tarball=$(ct_rootfs_tarball)
ct_make_rootfs || die "no rootfs for $image"
if ! timeout 60 "${CT_DOCKER[@]}" image inspect "$image" >/dev/null 2>&1; then
	say "importing $tarball as $image"
	timeout 600 "${CT_DOCKER[@]}" import - "$image" <"$tarball" >/dev/null
fi

# a container starts and can see its own pid namespace
out=$(timeout 120 "${CT_DOCKER[@]}" run --rm --network=none "$image" sh -c 'test -r /proc/self/ns/pid' 2>&1) ||
	die "docker cannot run $image: $out"
say "docker runs $image"
echo "$image"
