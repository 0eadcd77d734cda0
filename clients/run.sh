#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh O: the client suites of `make check-clients`, each run when its
# inputs are present and reported as skipped (with what it needs) when
# not.  Exits non-zero when a suite that ran failed, or when
# TRAMPJIT_CLIENTS_REQUIRED=1 and one could not run (CI).
#   LIBFFI_SRC      libffi source tree of the system's version
#                   (apt-get source libffi; needs dejagnu, libffi-dev)
#   GCC14_TESTSUITE gcc/testsuite of a GCC 14 source tree
#   GCC14_ROOT      system root with gcc-14 and libc6-dev (e.g. a Debian
#                   trixie debootstrap), unless gcc-14 is installed here
set -u
O=$1
dir=$(dirname "$0")
status=0 ran=0 skipped=0

skip() {
	echo "SKIP $1: $2"
	skipped=$((skipped + 1))
}

suite() {	# name cmd...
	name=$1
	shift
	echo "== $name"
	if "$@"; then
		echo "PASS $name"
	else
		echo "FAIL $name"
		status=1
	fi
	ran=$((ran + 1))
}

if [ -z "${LIBFFI_SRC:-}" ]; then
	skip libffi "set LIBFFI_SRC to a libffi source tree (apt-get source libffi)"
elif ! command -v runtest > /dev/null; then
	skip libffi "install dejagnu (runtest)"
else
	suite libffi sh "$dir/libffi.sh" "$O" "$LIBFFI_SRC"
fi

root=${GCC14_ROOT:-}
if [ -z "${GCC14_TESTSUITE:-}" ]; then
	skip gcc-nested "set GCC14_TESTSUITE to gcc/testsuite of GCC 14 sources"
elif [ -z "$root" ] && ! command -v gcc-14 > /dev/null; then
	skip gcc-nested "install gcc-14 or set GCC14_ROOT to a root holding it"
else
	suite gcc-nested sh "$dir/gcc-nested.sh" "$O" "$GCC14_TESTSUITE" \
		"$root"
fi

echo "client suites: $ran ran, $skipped skipped"
if [ "${TRAMPJIT_CLIENTS_REQUIRED:-0}" = 1 ] && [ $skipped -gt 0 ]; then
	status=1
fi
exit $status
