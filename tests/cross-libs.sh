#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/cross-libs.sh DIR ARCH: the optional libraries of a cross build
# (libffi, for libtrampjit-ffi and its tests; nongnu libunwind), which
# Debian's cross sysroots (libc6-dev-<arch>-cross) lack: the target's own
# Debian packages, downloaded through a private apt (tests/debian-apt.sh)
# and unpacked, not installed, into DIR/root.  Then writes DIR/libs.mk,
# which the Makefile includes (and makes with this script when it is
# missing): where the headers and libraries are.  Installs nothing on
# the host and changes nothing in its apt configuration.
#
# Both come from trixie: bookworm has no riscv64 port, and bookworm's
# libunwind (1.6) cannot unwind through frames that sign their return
# address (aarch64 -mbranch-protection=standard); trixie's libffi for
# arm64 is marked BTI too.  These libraries need nothing newer of glibc
# than 2.34, and run on the cross sysroot's (bookworm: 2.36).
# An ARCH with no Debian suite here gets an empty libs.mk (its tests of
# these libraries skip, saying so); a download that fails fails the build.
set -eu
DIR=$1 ARCH=$2
MK=$DIR/libs.mk
say() { echo "cross-libs: $*" >&2; }

case $ARCH in
aarch64) DEBARCH=arm64 ;;
riscv64) DEBARCH=riscv64 ;;
*)
	say "no Debian suite known for $ARCH: building without libffi" \
		"and libunwind"
	mkdir -p "$DIR"
	echo "# $ARCH: no Debian packages known (tests/cross-libs.sh)" > "$MK"
	exit 0 ;;
esac
SUITE=trixie
TRIPLE=$ARCH-linux-gnu
PKGS="libffi-dev libffi8 libunwind-dev libunwind8 liblzma5"

. tests/debian-apt.sh
say "fetching $PKGS ($DEBARCH, Debian $SUITE) into $DIR"
apt_private "$DIR/apt" $DEBARCH $SUITE
apt_download $PKGS
root=$DIR/root
rm -rf "$root"
mkdir -p "$root"
for d in "$APT_DIR"/deb/*.deb; do
	dpkg-deb -x "$d" "$root"
done
root=$(cd "$root" && pwd)
for f in include/$TRIPLE/ffi.h lib/$TRIPLE/libffi.so.8 \
	include/$TRIPLE/libunwind.h lib/$TRIPLE/libunwind.so.8; do
	[ -e "$root/usr/$f" ] || { say "no usr/$f in $PKGS"; exit 1; }
done
versions=$(for d in "$APT_DIR"/deb/*.deb; do
	dpkg-deb -W --showformat='${Package} ${Version}\n' "$d"; done |
	paste -sd ',' | sed 's/,/, /g')
rm -f "$APT_DIR"/deb/*.deb
# Libraries in /usr/lib and, in packages not yet merged into /usr, /lib.
libs=$root/usr/lib/$TRIPLE
[ ! -d "$root/lib/$TRIPLE" ] || libs="$libs $root/lib/$TRIPLE"
cat > "$MK.tmp" <<EOF
# Written by tests/cross-libs.sh: $ARCH packages from Debian $SUITE,
# unpacked in $root:
# $versions.
CROSS_LIBS_INC := $root/usr/include/$TRIPLE
CROSS_LIBS_LIB := $libs
EOF
mv "$MK.tmp" "$MK"
say "$versions"
