#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/guest/check.sh BUILD_DIR: run a cross-built suite (aarch64 or
# riscv64, in BUILD_DIR) on a real Linux kernel under qemu-system (TCG),
# for what qemu-user cannot show:
# - aarch64: Debian's 16 KiB-page kernel (the arm64-16k flavour, bookworm-
#   backports; Debian ships no 64 KiB-page arm64 kernel), -cpu max;
# - riscv64: Debian's riscv64 kernel (trixie; 4 KiB pages, the only size
#   riscv64 Linux has), so that seccomp (the SYSCALL backend), MDWE and
#   membarrier are the kernel's and not an emulator's.
# The guest boots from an initramfs holding that arch's busybox, the
# libraries of the cross sysroot and those the build fetched
# (tests/cross-libs.sh), and the test programs.  The arch's packages come
# through a private apt configuration (tests/debian-apt.sh): the host's
# apt sources and architectures are left as they are.  Prints the guests'
# "N passed, N failed, N skipped" and exits non-zero on any failure.
set -eu
O=${1:-build-aarch64}
P=$O/guest
QEMU_TIMEOUT=${QEMU_TIMEOUT:-1500}
# Emulating a whole system is slow (the full suite takes over 25 minutes
# here), so a guest runs what depends on the page size or the kernel.  On
# aarch64 (16 KiB pages): the stub tables and every kind over them, the
# signal, seccomp and mprotect backends, the code heaps, appendable
# regions, dual views and their fork behaviour, the maps audit, MDWE,
# BTI under the kernel's own guard (the SYSCALL backend and smaps' "bt"
# flag included), and what qemu-aarch64 cannot run (a program dying of
# SIGSEGV after a FAULT redirect aborts qemu itself; RLIMIT_FSIZE hits
# its own files; RLIMIT_AS and seccomp are not applied).  On
# riscv64 (4 KiB pages, as under qemu-user, and several times slower to
# emulate): what qemu-user cannot show, i.e. seccomp (the SYSCALL
# backend), MDWE, mprotect, code changed behind the CPU's back, and the
# resource limits and signal chaining qemu-riscv64 cannot run.  Both run
# the libffi drop-in, whose preparation has libffi maintain the caches
# (aarch64: "dc cvau; ic ivau" over the closure; riscv64: the
# riscv_flush_icache system call over the stub), which qemu-user does
# not model.
# GUEST_TESTS="" runs everything.
A64_TESTS="tramp-chain tramp-bind tramp-handler tramp-context tramp-data \
tramp-lifo tramp-fastpath bind-sret context-fp syscall-seccomp mprotect-mdwe \
threads arena-regrow jit-code jitfd-sealed region-modes region-fixup \
region-xmodify dual-view dual-near fork-cow wx-maps page-layout \
fault-chaining chain-flags rlimit-fsize rlimit-sigxfsz jit-thread-cache \
jit-membarrier-fail ffi-closure ffi-layout bti-guard"
RV_TESTS="syscall-seccomp mprotect-mdwe tramp-chain tramp-handler \
tramp-context jit-code region-xmodify wx-maps page-layout arena-regrow \
fault-chaining chain-flags rlimit-fsize rlimit-sigxfsz jit-thread-cache \
jit-membarrier-fail ffi-closure ffi-layout"

say() { echo "check-guest: $*"; }

[ -x "$O/tests/tramp-chain" ] ||
	{ say "$O holds no test build"; exit 1; }
case $(readelf -h "$O/tests/tramp-chain") in
*AArch64*)
	ARCH=aarch64 DEBARCH=arm64 QPKG=qemu-system-arm
	SUITES="bookworm bookworm-backports"
	# pauth-impdef: the QARMA5 PAC algorithm is many times slower
	QEMU="qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on"
	CONSOLE=ttyAMA0 BUSYBOX=./bin/busybox
	FLAVOUR=${GUEST_FLAVOUR:-arm64-16k}
	GUEST_TESTS=${GUEST_TESTS-$A64_TESTS} ;;
*RISC-V*)
	ARCH=riscv64 DEBARCH=riscv64 QPKG="qemu-system-misc opensbi"
	SUITES=trixie
	QEMU="qemu-system-riscv64 -machine virt -bios default"
	CONSOLE=ttyS0 BUSYBOX=./usr/bin/busybox
	FLAVOUR=${GUEST_FLAVOUR:-riscv64}
	GUEST_TESTS=${GUEST_TESTS-$RV_TESTS} ;;
*)
	say "$O/tests/tramp-chain is neither aarch64 nor riscv64"; exit 1 ;;
esac
case $FLAVOUR in *-16k) PAGE=16 ;; *-64k) PAGE=64 ;; *) PAGE=4 ;; esac
SYSROOT=/usr/$ARCH-linux-gnu
for t in $GUEST_TESTS; do
	[ -x "$O/tests/$t" ] || { say "no test program $O/tests/$t"; exit 1; }
done
[ -d "$SYSROOT/lib" ] || { say "no $SYSROOT (libc6-dev-$DEBARCH-cross)"; exit 1; }

. tests/need-packages.sh
need_packages $QPKG cpio

# The guest's packages, through a private apt (tests/debian-apt.sh).
. tests/debian-apt.sh
DEBIAN_MIRROR=${GUEST_MIRROR:-${DEBIAN_MIRROR:-}}
apt_private "$P/apt" $DEBARCH $SUITES
A=$APT_DIR
# The image the flavour's meta-package points at (the newest suite's).
img=$(apt-cache $(apt_opts) show "linux-image-$FLAVOUR" |
	sed -n "s/^Depends:.*\(linux-image-[^ ,]*-$FLAVOUR\)[ ,].*/\1/p" |
	sort -V | tail -1)
[ -n "$img" ] || { say "no $FLAVOUR kernel in $SUITES"; exit 1; }
rel=${img#linux-image-}
kernel=$P/kernel-$rel
busybox=$P/busybox-$DEBARCH
if [ ! -s "$kernel" ] || [ ! -s "$busybox" ]; then
	# arm64's images come signed and unsigned; take the plain one.
	pkg=$img
	apt-cache $(apt_opts) show "$img-unsigned" 2>/dev/null |
		grep -q "^Package: $img-unsigned\$" && pkg=$img-unsigned
	say "fetching $pkg and busybox-static ($DEBARCH)"
	apt_download "$pkg" busybox-static
	# Unpacked, not installed.
	dpkg-deb --fsys-tarfile "$A"/deb/linux-image-*.deb |
		tar -xO --wildcards "./boot/vmlinu[xz]-$rel" > "$kernel.tmp"
	mv "$kernel.tmp" "$kernel"
	dpkg-deb --fsys-tarfile "$A"/deb/busybox-static_*.deb |
		tar -xO "$BUSYBOX" > "$busybox.tmp"
	chmod 755 "$busybox.tmp"
	mv "$busybox.tmp" "$busybox"
	rm -f "$A"/deb/*.deb
fi
say "kernel $rel"

# The initramfs: busybox, the tests, the libraries they need: the cross
# sysroot's, the build's own (libtrampjit-ffi.so) and those it fetched
# (CROSS_LIBS_LIB, from make).
LIBDIRS="$O ${CROSS_LIBS_LIB:-}"
root=$P/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/lib" "$root/t/tests" "$root/proc" "$root/sys" \
	"$root/dev" "$root/tmp"
cp "$busybox" "$root/bin/busybox"
cp tests/guest/init.sh "$root/init"
chmod 755 "$root/init"
for t in "$O"/tests/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	case $t in *.o|*.txt) continue ;; esac
	cp "$t" "$root/t/tests/"
done
# and the stand-in libffi that tests/ffi-layout loads from its directory.
[ ! -d "$O/tests/fake-libffi" ] || cp -r "$O/tests/fake-libffi" "$root/t/tests/"
cp -L "$SYSROOT"/lib/ld-linux-*.so.1 "$root/lib/"
new=$(ls "$root"/t/tests/*)
while [ -n "$new" ]; do
	next=
	for n in $(readelf -d $new 2>/dev/null |
		sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
		[ -e "$root/lib/$n" ] && continue
		for d in "$SYSROOT/lib" $LIBDIRS; do
			[ -e "$d/$n" ] || continue
			cp -L "$d/$n" "$root/lib/"
			next="$next $root/lib/$n"
			continue 2
		done
		say "no $n in $SYSROOT/lib $LIBDIRS"; exit 1
	done
	new=$next
done
cp tests/run.sh "$root/t/"
echo "$PAGE" > "$root/t/pagesize"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$P/initramfs.gz"

# boot ACCEL NAME TESTS: one guest run of TESTS (the guest's /init reads
# them from its environment, which the kernel fills from the command
# line); its log is $P/NAME.log.
boot() {
	log=$P/$2.log
	say "booting $2: $QEMU -accel $1, 2 CPUs"
	t0=$(date +%s)
	timeout "$QEMU_TIMEOUT" $QEMU -accel "$1" -smp 2 -m 2048 \
		-nographic -no-reboot -kernel "$kernel" \
		-initrd "$P/initramfs.gz" -append "$CMDLINE tests=$(echo $3 |
		tr ' ' ,)" </dev/null |
		stdbuf -oL tr -d '\r' | tee "$log" |
		grep --line-buffered -v '^\[' || true
	say "$2 ran $(($(date +%s) - t0)) s"
	grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log" ||
		{ say "no result from the guest (see $log)"; exit 1; }
}

CMDLINE="console=$CONSOLE quiet panic=-1 oops=panic nowatchdog nosoftlockup"
CMDLINE="$CMDLINE rcupdate.rcu_cpu_stall_suppress=1"
# Multi-threaded TCG (qemu 7.2, aarch64) has a window in which a store
# through one mapping of a page misses a translation another vCPU is
# making from another mapping of it at the same moment: dual-view's
# SYNC_CORE retargeting then runs the old branch on the writing CPU
# itself, after the store and the cache maintenance, which the
# architecture forbids (with -smp 1 or single-threaded TCG it passes).
# So dual-view runs in a second guest on single-threaded TCG, still with
# two CPUs; the rest, threads tests included, on multi-threaded TCG, which
# is many times faster for them.
single=
multi=
for t in $GUEST_TESTS; do
	case $t in dual-view) single="$single $t" ;; *) multi="$multi $t" ;; esac
done
boot tcg mttcg "$multi"
[ -z "$single" ] || boot tcg,thread=single single "$single"
set -- $(cat "$P"/mttcg.log ${single:+"$P"/single.log} |
	sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' |
	awk '{p += $1; f += $2; s += $3} END {print p, f, s}')
echo "$1 passed, $2 failed, $3 skipped"
[ "$2" -eq 0 ]
