#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/pages/check.sh BUILD_DIR: run the aarch64 suite (built with
# CROSS_COMPILE=aarch64-linux-gnu- into BUILD_DIR) on a kernel with 16 KiB
# pages.  Debian ships such a kernel (the arm64-16k flavour, bookworm-
# backports); it is booted under qemu-system-aarch64 (TCG, -cpu max) with
# an initramfs holding an arm64 busybox, the cross C libraries and the test
# programs.  Debian ships no 64 KiB-page arm64 kernel.  The arm64 packages
# are fetched with a private apt configuration, so the host's own apt
# sources and architectures are left as they are.  Prints the guest's
# "N passed, N failed, N skipped" and exits non-zero on any failure.
set -eu
O=${1:-build-aarch64}
P=$O/pages
QEMU_TIMEOUT=${QEMU_TIMEOUT:-1500}
SUITE=${PAGES_SUITE:-bookworm-backports}
# The kernel flavour: arm64-16k, or arm64 (4 KiB pages) to compare.
FLAVOUR=${PAGES_FLAVOUR:-arm64-16k}
MIRROR=${PAGES_MIRROR:-http://deb.debian.org/debian}
HOSTPKGS="qemu-system-arm cpio"
SYSROOT=/usr/aarch64-linux-gnu
# Emulating a whole system is slow (the full suite takes over 25 minutes
# here), so the guest runs what depends on the page size: the stub
# tables and every kind over them, the signal and mprotect backends, the
# code heaps, appendable regions, dual views and their fork behaviour,
# the maps audit, and MDWE.  PAGES_TESTS="" runs everything.
PAGES_TESTS=${PAGES_TESTS-tramp-chain tramp-bind tramp-handler tramp-context \
tramp-data tramp-lifo tramp-fastpath bind-sret context-fp syscall-seccomp \
mprotect-mdwe threads arena-regrow jit-code jitfd-sealed region-modes \
region-fixup region-xmodify dual-view dual-near fork-cow wx-maps}

say() { echo "check-pages: $*"; }

[ -x "$O/tests/tramp-chain" ] &&
	readelf -h "$O/tests/tramp-chain" | grep -q AArch64 ||
	{ say "$O holds no aarch64 test build"; exit 1; }
for t in $PAGES_TESTS; do
	[ -x "$O/tests/$t" ] || { say "no test program $O/tests/$t"; exit 1; }
done
[ -d "$SYSROOT/lib" ] || { say "no $SYSROOT (libc6-dev-arm64-cross)"; exit 1; }

missing=
for p in $HOSTPKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -qq -y \
		-o DPkg::Lock::Timeout=600 --no-install-recommends $missing \
		>/dev/null
fi

# A private apt for arm64 packages: its own lists, cache and sources.
mkdir -p "$P/apt/lists/partial" "$P/apt/cache/archives/partial" \
	"$P/apt/deb" "$P/apt/parts"
A=$(cd "$P/apt" && pwd)
key=/usr/share/keyrings/debian-archive-keyring.gpg
{
	echo "deb [arch=arm64 signed-by=$key] $MIRROR bookworm main"
	echo "deb [arch=arm64 signed-by=$key] $MIRROR $SUITE main"
} > "$A/sources.list"
apt_arm64() {
	apt-get -qq -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
		-o Dir::State::Lists="$A/lists" \
		-o Dir::Cache="$A/cache" \
		-o Dir::Etc::SourceList="$A/sources.list" \
		-o Dir::Etc::SourceParts="$A/parts" \
		-o Dir::State::status=/dev/null \
		-o APT::Sandbox::User=root "$@"
}
cache_arm64() {
	apt-cache -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
		-o Dir::State::Lists="$A/lists" \
		-o Dir::Cache="$A/cache" \
		-o Dir::Etc::SourceList="$A/sources.list" \
		-o Dir::Etc::SourceParts="$A/parts" \
		-o Dir::State::status=/dev/null "$@"
}
apt_arm64 update
# The 16k image the meta-package points at, unsigned (plain vmlinuz).
img=$(cache_arm64 show "linux-image-$FLAVOUR" |
	sed -n "s/^Depends:.*\(linux-image-[^ ,]*-$FLAVOUR\)[ ,].*/\1/p" |
	head -1)
[ -n "$img" ] || { say "no $FLAVOUR kernel in $SUITE"; exit 1; }
rel=${img#linux-image-}
vmlinuz=$P/vmlinuz-$rel
busybox=$P/busybox
if [ ! -s "$vmlinuz" ] || [ ! -s "$busybox" ]; then
	say "fetching $img-unsigned and busybox-static (arm64)"
	rm -f "$A"/deb/*.deb
	(cd "$A/deb" && apt_arm64 download "$img-unsigned" busybox-static)
	# Unpacked, not installed.
	dpkg-deb --fsys-tarfile "$A"/deb/linux-image-*.deb |
		tar -xO "./boot/vmlinuz-$rel" > "$vmlinuz.tmp"
	mv "$vmlinuz.tmp" "$vmlinuz"
	dpkg-deb --fsys-tarfile "$A"/deb/busybox-static_*.deb |
		tar -xO ./bin/busybox > "$busybox.tmp"
	chmod 755 "$busybox.tmp"
	mv "$busybox.tmp" "$busybox"
	rm -f "$A"/deb/*.deb
fi
say "kernel $rel"

# The initramfs: busybox, the cross C libraries, the suite.
root=$P/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/lib" "$root/t/tests" "$root/proc" "$root/sys" \
	"$root/dev" "$root/tmp"
cp "$busybox" "$root/bin/busybox"
cp tests/pages/init.sh "$root/init"
chmod 755 "$root/init"
for t in "$O"/tests/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	case $t in *.o|*.txt) continue ;; esac
	cp "$t" "$root/t/tests/"
done
# The C libraries the programs need, and theirs, from the cross sysroot.
cp -L "$SYSROOT/lib/ld-linux-aarch64.so.1" "$root/lib/"
new=$(ls "$root"/t/tests/*)
while [ -n "$new" ]; do
	next=
	for n in $(readelf -d $new 2>/dev/null |
		sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
		case $n in libtrampjit*) continue ;; esac
		[ -e "$root/lib/$n" ] && continue
		[ -e "$SYSROOT/lib/$n" ] ||
			{ say "no $n in $SYSROOT/lib"; exit 1; }
		cp -L "$SYSROOT/lib/$n" "$root/lib/"
		next="$next $root/lib/$n"
	done
	new=$next
done
cp tests/run.sh "$root/t/"
case $FLAVOUR in *-16k) echo 16 ;; *-64k) echo 64 ;; *) echo 4 ;; esac \
	> "$root/t/pagesize"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$P/initramfs.gz"

# boot ACCEL NAME TESTS: one guest run of TESTS (the guest's /init reads
# them from its environment, which the kernel fills from the command
# line); its log is $P/NAME.log.
boot() {
	log=$P/$2.log
	say "booting $2: qemu-system-aarch64 -accel $1, -cpu max, 2 CPUs"
	t0=$(date +%s)
	timeout "$QEMU_TIMEOUT" qemu-system-aarch64 -machine virt \
		-accel "$1" -cpu max,pauth-impdef=on -smp 2 -m 2048 \
		-nographic -no-reboot -kernel "$vmlinuz" \
		-initrd "$P/initramfs.gz" -append "$CMDLINE tests=$(echo $3 |
		tr ' ' ,)" </dev/null |
		stdbuf -oL tr -d '\r' | tee "$log" |
		grep --line-buffered -v '^\[' || true
	say "$2 ran $(($(date +%s) - t0)) s"
	grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log" ||
		{ say "no result from the guest (see $log)"; exit 1; }
}

CMDLINE="console=ttyAMA0 quiet panic=-1 oops=panic nowatchdog nosoftlockup"
CMDLINE="$CMDLINE rcupdate.rcu_cpu_stall_suppress=1"
# Multi-threaded TCG has a window in which a store through one mapping
# of a page misses a translation another vCPU is making from another
# mapping of it at the same moment: dual-view's SYNC_CORE retargeting
# then runs the old branch on the writing CPU itself, after the store and
# the cache maintenance, which the architecture forbids (with -smp 1 or
# single-threaded TCG it passes).  So dual-view runs in a second guest on
# single-threaded TCG, still with two CPUs; the rest, threads tests
# included, on multi-threaded TCG, which is many times faster for them.
single=
multi=
for t in $PAGES_TESTS; do
	case $t in dual-view) single="$single $t" ;; *) multi="$multi $t" ;; esac
done
boot tcg mttcg "$multi"
[ -z "$single" ] || boot tcg,thread=single single "$single"
set -- $(cat "$P"/mttcg.log ${single:+"$P"/single.log} |
	sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' |
	awk '{p += $1; f += $2; s += $3} END {print p, f, s}')
echo "$1 passed, $2 failed, $3 skipped"
[ "$2" -eq 0 ]
