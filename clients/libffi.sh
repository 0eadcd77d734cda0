#!/bin/sh
# SPDX-License-Identifier: MIT
# libffi.sh O LIBFFI_SRC: libffi's own testsuite (DejaGnu, runtest) against
# the system libffi with libtrampjit-ffi preloaded, once plainly and once
# under PR_SET_MDWE.  LIBFFI_SRC is a libffi source tree of the system's
# version (its testsuite/ and include/ are used; nothing is built from
# it).  One failure is expected of any closure provider whose code is a
# stub apart from the closure data: closure_loc_fn0.c asserts that code
# and closure are the same bytes (libffi skips that check when it is
# built with its own static trampolines).  Exits non-zero on any other
# failure.  LIBFFI_TEST_OPTIMIZATION (libffi's own knob) narrows the -O
# levels, LIBFFI_EXP the suites (e.g. "closure.exp", the closure tests
# alone: a quarter of the time).
set -u
O=$(cd "$1" && pwd) SRC=$(cd "$2" && pwd)
command -v runtest > /dev/null || { echo "runtest (dejagnu) missing"; exit 1; }
[ -d "$SRC/testsuite/libffi.call" ] || { echo "no testsuite in $SRC"; exit 1; }
inc=$(echo '#include <ffi.h>' | ${CC:-gcc} -E -H - 2>&1 >/dev/null |
	sed -n 's/^\. //p' | head -1)
[ -n "$inc" ] || { echo "no <ffi.h> (libffi-dev)"; exit 1; }
work=$(mktemp -d /tmp/trampjit-libffi.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bld/include" "$work/bld/.libs"
# A copy: rebuilding O during the run must not change what is preloaded.
cp "$O/libtrampjit-ffi.so" "$O/tests/mdwe-exec" "$work/" || exit 1
cp "$inc" "$(dirname "$inc")/ffitarget.h" "$work/bld/include/"
# What the tests read from a configured build's fficonfig.h.
printf '#define HAVE_STDINT_H 1\n#define HAVE_INTTYPES_H 1\n' \
	> "$work/bld/fficonfig.h"
printf '#define HAVE_MMAP_ANON 1\n#define HAVE_ALLOCA_H 1\n' \
	>> "$work/bld/fficonfig.h"
printf '#define FFI_HIDDEN __attribute__((visibility("hidden")))\n' \
	>> "$work/bld/fficonfig.h"

status=0
for mode in plain mdwe; do
	dir=$work/$mode
	mkdir -p "$dir"
	cat > "$dir/site.exp" <<SITE
set srcdir $SRC/testsuite
set objdir $dir
set blddirffi $work/bld
set tool libffi
set target_triplet x86_64-pc-linux-gnu
set host_triplet x86_64-pc-linux-gnu
set build_triplet x86_64-pc-linux-gnu
set compiler_vendor gnu
set tool_root_dir $work/bld
SITE
	run=
	[ $mode = mdwe ] && run=$work/mdwe-exec
	(cd "$dir" && LD_PRELOAD=$work/libtrampjit-ffi.so $run \
		"$(command -v runtest)" --tool libffi \
		--srcdir "$SRC/testsuite" ${LIBFFI_EXP:-} > runtest.out 2>&1)
	sum=$dir/libffi.sum
	bad=$(grep -E '^(FAIL|UNRESOLVED|XPASS|ERROR|UNTESTED):' "$sum" |
		grep -v '^FAIL: libffi.closures/closure_loc_fn0.c .* execution test$')
	echo "libffi testsuite, $mode: $(grep -c '^PASS:' "$sum") passed," \
		"$(grep -c '^FAIL: libffi.closures/closure_loc_fn0.c' "$sum")" \
		"expected failures (closure_loc_fn0.c: code and closure are" \
		"different bytes)"
	if [ -n "$bad" ] || ! grep -q '^PASS:' "$sum"; then
		echo "${bad:-nothing ran: $(tail -3 "$dir/runtest.out")}"
		status=1
	fi
done
exit $status
