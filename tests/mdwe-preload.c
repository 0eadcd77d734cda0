/* SPDX-License-Identifier: MIT */
/*
 * PR_SET_MDWE for emulators that refuse it (qemu-user answers EINVAL, and
 * its own JIT cannot run under a real MDWE): preloaded into a test by
 * tests/run.sh, it applies the kernel's rules to the calls the program
 * makes through libc.  Once active (PR_SET_MDWE, or TRAMPJIT_MDWE=1 at
 * start, standing for a parent that set it before exec), mmap refuses
 * writable+executable mappings and mprotect refuses W+X and any page
 * gaining execute, with EACCES, as mm/mmap.c's map_deny_write_exec() does.
 * PR_GET_MDWE reports the state.  It is inherited by fork children.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PR_SET_MDWE			65
#define PR_GET_MDWE			66
#define PR_MDWE_REFUSE_EXEC_GAIN	1

static int active;

__attribute__((constructor)) static void init(void)
{
	const char *e = getenv("TRAMPJIT_MDWE");

	active = e && !strcmp(e, "1");
}

int prctl(int option, ...)
{
	unsigned long a[4];
	va_list ap;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_MDWE) {
		if (a[0] & ~(unsigned long)PR_MDWE_REFUSE_EXEC_GAIN ||
		    a[1] || a[2] || a[3]) {
			errno = EINVAL;
			return -1;
		}
		if (active && !a[0]) {
			errno = EPERM;	/* it cannot be turned off */
			return -1;
		}
		active |= (int)a[0];
		return 0;
	}
	if (option == PR_GET_MDWE)
		return active ? PR_MDWE_REFUSE_EXEC_GAIN : 0;
	return (int)syscall(SYS_prctl, option, a[0], a[1], a[2], a[3]);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (active && (prot & PROT_WRITE) && (prot & PROT_EXEC)) {
		errno = EACCES;
		return MAP_FAILED;
	}
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

/* Whether every page of [lo, hi) is mapped executable now. */
static int all_exec(uintptr_t lo, uintptr_t hi)
{
	char buf[4096], line[256];
	size_t n = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	uintptr_t covered = lo;
	int bad = 0;

	if (fd < 0)
		return 0;
	while (!bad && (r = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (n + 1 < sizeof(line))
					line[n++] = buf[i];
				continue;
			}
			line[n] = 0;
			n = 0;
			char *p = line, *perm;
			uintptr_t s = strtoul(p, &p, 16), e;

			e = strtoul(p + 1, &p, 16);
			perm = p + 1;
			if (e <= covered || s > covered || covered >= hi)
				continue;
			if (perm[2] != 'x') {
				bad = 1;
				break;
			}
			covered = e;
		}
	}
	close(fd);
	return !bad && covered >= hi;
}

int mprotect(void *addr, size_t len, int prot)
{
	if (active && (prot & PROT_EXEC) &&
	    ((prot & PROT_WRITE) ||
	     !all_exec((uintptr_t)addr, (uintptr_t)addr + len))) {
		errno = EACCES;
		return -1;
	}
	return (int)syscall(SYS_mprotect, addr, len, prot);
}
