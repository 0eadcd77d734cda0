/* SPDX-License-Identifier: MIT */
/*
 * The JIT_APPEND_KERNEL write path: code objects and appendable regions
 * made by the trampjit kernel module (kernel/trampfd.c).  The module
 * copies the bytes from user memory into fresh pages and maps them
 * read+execute; a region append builds new pages and swaps them in by
 * PTE, and the module's int3 notifier does the breakpoint fixup.  Every
 * object is one mapping of /dev/trampfd, so it costs a VMA (the reply's
 * "new anonymous mapping that contains exactly the code requested").
 */
#include <stdatomic.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "os.h"
#include "../kernel/trampfd.h"

static _Atomic int used;	/* an object was made: destroy may be ours */

static void *jit_ioctl(unsigned long cmd, struct trampfd_jit *j)
{
	int fd = os_trampfd();

	if (fd < 0 || ioctl(fd, cmd, j))
		return NULL;
	atomic_store_explicit(&used, 1, memory_order_relaxed);
	return (void *)(uintptr_t)j->addr;
}

void *kjit_create(const void *src, size_t len)
{
	struct trampfd_jit j = { .src = (uintptr_t)src, .len = len };

	return jit_ioctl(TRAMPFD_IOC_JIT_CREATE, &j);
}

void *kjit_region(size_t cap)
{
	struct trampfd_jit j = { .len = cap };

	return jit_ioctl(TRAMPFD_IOC_JIT_REGION, &j);
}

void *kjit_append(void *region, const void *src, size_t len)
{
	struct trampfd_jit j = {
		.src = (uintptr_t)src, .len = len, .region = (uintptr_t)region,
	};

	return jit_ioctl(TRAMPFD_IOC_JIT_APPEND, &j);
}

int kjit_destroy(void *addr)
{
	uint64_t a = (uintptr_t)addr;

	if (!atomic_load_explicit(&used, memory_order_relaxed)) {
		errno = EINVAL;	/* nothing can be ours */
		return -1;
	}
	return ioctl(os_trampfd(), TRAMPFD_IOC_JIT_DESTROY, &a) ? -1 : 0;
}
