/* SPDX-License-Identifier: MIT */
/*
 * Dual-view buffers: JIT code written and patched in place through a
 * read-write view while a read+execute view of the same pages runs it.
 *
 * Buffers are packed into the dual heap of heap.c (64-byte granules in
 * 2 MiB memfd chunks), whose RW view sits HEAP_RW_DELTA bytes above the
 * RX view, so converting an address is one addition and allocation costs
 * no system call in steady state, hence no TLB shootdown.  Fork copies
 * nothing: chunks are copied on their first write after it, by whichever
 * side writes (heap_fork.c).  A fork child keeps the code it had and no
 * writable view, except for JIT_DUAL_FORK_PRIVATE buffers, whose view
 * writes a copy of its own.  Committing is cache maintenance
 * (__builtin___clear_cache, nothing on x86_64, IC/DC on arm64, the
 * riscv_flush_icache syscall on riscv64) plus, on request, one membarrier
 * SYNC_CORE so threads that may hold patched instructions in their
 * pipelines refetch them.  Where an emulator (qemu-user) keeps stale
 * translations of code patched through an alias, the commit also remaps
 * the RX pages (see codesync.c); native kernels never pay that TLB
 * shootdown.
 */
#include "heap.h"
#include "os.h"

void *jit_dual_alloc_flags(size_t len, void **rw, unsigned flags)
{
	char *rx, *w;

	if (!rw || !len || (flags & ~JIT_DUAL_FORK_PRIVATE)) {
		errno = EINVAL;
		return NULL;
	}
	rx = heap_alloc(HEAP_DUAL, len, &w);
	if (rx && (flags & JIT_DUAL_FORK_PRIVATE) && heap_dual_private(rx)) {
		int e = errno;

		heap_free(HEAP_DUAL, rx);
		errno = e;
		return NULL;
	}
	if (rx)
		*rw = w;
	return rx;
}

void *jit_dual_alloc(size_t len, void **rw)
{
	return jit_dual_alloc_flags(len, rw, 0);
}

void *jit_dual_rw(const void *rx)
{
	int is_rw = 1;

	if (!rx || heap_of(rx, &is_rw) != HEAP_DUAL || is_rw) {
		void *rw = rx ? near_rw(rx) : NULL;

		if (!rw)
			errno = EINVAL;
		return rw;
	}
	return (char *)rx + HEAP_RW_DELTA;
}

void *jit_dual_rx(const void *rw)
{
	int is_rw = 0;

	if (!rw || heap_of(rw, &is_rw) != HEAP_DUAL || !is_rw) {
		void *rx = rw ? near_rx(rw) : NULL;

		if (!rx)
			errno = EINVAL;
		return rx;
	}
	return (char *)rw - HEAP_RW_DELTA;
}

/* The RX address of addr in the dual heap, or NULL. */
static char *rx_of(const void *addr)
{
	int is_rw = 0;

	if (!addr || heap_of(addr, &is_rw) != HEAP_DUAL)
		return NULL;
	return (char *)addr - (is_rw ? HEAP_RW_DELTA : 0);
}

int jit_dual_commit(const void *addr, size_t len, unsigned flags)
{
	char *rx = rx_of(addr);
	int near;

	if (!rx && addr && (near = near_commit(addr, len, flags)) <= 0)
		return near;
	if (!rx || (flags & ~JIT_DUAL_SYNC_CORE) ||
	    !heap_range_live(HEAP_DUAL, rx, len)) {
		errno = EINVAL;
		return -1;
	}
	if (os_code_written(rx, rx + HEAP_RW_DELTA, len) ||
	    heap_sync(HEAP_DUAL, rx, len))
		return -1;
	if (flags & JIT_DUAL_SYNC_CORE)
		return os_membarrier_sync_core();
	return 0;
}

int jit_dual_free(void *addr)
{
	char *rx;

	if (!addr)
		return 0;
	rx = rx_of(addr);
	if (!rx) {
		if (!near_free(addr))
			return 0;
		errno = EINVAL;
		return -1;
	}
	return heap_free(HEAP_DUAL, rx);
}
