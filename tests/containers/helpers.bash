# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# For tests/containers.bats and tests/docker.bats: setlastpid in real
# containers, Podman's (runc), rootful and rootless, from the image
# setup-podman.sh builds, and Docker's (Debian's docker.io, runc), from the
# same rootfs imported by setup-docker.sh into the tests' own dockerd. The
# binary under test goes in read-only at /usr/local/bin/setlastpid, and
# this directory's inside.sh and seccomp profile at /slp.
#
# A container is run by one of three, WHO below: rootful (Podman as
# root), rootless (Podman as CT_ROOTLESS_USER) or docker. Every podman and
# docker call is bounded by timeout. Every container is named
# setlastpid-test-RUN-TEST-N and labelled setlastpid-test=RUN, RUN unique to
# the suite's run, and is removed by teardown whatever happened: two runs at
# once do not meet.

# shellcheck source=tests/containers/common.sh
. "$BATS_TEST_DIRNAME/containers/common.sh"

CT_TIMEOUT=${CT_TIMEOUT:-120}

# ct_setup_file [podman|docker]: find out, once, what can run here, for
# a suite of Podman's (the default) or of Docker's containers. Sets and
# exports CT_SKIP and CT_SKIP_ROOTLESS (empty, or why not), CT_WHO (who
# runs a test's containers unless it says) and what the tests use. With
# SETLASTPID_CONTAINERS=required (.ci/run, after setup-podman.sh and
# setup-docker.sh), rootful Podman or Docker not working fails every test
# instead of skipping it.
ct_setup_file() {
	local why=$BATS_FILE_TMPDIR/ct-why
	CT_SKIP='' CT_SKIP_ROOTLESS='' CT_WHO=rootful
	# no $(...): the probes set the variables the tests use
	if [ "${1:-podman}" = docker ]; then
		CT_WHO=docker CT_SKIP_ROOTLESS='not a Podman suite'
		ct_probe_docker >"$why" 2>&1 || CT_SKIP=$(tail -n 1 "$why")
	else
		ct_probe_rootful >"$why" 2>&1 || CT_SKIP=$(tail -n 1 "$why")
		if [ -z "$CT_SKIP" ]; then
			ct_probe_rootless >"$why" 2>&1 || CT_SKIP_ROOTLESS=$(tail -n 1 "$why")
		fi
	fi
	export CT_SKIP CT_SKIP_ROOTLESS CT_WHO CT_IMAGE CT_SHARE CT_RUN CT_MOUNTS
}

ct_probe_rootful() {
	[ "$(id -u)" = 0 ] || { echo "needs root"; return 1; }
	command -v podman >/dev/null || { echo "no podman: run tests/containers/setup-podman.sh"; return 1; }
	command -v runc >/dev/null || { echo "no runc: run tests/containers/setup-podman.sh"; return 1; }
	CT_IMAGE=$(ct_image) || { echo "no debootstrap, no image: run tests/containers/setup-podman.sh"; return 1; }
	timeout 60 podman image exists "$CT_IMAGE" ||
		{ echo "no image $CT_IMAGE: run tests/containers/setup-podman.sh"; return 1; }
	ct_share rootful
}

ct_probe_docker() {
	[ "$(id -u)" = 0 ] || { echo "needs root"; return 1; }
	[ -x "$CT_DOCKER_BIN" ] || { echo "no $CT_DOCKER_BIN: run tests/containers/setup-docker.sh"; return 1; }
	timeout 30 "${CT_DOCKER[@]}" info >/dev/null 2>&1 ||
		{ echo "no dockerd answers on $CT_DOCKER_HOST: run tests/containers/setup-docker.sh"; return 1; }
	CT_IMAGE=$(ct_image) || { echo "no debootstrap, no image: run tests/containers/setup-docker.sh"; return 1; }
	timeout 60 "${CT_DOCKER[@]}" image inspect "$CT_IMAGE" >/dev/null 2>&1 ||
		{ echo "no image $CT_IMAGE in the tests' dockerd: run tests/containers/setup-docker.sh"; return 1; }
	ct_share docker
}

# ct_share WHO: what every container of the suite gets, made once: the
# suite's run name, a directory with the binary, inside.sh and the seccomp
# profile, and the libraries a dynamic binary needs that the image lacks;
# then the binary must run in a container of WHO's.
ct_share() {
	local who=$1 binary
	binary=$(command -v "$SETLASTPID") || { echo "no $SETLASTPID"; return 1; }
	CT_RUN=${BATS_RUN_TMPDIR##*/}
	CT_RUN=${CT_RUN//[^a-zA-Z0-9]/}
	# A directory every user may read (rootless Podman's user too): the
	# binary, inside.sh, the seccomp profile.
	CT_SHARE=$(mktemp -d /tmp/setlastpid-containers.XXXXXX)
	cp "$binary" "$CT_SHARE/setlastpid"
	cp "$BATS_TEST_DIRNAME/containers/inside.sh" "$BATS_TEST_DIRNAME/containers/seccomp-clone3-enosys.json" "$CT_SHARE/"
	chmod 755 "$CT_SHARE" "$CT_SHARE/setlastpid"
	chmod 644 "$CT_SHARE/inside.sh" "$CT_SHARE/seccomp-clone3-enosys.json"
	# A dynamic binary (an ASan build, say) gets the libraries the image
	# lacks bind-mounted at their own paths.
	local -a libs
	mapfile -t libs < <(ldd "$binary" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
	CT_MOUNTS=
	if [ ${#libs[@]} -gt 0 ]; then
		local missing lib
		missing=$(ct_engine "$who" run --rm --network=none --name "setlastpid-test-$CT_RUN-libs" \
			--label "setlastpid-test=$CT_RUN" "$CT_IMAGE" \
			sh -c 'for f; do [ -e "$f" ] || echo "$f"; done' sh "${libs[@]}" 2>&1) ||
			{ echo "the image does not start: $missing"; return 1; }
		for lib in $missing; do
			CT_MOUNTS+=" -v $lib:$lib:ro"
		done
	fi
	local out
	out=$(ct_engine_run "$who" "setlastpid-test-$CT_RUN-version" --rm -- setlastpid --version 2>&1) ||
		{ echo "the setlastpid under test does not run in $CT_IMAGE ($who): $out"; return 1; }
}

ct_probe_rootless() {
	ct_rootless_command || { echo "no user $CT_ROOTLESS_USER: run tests/containers/setup-podman.sh"; return 1; }
	[ -d "$(ct_rootless_runtime_dir)" ] ||
		{ echo "no $(ct_rootless_runtime_dir): run tests/containers/setup-podman.sh"; return 1; }
	timeout 60 "${CT_ROOTLESS[@]}" podman image exists "$CT_IMAGE" 2>/dev/null ||
		{ echo "$CT_ROOTLESS_USER has no image $CT_IMAGE: run tests/containers/setup-podman.sh"; return 1; }
	local out
	out=$(ct_engine_run rootless "setlastpid-test-$CT_RUN-version" --rm -- setlastpid --version 2>&1) ||
		{ echo "rootless podman does not run setlastpid here: $out"; return 1; }
}

ct_rootless_runtime_dir() {
	echo "/run/user/$(id -u "$CT_ROOTLESS_USER")"
}

ct_teardown_file() {
	local who whos=(rootful rootless)
	[ -n "${CT_RUN:-}" ] || return 0
	[ "${CT_WHO:-}" = docker ] && whos=(docker)
	for who in "${whos[@]}"; do
		ct_engine "$who" ps -a -q --filter "label=setlastpid-test=$CT_RUN" 2>/dev/null |
			while read -r id; do ct_remove "$who" "$id"; done
	done
	[ -n "${CT_SHARE:-}" ] && rm -rf "$CT_SHARE"
	return 0
}

# ct_require rootful|rootless|docker: skip the test, saying why, unless
# Podman, or Docker, can run that way here.
ct_require() {
	local reason=$CT_SKIP
	[ "$1" = rootless ] && [ -z "$reason" ] && reason=$CT_SKIP_ROOTLESS
	[ -n "$reason" ] || return 0
	if [ "${SETLASTPID_CONTAINERS:-}" = required ] && [ "$1" != rootless ]; then
		echo "SETLASTPID_CONTAINERS=required, but: $reason" >&2
		return 1
	fi
	skip "$(ct_engine_name "$1"): $reason"
}

# ct_engine_name WHO: what runs WHO's containers, in words.
ct_engine_name() {
	case $1 in
	docker) echo docker ;;
	*) echo "$1 podman" ;;
	esac
}

# ct_engine rootful|rootless|docker ARGS...: podman, or the tests' own
# dockerd's client, bounded.
ct_engine() {
	local who=$1
	shift
	case $who in
	rootless)
		ct_rootless_command || return 1
		timeout -k 10 "$CT_TIMEOUT" "${CT_ROOTLESS[@]}" podman "$@"
		;;
	docker) timeout -k 10 "$CT_TIMEOUT" "${CT_DOCKER[@]}" "$@" ;;
	*) timeout -k 10 "$CT_TIMEOUT" podman "$@" ;;
	esac
}

# ct_remove WHO NAME: the container gone, whatever its state, if it was
# there (docker rm has neither -t nor --ignore).
ct_remove() {
	if [ "$1" = docker ]; then
		ct_engine "$1" rm -f "$2"
	else
		ct_engine "$1" rm -f -t 0 --ignore "$2"
	fi >/dev/null 2>&1 || true
}

# The containers this test made, as WHO:NAME, removed by ct_teardown.
CT_CONTAINERS=()
CT_N=0

# ct_name WHO: a new container name for this test, in CT_NAME, to be
# removed by ct_teardown. Not in $(...): it must reach the test's shell.
ct_name() {
	CT_N=$((CT_N + 1))
	CT_NAME="setlastpid-test-$CT_RUN-${BATS_TEST_NUMBER:-0}-$CT_N"
	CT_CONTAINERS+=("$1:$CT_NAME")
}

# ct_engine_run WHO NAME [RUN-OPTIONS...] -- COMMAND...: podman run or
# docker run, with the suite's label, no network, the binary and /slp,
# and COMMAND in the test image.
ct_engine_run() {
	local who=$1 name=$2
	shift 2
	local -a opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	# the sanitizers' options, as the caller has them (LeakSanitizer's
	# tracer, at exit, would be one more process)
	local var
	for var in ASAN_OPTIONS UBSAN_OPTIONS; do
		[ -z "${!var:-}" ] || opts=(-e "$var=${!var}" "${opts[@]}")
	done
	# shellcheck disable=SC2086 # CT_MOUNTS: words, paths without spaces
	ct_engine "$who" run --name "$name" --label "setlastpid-test=$CT_RUN" --network=none \
		-v "$CT_SHARE/setlastpid:/usr/local/bin/setlastpid:ro" -v "$CT_SHARE:/slp:ro" $CT_MOUNTS \
		"${opts[@]}" "$CT_IMAGE" "$@"
}

# ct_run [--rootless] [RUN-OPTIONS...] -- SCRIPT: run SCRIPT, with
# inside.sh's functions, in a new container (the suite's CT_WHO's, or
# rootless Podman's) that is gone afterwards. Its output goes to CT_OUT
# (and to the test's output, shown on failure). Fails unless the script
# ran to its end.
ct_run() {
	local who=$CT_WHO
	[ "$1" = --rootless ] && { who=rootless; shift; }
	local -a opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	local script=$2 status=0
	ct_name "$who"
	CT_OUT=$(ct_engine_run "$who" "$CT_NAME" --rm "${opts[@]}" -- \
		sh -c ". /slp/inside.sh; $script
echo ct.done=1" 2>&1) || status=$?
	printf '%s\n' "--- $(ct_engine_name "$who") run ${opts[*]}: status $status" "$CT_OUT"
	if [ "$(ct_value ct.done)" != 1 ]; then
		echo "the container's script did not run to its end" >&2
		return 1
	fi
}

# ct_start [RUN-OPTIONS...]: a container (the suite's CT_WHO's, rootful)
# that sleeps; its name in CT_NAME, its pid, as the test sees it, in CT_PID.
ct_start() {
	ct_name "$CT_WHO"
	ct_engine_run "$CT_WHO" "$CT_NAME" -d "$@" -- sleep infinity >/dev/null || return 1
	CT_PID=$(ct_engine "$CT_WHO" inspect -f '{{.State.Pid}}' "$CT_NAME") && [ "${CT_PID:-0}" -gt 0 ] ||
		{ echo "ct_start: no pid for $CT_NAME" >&2; return 1; }
}

ct_teardown() {
	local entry
	for entry in "${CT_CONTAINERS[@]}"; do
		ct_remove "${entry%%:*}" "${entry#*:}"
	done
	CT_CONTAINERS=()
}

# ct_value KEY: the first value the script printed as KEY=VALUE.
ct_value() {
	awk -v key="$1=" 'index($0, key) == 1 { print substr($0, length(key) + 1); exit }' <<<"$CT_OUT"
}

# ct_err NAME: setlastpid's standard error in the run the script called NAME.
ct_err() {
	awk -v key="$1.err=" 'index($0, key) == 1 { print substr($0, length(key) + 1) }' <<<"$CT_OUT"
}

# ct_assert_status NAME WANT: the run NAME exited WANT.
ct_assert_status() {
	local got
	got=$(ct_value "$1.status")
	if [ "$got" != "$2" ]; then
		printf 'setlastpid run "%s": status %s, want %s; stderr:\n%s\n' "$1" "${got:-(none)}" "$2" "$(ct_err "$1")" >&2
		return 1
	fi
}

# ct_assert_same_status NAME1 NAME2: a dry run and the real one agree.
ct_assert_same_status() {
	local a b
	a=$(ct_value "$1.status")
	b=$(ct_value "$2.status")
	if [ -z "$a" ] || [ "$a" != "$b" ]; then
		printf '"%s" exited %s but "%s" exited %s; stderr:\n%s\n%s\n' "$1" "$a" "$2" "$b" "$(ct_err "$1")" "$(ct_err "$2")" >&2
		return 1
	fi
}

# ct_assert_agree_or_work DRY REAL PROBE VALUE: the dry run DRY, made
# first, and the real run REAL exited alike; a success is one (the probe
# after it, PROBE, got VALUE + 1), a failure is 77 in one line that left
# the counter alone.
ct_assert_agree_or_work() {
	ct_assert_same_status "$1" "$2" || return 1
	if [ "$(ct_value "$2.status")" = 0 ]; then
		ct_assert_pid "$3" $(($4 + 1))
	else
		ct_assert_status "$2" 77 && ct_assert_one_line "$2" || return 1
		[ "$(ct_value "$3")" != $(($4 + 1)) ] || { echo "$2 failed but set the counter" >&2; return 1; }
	fi
}

# ct_assert_one_line NAME [-i] [TEXT...]: the run NAME said one line,
# "setlastpid: ...", with each TEXT in it (-i: whatever the case).
ct_assert_one_line() {
	local err lines nocase='' text
	err=$(ct_err "$1")
	shift
	[ "${1:-}" = -i ] && { nocase=1; shift; }
	lines=$(printf '%s' "$err" | grep -c '') || true
	if [ "$lines" != 1 ] || [[ $err != "setlastpid: "* ]]; then
		printf 'want one "setlastpid: " line on stderr, got:\n%s\n' "$err" >&2
		return 1
	fi
	for text in "$@"; do
		if [ -n "$nocase" ]; then
			grep -qiF -- "$text" <<<"$err"
		else
			grep -qF -- "$text" <<<"$err"
		fi || { printf 'stderr does not say "%s":\n%s\n' "$text" "$err" >&2; return 1; }
	done
}

# ct_assert_not_said NAME TEXT...: the run NAME said none of these.
ct_assert_not_said() {
	local err text
	err=$(ct_err "$1")
	shift
	for text in "$@"; do
		if grep -qF -- "$text" <<<"$err"; then
			printf 'stderr says "%s", which does not apply here:\n%s\n' "$text" "$err" >&2
			return 1
		fi
	done
}

# ct_assert_pid KEY WANT: the probe KEY got pid WANT.
ct_assert_pid() {
	local got
	got=$(ct_value "$1")
	if [ "$got" != "$2" ]; then
		echo "probe $1: pid ${got:-(none)}, want $2" >&2
		return 1
	fi
}

# ct_assert_step KEY1 KEY2 N: probe KEY2 came N pids after probe KEY1,
# that is the counter moved only by the N - 1 processes created between.
ct_assert_step() {
	local a b
	a=$(ct_value "$1")
	b=$(ct_value "$2")
	if [ -z "$a" ] || [ -z "$b" ] || [ "$((b - a))" != "$3" ]; then
		echo "probes $1=$a, $2=$b: want $2 = $1 + $3, one pid for each process the script created between; more: setlastpid created processes there, or set the counter" >&2
		return 1
	fi
}

# ct_assert_says_one_of NAME TEXT...: the run NAME said at least one of these.
ct_assert_says_one_of() {
	local err text
	err=$(ct_err "$1")
	shift
	for text in "$@"; do
		grep -qF -- "$text" <<<"$err" && return 0
	done
	printf 'stderr says none of:%s\n%s\n' "$(printf ' "%s"' "$@")" "$err" >&2
	return 1
}

# ct_pid_max PID: pid_max of PID's pid namespace (Linux 6.14: its own).
ct_pid_max() {
	nsenter --target "$1" --pid -- cat /proc/sys/kernel/pid_max
}

# set_level_pid_max PID VALUE: pid_max of PID's pid namespace, written
# from inside it (Linux 6.14: each has its own). Never the test's own.
set_level_pid_max() {
	if [ "$(readlink "/proc/$1/ns/pid")" = "$(readlink /proc/self/ns/pid)" ]; then
		echo "set_level_pid_max: $1 is in the test's own pid namespace: refusing" >&2
		return 1
	fi
	nsenter --target "$1" --pid -- sh -c 'echo "$1" >/proc/sys/kernel/pid_max' sh "$2" 2>/dev/null &&
		[ "$(ct_pid_max "$1")" = "$2" ] && [ "$(pid_max)" != "$2" ]
}

# taken_writes TRACE VALUE: the writes of VALUE to any ns_last_pid that
# strace -y -z (successful calls only) recorded in TRACE, one a line. (One
# the kernel refused changed nothing: the level's own pid_max decided.)
taken_writes() {
	grep -E '(^|[[:space:]])(write|pwrite64|writev|pwritev2?)\([0-9]+</proc/sys/kernel/ns_last_pid>' "$1" |
		grep -E "\"$2\\\\?n?\"" || true
}
