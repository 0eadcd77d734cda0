#!/bin/sh
# SPDX-License-Identifier: MIT
# gcc-nested.sh O GCC_TESTSUITE [ROOT]: GCC 14's own nested-function tests
# (gcc.c-torture/execute nest and trampoline tests, gcc.dg nested and
# trampoline run tests) built with -ftrampoline-impl=heap against
# libtrampjit-nested, at -O0 -O1 -O2 -O3 -Os, linked dynamically and
# statically, each run plainly and under PR_SET_MDWE.  GCC_TESTSUITE is
# gcc/testsuite of a GCC 14 source tree; ROOT, when given, is a system
# root (e.g. a Debian trixie debootstrap) holding gcc-14 and libc6-dev, in
# which everything is built and run with chroot.  Prints one line per
# failure and a summary; exits non-zero on any failure.
set -u
O=$1 TS=$2 ROOT=${3:-}
OPTS=${OPTS:-"-O0 -O1 -O2 -O3 -Os"}
work=/tmp/trampjit-nested.$$
host=$ROOT$work
mkdir -p "$host/lib" "$host/src" || exit 1
trap 'rm -rf "$host"' EXIT
cp "$O/libtrampjit-nested.so" "$O/libtrampjit-nested.a" \
	"$O/tests/mdwe-exec" "$host/lib/" || exit 1

# Tests that run: every execute test about nesting or needing trampolines,
# every gcc.dg nested/trampoline test that runs.
{
	ls "$TS"/gcc.c-torture/execute/*nest*.c
	grep -l 'require-effective-target trampolines' \
		"$TS"/gcc.c-torture/execute/*.c
	grep -l 'dg-do run' "$TS"/gcc.dg/*nest*.c "$TS"/gcc.dg/*trampoline*.c
} 2>/dev/null | sort -u > "$host/list"
[ -s "$host/list" ] || { echo "no tests under $TS"; exit 1; }
while read -r f; do
	cp "$f" "$host/src/$(basename "$(dirname "$f")")--$(basename "$f")"
done < "$host/list"

cat > "$host/inner.sh" <<'INNER'
set -u
cd "$1"
pass=0 fail=0 uses=0
for src in src/*.c; do
	name=$(basename "$src" .c)
	# dg-options without a target selector, and dg-additional-options.
	opts=$(sed -n -e 's/.*dg-options "\([^"]*\)" *}.*/\1/p' \
		-e 's/.*dg-additional-options "\([^"]*\)".*/\1/p' "$src" |
		tr '\n' ' ')
	for o in $OPTS; do
		for link in dynamic static; do
			exe=bin/$name$o-$link
			mkdir -p bin
			if [ $link = static ]; then
				lf="-static -Llib -ltrampjit-nested -lpthread"
			else
				lf="-Llib -ltrampjit-nested -Wl,-rpath,$1/lib"
			fi
			if ! gcc-14 $o -ftrampoline-impl=heap -w $opts "$src" \
				-o "$exe" $lf -lm > log 2>&1; then
				fail=$((fail + 1))
				echo "FAIL $name $o $link: does not build"
				sed 's/^/    /' log | head -5
				continue
			fi
			# The hooks, when used, must be ours.
			if [ $link = dynamic ] &&
			   nm -D "$exe" | grep -q __gcc_nested_func_ptr_created
			then
				uses=$((uses + 1))
				if ! readelf -V "$exe" | grep -A2 libtrampjit-nested |
				     grep -q GCC_14.0.0; then
					fail=$((fail + 1))
					echo "FAIL $name $o $link: hooks not ours"
					continue
				fi
			fi
			for mode in plain mdwe; do
				run=
				[ $mode = mdwe ] && run=lib/mdwe-exec
				if timeout 60 $run "./$exe" > out 2>&1; then
					pass=$((pass + 1))
				else
					fail=$((fail + 1))
					echo "FAIL $name $o $link $mode"
					sed 's/^/    /' out | head -5
				fi
			done
		done
	done
done
echo "gcc-14 nested-function tests: $pass passed, $fail failed" \
	"($(ls src | wc -l) tests x $(echo $OPTS | wc -w) levels x" \
	"2 links x 2 modes; $uses dynamic builds call the hooks)"
[ $fail -eq 0 ]
INNER
if [ -n "$ROOT" ]; then
	OPTS="$OPTS" chroot "$ROOT" sh "$work/inner.sh" "$work"
else
	OPTS="$OPTS" sh "$host/inner.sh" "$work"
fi
