#!/bin/sh
# SPDX-License-Identifier: MIT
# setup.sh DIR: provision what `make check-clients` needs on Debian 12
# (as root, with network): dejagnu; libffi's source (apt-get source, from
# a deb-src line for Debian's mirror); a Debian trixie root with gcc-14
# and libc6-dev (debootstrap); GCC 14's testsuite from trixie's gcc-14
# source.  Prints the environment to export.  About 600 MB in DIR.
set -eu
DIR=$(mkdir -p "$1" && cd "$1" && pwd)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
apt-get install -y -q dejagnu debootstrap libffi-dev dpkg-dev > /dev/null

src=/etc/apt/sources.list.d/trampjit-clients-src.list
# Signed-By as Debian's own sources say it: apt refuses one source with two.
[ -f "$src" ] || echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bookworm main" > "$src"
apt-get update -q > /dev/null
(cd "$DIR" && apt-get source -q libffi > /dev/null)
ffi=$(ls -d "$DIR"/libffi-*/ | head -1)

root=$DIR/trixie
[ -x "$root/usr/bin/gcc-14" ] ||
	debootstrap --variant=minbase --include=gcc-14,libc6-dev trixie \
		"$root" "$MIRROR" > "$DIR/debootstrap.log"
echo "deb-src $MIRROR trixie main" > "$root/etc/apt/sources.list.d/src.list"
chroot "$root" apt-get update -q > /dev/null
mkdir -p "$root/src/gcc"
chroot "$root" sh -c 'cd /src/gcc && apt-get source -q --download-only gcc-14' \
	> /dev/null
(cd "$root/src/gcc" &&
	tar -xzf gcc-14_*.orig.tar.gz --wildcards '*/gcc-*-dfsg.tar.xz' &&
	tar -xJf gcc-14-*/gcc-*-dfsg.tar.xz --wildcards \
		'*/gcc/testsuite/gcc.c-torture/execute/*' \
		'*/gcc/testsuite/gcc.dg/*' &&
	rm -rf gcc-14-*/)
ts=$(ls -d "$root"/src/gcc/gcc-*/gcc/testsuite | head -1)
echo "export LIBFFI_SRC=$ffi GCC14_ROOT=$root GCC14_TESTSUITE=$ts"
