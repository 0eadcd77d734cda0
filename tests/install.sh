#!/bin/sh
# SPDX-License-Identifier: MIT
# install.sh BUILD_DIR: what a user and a distribution do with an install.
# "make install" needs only the libraries (no bench, no examples, nothing
# rebuilt after "make"); a PREFIX install and a DESTDIR (staged) install
# each builds tests/install/consumer.c with pkg-config, linked shared and
# static, and with CMake's find_package(trampjit), and runs it; uninstall
# leaves no file behind.  CC, CXX and SANFLAGS come from make check.
# Exits 0 pass, 1 fail, 77 skip (pkg-config or cmake missing).
O=${1:-build}
CC=${CC:-cc}
SANFLAGS=${SANFLAGS:-}
MAKE=${MAKE:-make}
RUNNER=${RUNNER:-}	# runs the programs of a cross build (qemu-user)
src=$(pwd)
tmp=$(mktemp -d /tmp/trampjit-install.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log

fail() {
	echo "install: FAIL: $*"
	[ -s "$log" ] && sed 's/^/    /' "$log" | tail -20
	exit 1
}

for tool in pkg-config cmake; do
	command -v $tool >/dev/null ||
		{ echo "skip: install test needs $tool"; exit 77; }
done

# 1. Installing needs the libraries only, and nothing is rebuilt after make.
$MAKE -s -n install O="$tmp/fresh" PREFIX="$tmp/p" >"$log" 2>&1 ||
	fail "make -n install"
grep -E 'bench|examples|-lffi|asmjit|tests/unwind-' "$log" >/dev/null &&
	fail "make install builds more than the libraries"
$MAKE -s -n install O="$O" PREFIX="$tmp/p" >"$log" 2>&1 ||
	fail "make -n install"
grep -E ' -c | -shared ' "$log" >/dev/null &&
	fail "make install rebuilds after make"

# consumer NAME PCDIR LIBDIR [sysroot]: build and run the consumer against
# the install whose trampjit.pc is in PCDIR: shared, static libtrampjit.a
# with a shared libc, and (without sanitizers) fully static.
consumer() {
	name=$1 pcdir=$2 libdir=$3 sysroot=${4:-}
	pc="env PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_SYSROOT_DIR=$sysroot \
		pkg-config"
	cflags=$($pc --cflags trampjit) || fail "$name: pkg-config --cflags"
	libs=$($pc --libs trampjit) || fail "$name: pkg-config --libs"
	slibs=$($pc --static --libs trampjit) || fail "$name: --static --libs"
	exe=$tmp/$name
	$CC $SANFLAGS $cflags -o "$exe-shared" "$src/tests/install/consumer.c" \
		$libs >"$log" 2>&1 || fail "$name: shared build ($cflags $libs)"
	LD_LIBRARY_PATH=$libdir $RUNNER "$exe-shared" >"$log" 2>&1 &&
		grep -qx ok "$log" || fail "$name: shared program"
	# ldd runs the host's loader: cross builds check the run only.
	[ -n "$RUNNER" ] || LD_LIBRARY_PATH=$libdir ldd "$exe-shared" |
		grep -q "$libdir/libtrampjit.so.1" ||
		fail "$name: shared program does not load $libdir"
	$CC $SANFLAGS $cflags -o "$exe-static" "$src/tests/install/consumer.c" \
		-Wl,-Bstatic $slibs -Wl,-Bdynamic >"$log" 2>&1 ||
		fail "$name: static build ($slibs)"
	readelf -d "$exe-static" | grep -q 'NEEDED.*libtrampjit' &&
		fail "$name: static program needs libtrampjit.so"
	$RUNNER "$exe-static" >"$log" 2>&1 && grep -qx ok "$log" ||
		fail "$name: static program"
	[ -n "$SANFLAGS" ] && return
	$CC -static $cflags -o "$exe-allstatic" \
		"$src/tests/install/consumer.c" $slibs >"$log" 2>&1 ||
		fail "$name: -static build ($slibs)"
	$RUNNER "$exe-allstatic" >"$log" 2>&1 && grep -qx ok "$log" ||
		fail "$name: -static program"
}

# cmake_consumer NAME PREFIX: find_package(trampjit) in PREFIX builds and
# runs the consumer with trampjit::trampjit and trampjit::static; a
# request for another minor version of 0.x is refused.
cmake_consumer() {
	name=$1 prefix=$2 b=$tmp/cmake-$1
	cmake -S "$src/tests/install" -B "$b" -DCMAKE_PREFIX_PATH="$prefix" \
		-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$SANFLAGS" \
		-DCMAKE_EXE_LINKER_FLAGS="$SANFLAGS" -DWANT=0.1 >"$log" 2>&1 ||
		fail "$name: cmake find_package(trampjit 0.1)"
	cmake --build "$b" >"$log" 2>&1 || fail "$name: cmake --build"
	for exe in consumer-shared consumer-static; do
		LD_LIBRARY_PATH=$prefix/lib $RUNNER "$b/$exe" >"$log" 2>&1 &&
			grep -qx ok "$log" || fail "$name: cmake-built $exe"
	done
	readelf -d "$b/consumer-static" | grep -q 'NEEDED.*libtrampjit' &&
		fail "$name: trampjit::static program needs libtrampjit.so"
	rm -rf "$b"
	cmake -S "$src/tests/install" -B "$b" -DCMAKE_PREFIX_PATH="$prefix" \
		-DCMAKE_C_COMPILER="$CC" -DWANT=0.2 >"$log" 2>&1 &&
		fail "$name: find_package(trampjit 0.2) accepted 0.1"
	grep -q 'compatible with requested version "0.2"' "$log" ||
		fail "$name: find_package(trampjit 0.2) failed for another reason"
	rm -rf "$b"
}

# 2. make install PREFIX=p: trampjit.pc names p, whatever PREFIX the
# libraries were built with.
p=$tmp/p
$MAKE -s install O="$O" PREFIX="$p" >"$log" 2>&1 || fail "make install"
grep -qx "prefix=$p" "$p/lib/pkgconfig/trampjit.pc" ||
	fail "trampjit.pc does not name PREFIX $p"
for f in include/trampjit.h lib/libtrampjit.a lib/libtrampjit.so \
	lib/libtrampjit.so.1 share/man/man3/jit_create_code.3 \
	share/man/man3/jit_destroy_code.3 share/man/man7/trampjit.7; do
	[ -e "$p/$f" ] || fail "$p/$f not installed"
done
[ "$(readlink "$p/share/man/man3/jit_destroy_code.3")" = jit_create_code.3 ] ||
	fail "man page alias jit_destroy_code.3 is not a link to its page"
if command -v man >/dev/null; then
	MANPATH=$p/share/man man jit_destroy_code 2>/dev/null |
		grep -q '^JIT_CREATE_CODE(3)' ||
		fail "man jit_destroy_code does not show the installed page"
fi
consumer prefix "$p/lib/pkgconfig" "$p/lib"
cmake_consumer prefix "$p"

# 3. make install DESTDIR=d PREFIX=/opt/...: files under d, paths without d.
d=$tmp/d q=/opt/trampjit-test
$MAKE -s install O="$O" DESTDIR="$d" PREFIX="$q" >"$log" 2>&1 ||
	fail "make install DESTDIR"
grep -qx "prefix=$q" "$d$q/lib/pkgconfig/trampjit.pc" ||
	fail "staged trampjit.pc does not name PREFIX $q"
grep -r "$d" "$d$q/lib/pkgconfig" >/dev/null &&
	fail "staged files mention DESTDIR"
consumer destdir "$d$q/lib/pkgconfig" "$d$q/lib" "$d"
cmake_consumer destdir "$d$q"

# 4. make uninstall removes every file it installed.
$MAKE -s uninstall O="$O" PREFIX="$p" >"$log" 2>&1 || fail "make uninstall"
$MAKE -s uninstall O="$O" DESTDIR="$d" PREFIX="$q" >"$log" 2>&1 ||
	fail "make uninstall DESTDIR"
left=$(find "$p" "$d" ! -type d)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "install: ok"
