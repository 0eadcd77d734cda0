#!/bin/sh
# SPDX-License-Identifier: MIT
# kernel/check.sh BUILD_DIR: build the trampfd module against Debian's
# kernel, boot that kernel under qemu-system-x86_64 (TCG) with an initramfs
# holding busybox, the module, the test programs and the bench, and run
# there the trampoline matrix on the kernel backends, the module's own
# tests and the kernel JIT tests.  Prints the guest's
# "N passed, N failed, N skipped" and exits non-zero on any failure.
# Installs what it needs with apt-get (as root) when it is missing.
set -eu
O=${1:-build}
K=$O/kernel
PKGS="linux-headers-amd64 qemu-system-x86 busybox-static cpio"
QEMU_TIMEOUT=${QEMU_TIMEOUT:-900}

say() { echo "kernel-check: $*"; }

. tests/need-packages.sh
need_packages $PKGS

# The release the headers are for, and the image of exactly that version.
rel=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	sed -n 's/.*linux-headers-\([0-9][^ ,]*-amd64\).*/\1/p')
ver=$(dpkg-query -W -f='${Version}' "linux-headers-$rel")
[ -n "$rel" ] && [ -d "/usr/src/linux-headers-$rel" ] ||
	{ say "no headers for '$rel'"; exit 1; }
mkdir -p "$K/mod" "$K/deb"
vmlinuz=$K/vmlinuz-$rel-$ver
if [ ! -s "$vmlinuz" ]; then
	say "fetching linux-image-$rel-unsigned $ver"
	rm -f "$K"/deb/*.deb
	(cd "$K/deb" && apt-get download -qq \
		"linux-image-$rel-unsigned=$ver" 2>/dev/null)
	# Unpacked, not installed: no initramfs hooks, /boot untouched.
	dpkg-deb --fsys-tarfile "$K"/deb/*.deb |
		tar -xO "./boot/vmlinuz-$rel" > "$vmlinuz.tmp"
	mv "$vmlinuz.tmp" "$vmlinuz"
	rm -f "$K"/deb/*.deb
fi
say "kernel $rel ($ver)"

# The module, built out of the source tree.
cp kernel/trampfd.c kernel/trampfd.h kernel/Kbuild "$K/mod/"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "/usr/src/linux-headers-$rel" M="$(cd "$K/mod" && pwd)" modules \
	>"$K/mod/build.log" 2>&1 || { cat "$K/mod/build.log"; exit 1; }
grep "warning:" "$K/mod/build.log" && { say "module warnings"; exit 1; }

# The initramfs: busybox, the module, the programs and their libraries.
root=$K/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/t/tests" "$root/proc" "$root/sys" "$root/dev" \
	"$root/tmp"
cp /bin/busybox "$root/bin/busybox"
cp "$K/mod/trampfd.ko" "$root/"
cp kernel/guest-init.sh "$root/init"
chmod 755 "$root/init"
# The matrix: every test that runs on every backend, and the kernel tests.
for t in $(grep -l for_each_backend tests/*.c tests/*.cc | sed 's/\.cc*$//'); do
	cp "$O/$t" "$root/t/tests/"
done
cp "$O"/kernel/tests/* "$root/t/tests/"
rm -f "$root"/t/tests/*.o
cp "$O/tests/mdwe-exec" "$root/t/tests/"
cp tests/run.sh "$root/t/"
cp "$O/kernel/trampfd-bench" "$root/t/"
for b in "$root"/t/tests/* "$root/t/trampfd-bench"; do
	ldd "$b" 2>/dev/null | awk '/=> \//{print $3} /^\t\//{print $1}'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$K/initramfs.gz"

# The host may be busy: an emulated CPU that is not scheduled for a while
# is no lockup, so the lockup and stall detectors are off.
CMDLINE="console=ttyS0 quiet panic=-1 oops=panic nowatchdog nosoftlockup"
CMDLINE="$CMDLINE rcupdate.rcu_cpu_stall_suppress=1"
say "booting (qemu-system-x86_64, TCG)"
t0=$(date +%s)
log=$K/guest.log
timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -smp 2 \
	-m 1024 -nographic -no-reboot -kernel "$vmlinuz" \
	-initrd "$K/initramfs.gz" \
	-append "$CMDLINE" </dev/null |
	tr -d '\r' | tee "$log" | grep -v '^\[' || true
say "guest ran $(($(date +%s) - t0)) s"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
if [ -z "$summary" ]; then
	say "no result from the guest (see $log)"
	exit 1
fi
echo "$summary"
case $summary in
*" 0 failed"*) ;;
*) exit 1 ;;
esac
grep -q 'BUG:\|Oops\|WARNING:\|Call Trace' "$log" &&
	{ say "kernel warnings in $log"; exit 1; }
exit 0
