#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# setlastpid under valgrind memcheck: no error and no leak (argp's storage,
# still reachable when a usage error exits from inside it, is no leak), on the paths a
# user takes. (valgrind has no clone3(), so --exact is left out; nor does
# it keep a CLONE_VM helper's memory shared, which only the undo needs.)

load helpers

setup() {
	requires root
	command -v valgrind >/dev/null || skip "needs valgrind"
	! asan_build || skip "an ASan build does not run under valgrind"
	ldd "$SETLASTPID" >/dev/null 2>&1 || skip "valgrind cannot follow malloc in a static binary"
	nest_create 3
}

# setlastpid under valgrind, which exits 99 on any error or leak.
MEMCHECK=(valgrind -q --error-exitcode=99 --leak-check=full "--show-leak-kinds=definite,indirect,possible"
	"--errors-for-leak-kinds=definite,indirect,possible" "$SETLASTPID")

@test "memcheck: the fallback at depth 3, with COMMAND" {
	run_bounded -0 "${MEMCHECK[@]}" --verbose --ns "/proc/$NEST/ns/pid" 100,50,7 -- true
	assert_next "$NEST" "102 52 9"	# COMMAND took 101 51 8
}

@test "memcheck: --dry-run, --lock, and the caller's own namespace" {
	run_bounded -0 "${MEMCHECK[@]}" --dry-run --ns "/proc/$NEST/ns/pid" 100,50,7
	run_bounded -0 "${MEMCHECK[@]}" --lock --ns "/proc/$NEST/ns/pid" 100
	run_bounded -0 nsenter --target "$NEST" --pid -- valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite,indirect,possible "$SETLASTPID" 300
}

@test "memcheck: failures, each with its status" {
	run_bounded -64 "${MEMCHECK[@]}" --ns "/proc/$NEST/ns/pid" 1,,2
	run_bounded -65 "${MEMCHECK[@]}" --ns "/proc/$NEST/ns/pid" 1,2,3,4,5
	run_bounded -65 "${MEMCHECK[@]}" --ns /proc/self/ns/net 1
	run_bounded -66 "${MEMCHECK[@]}" --ns /nonexistent 1
	run_bounded -65 "${MEMCHECK[@]}" --ns "/proc/$NEST/ns/pid" 0 -- true
	run_bounded -127 "${MEMCHECK[@]}" --ns "/proc/$NEST/ns/pid" 400 -- /nonexistent
}
