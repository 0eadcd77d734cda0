#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh BUILD_DIR [NAME...]: run every test program (or only the named ones)
# once as it is and once under PR_SET_MDWE (tests/mdwe-exec), each with a
# timeout and $RUNNER in front.  Under qemu-user, which refuses
# PR_SET_MDWE and cannot exec a foreign program from one,
# tests/mdwe-preload.so is preloaded into every run and applies MDWE's
# rules (from the start in the mdwe runs).
# Prints one line per run and ends with "N passed, N failed, N skipped";
# exits non-zero when any run failed.
O=${1:-build}
[ $# -gt 0 ] && shift
only=" $* "
TIMEOUT=${TIMEOUT:-300}
# Tests whose figures belong to the process (RSS) only report them under
# an emulator.
TRAMPJIT_TEST_RUNNER=$RUNNER
export TRAMPJIT_TEST_RUNNER
pass=0 fail=0 skip=0
log=$O/tests/log
mkdir -p "$log"

run() {	# name mode cmd...
	name=$1 mode=$2
	shift 2
	out="$log/$name.$mode.txt"
	timeout "$TIMEOUT" "$@" >"$out" 2>&1
	rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name ($mode)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name ($mode): $(grep -m1 '^skip:' "$out")" ;;
	*) fail=$((fail + 1)); echo "FAIL $name ($mode), exit $rc:"; sed 's/^/    /' "$out" | tail -20 ;;
	esac
}

for t in "$O"/tests/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=$(basename "$t")
	case $name in mdwe-exec|*.o|*.so|*.txt) continue ;; esac
	[ "$only" = "  " ] || case $only in *" $name "*) ;; *) continue ;; esac
	case $RUNNER in
	qemu-*)
		pre="$O/tests/mdwe-preload.so"
		run "$name" plain $RUNNER -E LD_PRELOAD="$pre" "$t"
		run "$name" mdwe $RUNNER -E LD_PRELOAD="$pre" -E TRAMPJIT_MDWE=1 "$t"
		;;
	*)
		run "$name" plain $RUNNER "$t"
		run "$name" mdwe $RUNNER "$O/tests/mdwe-exec" "$t"
		;;
	esac
done
case $RUNNER in
qemu-*)
	echo "mdwe runs: MDWE's rules applied by tests/mdwe-preload.so" \
		"(qemu-user refuses PR_SET_MDWE)" ;;
esac
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
