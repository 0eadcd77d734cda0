/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_MPROTECT: the baseline of the past, write a stub, then mprotect it.
 *
 * Mechanism: a table's code half is 1536 stubs of 128 bytes, 32 per 4 KiB
 * page (x86_64), each a copy of its kind's template (src/arch/<arch>/
 * mprotect_stubs.S) with the pair {data, target} as inline constants.
 * The half is written in private read-write memory and mprotect()ed
 * read+execute when the table is made.  Changing a stub's constants
 * (create, retarget) never makes a live page writable again, because a
 * thread running another stub of the page would fault: instead the page is
 * rebuilt off-line (mmap a fresh read-write page, copy, patch the pair,
 * mprotect it read+execute) and moved over the old one with one mremap().
 * Every instruction fetch and every data load then reads either the old
 * page or the new one; the pair is read with one 16-byte load and the
 * instruction bytes of both pages are identical, so a concurrent caller
 * sees the old pair or the new pair, never a mix, and never faults.  This
 * is why retarget stays atomic without an indirection through a data page.
 * Architectures without a 16-byte single-copy-atomic load (aarch64) keep
 * the thunk address inline and read the pair from the slot instead, with
 * the slot protocol of their arch.h.
 * Page rebuilds are serialised per table by a mutex, so tramp_retarget()
 * on this backend is thread-safe but not async-signal-safe.
 *
 * Trade-offs: a call costs what a static stub costs (a load and an
 * indirect jump, all in one page); a creation costs four syscalls, a page
 * copy and, once other CPUs run threads of the process, a TLB shootdown,
 * and each rebuilt page becomes its own VMA (48 per table at most).  Worst,
 * the process must be allowed to turn writable memory executable: under
 * prctl(PR_SET_MDWE), systemd's MemoryDenyWriteExecute= or an SELinux
 * execmem denial the first creation fails with the kernel's errno
 * (EACCES or EPERM), and nothing falls back to another backend.  It exists
 * to be measured against; use TRAMP_STATIC instead.
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "arch_backends.h"
#include "os.h"

/* Few stripes: a fork holds every lock of the library at once, and tools
   that track held locks (ThreadSanitizer: 64 at most) must keep up. */
#define NLOCKS	8

/* Page rebuilds of a table, striped by table. */
static pthread_mutex_t locks[NLOCKS] = {
	[0 ... NLOCKS - 1] = PTHREAD_MUTEX_INITIALIZER,
};

static pthread_mutex_t *table_lock_of(const struct table *tb)
{
	return &locks[((uintptr_t)tb->base >> SPAN_SHIFT) % NLOCKS];
}

/* Lock order (internal.h): the stripes in index order. */
void mprotect_fork_lock(void)
{
	for (int i = 0; i < NLOCKS; i++)
		pthread_mutex_lock(&locks[i]);
}

void mprotect_fork_unlock(void)
{
	for (int i = NLOCKS - 1; i >= 0; i--)
		pthread_mutex_unlock(&locks[i]);
}

static void mp_geometry(struct table *tb)
{
	tb->nslots = ARCH_MP_SLOTS;
	tb->code_stride = ARCH_MP_STRIDE;
	tb->code_size = (size_t)tb->nslots * tb->code_stride;
}

/* Write every stub of the half read-write, then make it read+execute. */
static int mp_map_code(struct table *tb)
{
	static const char *const thunks[NKINDS] = {
		[TRAMP_CHAIN] = tramp_chain_thunk,
		[TRAMP_BIND] = tramp_bind_thunk,
		[KIND_BIND_SRET] = tramp_bind_sret_thunk,
		[TRAMP_HANDLER] = tramp_handler_thunk,
		[TRAMP_CONTEXT] = tramp_context_thunk,
	};
	const char *thunk = thunks[tb->kind];

	if (!os_map_data(tb->base, tb->code_size))
		return -1;
	for (unsigned i = 0; i < tb->nslots; i++) {
		char *stub = slot_code(tb, i);

		memcpy(stub, arch_mp_templates[tb->kind], ARCH_MP_STRIDE);
		if (ARCH_MP_THUNK_KINDS >> tb->kind & 1)
			memcpy(stub + ARCH_MP_THUNK, &thunk, sizeof(thunk));
	}
	return os_protect(tb->base, tb->code_size, PROT_READ | PROT_EXEC);
}

/* Rebuild the page of stub i with the pair now in slot i. */
static int mp_publish(struct table *tb, unsigned i)
{
	size_t ps = os_page_size();
	char *stub = slot_code(tb, i);
	char *page = (char *)((uintptr_t)stub & ~(uintptr_t)(ps - 1));
	uintptr_t lo, hi;
	char *fresh;
	int err = 0;

	pthread_mutex_lock(table_lock_of(tb));
	fresh = os_map_data(NULL, ps);
	if (!fresh) {
		err = errno;
		goto out;
	}
	memcpy(fresh, page, ps);
	arch_load_pair(slot_at(tb, i), &lo, &hi);
	memcpy(fresh + (stub - page) + ARCH_MP_PAIR, &lo, sizeof(lo));
	memcpy(fresh + (stub - page) + ARCH_MP_PAIR + sizeof(lo), &hi,
	       sizeof(hi));
	if (os_protect(fresh, ps, PROT_READ | PROT_EXEC) ||
	    os_move(fresh, ps, page)) {
		err = errno;
		os_unmap(fresh, ps);
	}
out:
	pthread_mutex_unlock(table_lock_of(tb));
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

const struct backend_ops backend_mprotect = {
	.geometry = mp_geometry,
	.map_code = mp_map_code,
	.publish = mp_publish,
};
