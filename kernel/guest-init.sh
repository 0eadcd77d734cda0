#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of the kernel-check guest: load the module, run the tests on the
# kernel backends, run the bench, power off.  kernel/check.sh reads the
# "N passed, N failed" line and the dmesg verdict from the console.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
echo 0 > /proc/sys/kernel/hung_task_timeout_secs	# emulated: may be slow
echo "guest: $(uname -r), $(nproc) CPUs"
if ! insmod /trampfd.ko; then
	echo "0 passed, 1 failed, 0 skipped"
	poweroff -f
fi
cd /t
# The matrix on the kernel backends.
TRAMPJIT_TEST_BACKENDS=kernel,kernel-call TIMEOUT=300 sh run.sh /t \
	> /tmp/run.txt 2>&1
grep -v '^[0-9]* passed' /tmp/run.txt
# What each test says it covered.
cat /t/tests/log/*.plain.txt | grep -E ': ok$|fixup:|note:'
set -- $(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' \
	/tmp/run.txt) 0 1 0
pass=$1 fail=$2 skip=$3
/t/trampfd-bench 2>&1 || fail=$((fail + 1))
# The kernel's verdict on everything above counts as one more test.
if dmesg | grep -qE 'BUG:|WARNING:|Oops|Call Trace|Bad page'; then
	echo "FAIL dmesg: the kernel complained:"
	dmesg | tail -60
	fail=$((fail + 1))
else
	echo "PASS dmesg clean"
	pass=$((pass + 1))
fi
echo "$pass passed, $fail failed, $skip skipped"
poweroff -f
