#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# libsetlastpid as restore tools link it: what it exports, and a long run
# of calls on one target, failures among them, in real nests.

load helpers

# The built shared library and archive, from the .la that make check names.
lib_dir() {
	echo "$(dirname "$SETLASTPID_LIB")/.libs"
}

@test "the shared library exports the slp_ API and nothing else, versioned" {
	command -v nm >/dev/null || skip "needs nm (binutils)"
	local so symbols
	so=$(lib_dir)/libsetlastpid.so
	[ -e "$so" ] || skip "no shared library in this build"
	symbols=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort | tr '\n' ' ')
	[ "$symbols" = "slp_exit_status@@SETLASTPID_1.0 slp_get@@SETLASTPID_1.0 slp_get_pid_max@@SETLASTPID_1.1 slp_holder_free@@SETLASTPID_1.0 slp_holder_levels@@SETLASTPID_1.0 slp_holder_method@@SETLASTPID_1.0 slp_holder_open@@SETLASTPID_1.0 slp_holder_pid@@SETLASTPID_1.0 slp_holder_set@@SETLASTPID_1.0 slp_method_name@@SETLASTPID_1.0 slp_set@@SETLASTPID_1.0 slp_spawn@@SETLASTPID_1.0 slp_strerror@@SETLASTPID_1.0 slp_target_free@@SETLASTPID_1.0 slp_target_level_of@@SETLASTPID_1.1 slp_target_open@@SETLASTPID_1.0 slp_target_open_fd@@SETLASTPID_1.0 slp_vector_format@@SETLASTPID_1.0 slp_vector_parse@@SETLASTPID_1.0 " ] ||
		{ echo "exported: $symbols" >&2; false; }
	# no data, no other symbol of any kind
	run_bounded -0 bash -c 'nm -D --defined-only "$0" | awk "\$2 != \"T\" && \$2 != \"A\"" ' "$so"
	[ -z "$output" ]
}

@test "every global symbol of the archive has the library's prefix" {
	# (an ASan build adds __odr_asan.NAME for each global it instruments)
	command -v nm >/dev/null || skip "needs nm (binutils)"
	local archive
	archive=$(lib_dir)/libsetlastpid.a
	[ -e "$archive" ] || skip "no archive in this build"
	run_bounded -0 bash -c 'nm -g --defined-only "$0" | awk "NF == 3 { print \$3 }" | grep -v -E "^slp_|^__odr_asan[._]"' "$archive" ||
		true
	[ -z "$output" ] || { echo "unprefixed: $output" >&2; false; }
}

@test "the command maps no libsetlastpid.so: the core is linked in" {
	run_bounded -0 bash -c 'ldd "$0" 2>&1 || true' "$SETLASTPID"
	[[ $output != *libsetlastpid* ]]
}

@test "one target, 200 rounds of dry run, set, a refusal and COMMAND: no descriptor leaks" {
	requires root
	nest_create 3
	run_bounded -0 "$API_DRIVER" rounds "/proc/$NEST/ns/pid" 300,200,100 200
	[[ $output == "200 rounds, "*" descriptors open throughout" ]]
	assert_next "$NEST" "301 201 101"
}

@test "no descriptor to spare for pid_for_children: each call fails or not, and the caller's next child stays where it was born" {
	requires root
	command -v strace >/dev/null || skip "needs strace"
	nest_create 3
	local k
	# the Kth open of it fails: a dry run, a set, COMMAND and --get each open it
	for k in 1 2 3 4 5 6 7 8; do
		run_bounded -0 strace -f -qq -o /dev/null -P /proc/thread-self/ns/pid_for_children \
			-e trace=openat -e inject=openat:error=EMFILE:when="$k" \
			"$API_DRIVER" back "/proc/$NEST/ns/pid" 300,200
		[[ $output == *"cannot open /proc/thread-self/ns/pid_for_children: Too many open files (status 71)"* ]]
		[[ $output == *"pid_for_children kept" ]]
	done
}

@test "two threads, two targets, at once: each nest ends at its own vector" {
	requires root
	nest_create 2
	local a=$NEST
	nest_create 2
	local b=$NEST
	run_bounded -0 "$API_DRIVER" threads "/proc/$a/ns/pid" 700,600 "/proc/$b/ns/pid" 900,800 300
	assert_next "$a" "701 601"
	assert_next "$b" "901 801"
}

@test "a caller's unblocked handler, its signal sent all along: every preset spawn off the counter refused by the child's check, no handler run in a child" {
	requires root
	nest_create 1
	run_bounded -0 "$API_DRIVER" signals "/proc/$NEST/ns/pid" 5000 200
	[ "$output" = "200 of 200 refused by the child's check" ]
}
