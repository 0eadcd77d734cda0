#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of the check-guest guest: run the tests named in $tests (comma-
# separated, from the kernel command line; empty: all) plain and under
# PR_SET_MDWE (tests/run.sh), check the page size, power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
echo 0 > /proc/sys/kernel/hung_task_timeout_secs	# emulated: may be slow
echo "guest: $(uname -r), $(nproc) CPUs"
cd /t
TIMEOUT=600 sh run.sh /t $(echo "$tests" | tr , ' ') 2>&1 |
	tee /tmp/run.txt | grep -v '^[0-9]* passed'
set -- $(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' \
	/tmp/run.txt) 0 1 0
pass=$1 fail=$2 skip=$3
# The suite only proves something if the pages are the size asked for.
ps=$(sed -n 's/^KernelPageSize: *\([0-9]*\) kB/\1/p' /proc/self/smaps | head -1)
if [ "$ps" = "$(cat /t/pagesize)" ]; then
	echo "PASS page size: $ps KiB"
	pass=$((pass + 1))
else
	echo "FAIL page size: '$ps' KiB, not $(cat /t/pagesize)"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed, $skip skipped"
poweroff -f
