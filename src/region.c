/* SPDX-License-Identifier: MIT */
/*
 * Appendable code regions: jit_region_create(), jit_region_append() and
 * jit_region_destroy().
 *
 * A region is one memfd mapped read+execute over a reservation of its
 * capacity.  The mapped part grows in GROW steps as appends reach it, each
 * step filled with the trapping filler first, so a large capacity costs
 * address space, not memory.  Appends go to the next JIT_REGION_ALIGN
 * boundary; code before it keeps running while they write, in one of three
 * ways:
 *
 *  - PWRITE: pwrite(2) into the memfd.  No writable mapping of the code
 *    exists at all; each append costs two system calls.
 *  - ALIAS: memcpy through a read-write view of the memfd placed cap bytes
 *    above the code and excluded from fork.  No system call per append,
 *    but the code is writable through that view.
 *
 *   Both write the tail first and the first byte last: a thread that reaches
 *   the entry early sees the filler and traps; the breakpoint fixup
 *   (trap.c) rewinds it once the entry byte holds code.
 *
 *  - SWAP: every touched page is built off-line (old code, new code,
 *    filler) in the other of two copies of the page kept in the file (at
 *    offsets i * page and cap + i * page) and mapped with MAP_FIXED over
 *    the live page, last page first.  No CPU ever sees a half-written page,
 *    as the reference message proposes; each page costs an mmap and a TLB
 *    shootdown, and old kernels open a gap in which a fault is retried
 *    (TRAP_SWAPPED).  Pages left on the second copy split the mapping, so
 *    once the completed pages behind the append point span SPAN_MAX pages
 *    they are copied back to the first copy and remapped with one MAP_FIXED,
 *    which merges them into one VMA again: a region keeps a bounded number
 *    of VMAs whatever the number of appends.
 *
 *  - KERNEL: the trampjit module holds the pages and does what SWAP does
 *    by page-table entry instead of by mapping: see jit_kernel.c.
 *
 * Handles are index and generation of a registry slot, never pointers to
 * freed memory: a destroyed or foreign handle is recognised and refused.
 * Fork copies nothing: parent and child share each region's file until
 * one of them appends, and that one first copies the code into a file of
 * its own (own()), so neither side's later appends reach the other.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "os.h"

#define CAP_MAX		((size_t)1 << 40)	/* 1 TiB */
#define GROW		((size_t)64 << 10)	/* mapping step */
#define IDX_BITS	16
#define REGIONS_MAX	(1u << IDX_BITS)
#define SPAN_MAX	16	/* pages behind the append point left mixed */

struct region {
	pthread_mutex_t lock;	/* serialises appends; guards the rest */
	int mode;		/* JIT_APPEND_* */
	int fd;			/* memfd behind the code */
	unsigned long gen;	/* fork_gen when fd became this process's */
	int trap;		/* trap range id, or -1 */
	int dead;		/* destroyed (guarded by reg_lock) */
	unsigned users;		/* appends in flight (under reg_lock) */
	char *rx;		/* read+execute view, cap bytes reserved */
	char *rw;		/* ALIAS: read-write view at rx + cap */
	int rw_ok;		/* ALIAS: the read-write view is mapped */
	size_t cap;		/* capacity, page multiple */
	size_t fsize;		/* size of the memfd */
	size_t mapped;		/* bytes of rx mapped and filled */
	size_t used;		/* end of the last append */
	unsigned char *alt;	/* SWAP: bit per page, on the second copy */
	size_t alt_lo;		/* SWAP: pages below: first copy */
	unsigned char *page;	/* SWAP: the page being built */
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct region *regs[REGIONS_MAX];	/* live regions by slot */
static uint64_t gens[REGIONS_MAX];	/* destroys per slot */
static unsigned nregs;			/* slots ever used */
static unsigned long fork_gen;		/* forks on either side (reg_lock) */

/* ---- registry --------------------------------------------------------- */

static struct jit_region *handle_of(unsigned i)
{
	return (struct jit_region *)(uintptr_t)((gens[i] + 1) << IDX_BITS | i);
}

/* The live region behind h, or NULL.  pre: reg_lock held. */
static struct region *lookup(const struct jit_region *h)
{
	uintptr_t v = (uintptr_t)h;
	unsigned i = (unsigned)(v & (REGIONS_MAX - 1));

	if (i >= nregs || !regs[i] || gens[i] + 1 != v >> IDX_BITS)
		return NULL;
	return regs[i];
}

static struct jit_region *reg_insert(struct region *r)
{
	struct jit_region *h = NULL;
	unsigned i;

	pthread_mutex_lock(&reg_lock);
	for (i = 0; i < nregs && regs[i]; i++)
		;
	if (i < REGIONS_MAX) {
		regs[i] = r;
		nregs += i == nregs;
		h = handle_of(i);
	}
	pthread_mutex_unlock(&reg_lock);
	if (!h)
		errno = ENOMEM;
	return h;
}

/* ---- mappings --------------------------------------------------------- */

static size_t span_of(const struct region *r)
{
	return r->mode == JIT_APPEND_ALIAS ? 2 * r->cap : r->cap;
}

static void teardown(struct region *r)
{
	trap_del(r->trap);
	if (r->rx)
		os_unmap(r->rx, span_of(r));
	if (r->fd >= 0)
		close(r->fd);
	free(r->alt);
	free(r->page);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static int map_rw(struct region *r)
{
	if (!os_map_view(r->rw, r->cap, r->fd, 0))
		return -1;
	if (os_dontfork(r->rw, r->cap)) {
		os_unreserve(r->rw, r->cap);
		return -1;
	}
	r->rw_ok = 1;
	return 0;
}

/* Map filled filler up to at least end (bytes of rx).  pre: lock held. */
static int grow(struct region *r, size_t end)
{
	size_t m = r->mapped + GROW, len;

	if (end <= r->mapped)
		return 0;
	m = end > m ? end : m;
	m = (m + os_page_size() - 1) & ~(os_page_size() - 1);
	m = m < r->cap ? m : r->cap;
	len = m - r->mapped;
	if (code_fill(r->fd, (off_t)r->mapped, len) ||
	    !os_map_code(r->rx + r->mapped, len, r->fd, (off_t)r->mapped))
		return -1;
	r->mapped = m;
	return 0;
}

/* ---- PWRITE and ALIAS ------------------------------------------------- */

/* Bytes of the first instruction, written last (ARCH_INSN_SIZE, or len
   when shorter). */
static size_t head_len(size_t len)
{
	return len < ARCH_INSN_SIZE ? len : ARCH_INSN_SIZE;
}

static int put_pwrite(struct region *r, size_t off, const char *src,
		      size_t len)
{
	size_t h = head_len(len);

	if (len > h && os_pwrite_all(r->fd, src + h, len - h,
				     (off_t)(off + h)))
		return -1;
	if (os_pwrite_all(r->fd, src, h, (off_t)off))
		return -1;
	return code_sync(r->rx + off, len, r->fd, (off_t)off);
}

static int put_alias(struct region *r, size_t off, const char *src,
		     size_t len)
{
	size_t h = head_len(len);

	if (!r->rw_ok && map_rw(r))
		return -1;
	memcpy(r->rw + off + h, src + h, len - h);
	arch_store_insn(r->rw + off, src, h);
	return code_sync(r->rx + off, len, r->fd, (off_t)off);
}

/* ---- SWAP ------------------------------------------------------------- */

static int alt_get(const struct region *r, size_t i)
{
	return r->alt[i >> 3] >> (i & 7) & 1;
}

static void alt_put(struct region *r, size_t i, int v)
{
	if (v)
		r->alt[i >> 3] |= (unsigned char)(1u << (i & 7));
	else
		r->alt[i >> 3] &= (unsigned char)~(1u << (i & 7));
}

/* File offset of page i in copy c (0 or 1). */
static off_t copy_off(const struct region *r, size_t i, int c)
{
	return (off_t)((c ? r->cap : 0) + i * os_page_size());
}

/* Map copy c of pages [i, i + n) over the live ones. */
static int swap_in(struct region *r, size_t i, size_t n, int c)
{
	size_t p = os_page_size();
	void *m;

	trap_swap_begin();
	m = os_map_code(r->rx + i * p, n * p, r->fd, copy_off(r, i, c));
	trap_swap_end();
	return m ? 0 : -1;
}

/* Rebuild page i with [off, off + len) from src in the other copy and
   swap it in. */
static int swap_page(struct region *r, size_t i, size_t off, const char *src,
		     size_t len)
{
	size_t p = os_page_size(), ps = i * p, lo, hi;
	int c = !alt_get(r, i);

	/* Live bytes up to the old end, then filler: it also wipes what a
	   failed append may have left behind the end. */
	memcpy(r->page, r->rx + ps, p);
	lo = r->used > ps ? r->used - ps : 0;
	if (lo < p)
		code_fill_mem(r->page + lo, p - lo, lo);
	lo = off > ps ? off - ps : 0;
	hi = off + len - ps < p ? off + len - ps : p;
	memcpy(r->page + lo, src + ps + lo - off, hi - lo);
	if (os_pwrite_all(r->fd, r->page, p, copy_off(r, i, c)) ||
	    swap_in(r, i, 1, c))
		return -1;
	alt_put(r, i, c);
	return 0;
}

static int put_swap(struct region *r, size_t off, const char *src,
		    size_t len)
{
	size_t p = os_page_size(), first = off / p, last = (off + len - 1) / p;
	size_t i = last + 1;
	int e;

	while (i-- > first)
		if (swap_page(r, i, off, src, len))
			goto undo;
	return 0;
undo:
	/* The old pages are intact in the copy they were mapped from. */
	e = errno;
	while (++i <= last)
		if (!swap_in(r, i, 1, !alt_get(r, i)))
			alt_put(r, i, !alt_get(r, i));
	errno = e;
	return -1;
}

/*
 * Merge pages behind the append point back into one VMA once they span
 * SPAN_MAX pages: those on the second copy are copied to their first copy
 * (mapped nowhere, so nobody runs it) and the span is remapped at once.
 * Failure only leaves more VMAs.
 */
static void tidy(struct region *r)
{
	size_t p = os_page_size(), end = r->used / p, i;

	while (r->alt_lo < end && !alt_get(r, r->alt_lo))
		r->alt_lo++;
	if (end - r->alt_lo < SPAN_MAX)
		return;
	for (i = r->alt_lo; i < end; i++)
		if (alt_get(r, i) &&
		    os_pwrite_all(r->fd, r->rx + i * p, p, copy_off(r, i, 0)))
			return;
	if (swap_in(r, r->alt_lo, end - r->alt_lo, 0))
		return;
	for (i = r->alt_lo; i < end; i++)
		alt_put(r, i, 0);
	r->alt_lo = end;
}

/* ---- fork ------------------------------------------------------------- */

/*
 * A fork leaves each region's file shared by parent and child; fork_gen,
 * bumped on both sides, tells which regions are.  Before its first write
 * since the fork, a process copies the mapped code into a new memfd and
 * maps that over its code (the same bytes, so calls running there are not
 * disturbed) and over its ALIAS view; SWAP pages all come from the first
 * copy again.  Appends are serialised, so nothing writes the shared file
 * meanwhile; if the copy fails (no descriptor, RLIMIT_FSIZE), the append
 * fails with its errno and the shared file is left as it was.
 * pre: r->lock held.
 */
static int own(struct region *r)
{
	int fd;

	if (r->gen == __atomic_load_n(&fork_gen, __ATOMIC_RELAXED) ||
	    r->mode == JIT_APPEND_KERNEL)	/* the module copies for it */
		return 0;
	fd = os_code_copy(r->rx, r->mapped, r->fsize, "trampjit-region");
	if (fd < 0)
		return -1;
	close(r->fd);
	r->fd = fd;
	if (r->alt) {
		memset(r->alt, 0, (r->cap / os_page_size() + 7) / 8);
		r->alt_lo = 0;
	}
	r->gen = fork_gen;
	if (r->rw_ok) {		/* the parent's view: onto the new file */
		r->rw_ok = 0;
		return map_rw(r);
	}
	return 0;
}

/* No append is in flight across the fork: every region is locked. */
void region_fork_prepare(void)
{
	pthread_mutex_lock(&reg_lock);
	for (unsigned i = 0; i < nregs; i++)
		if (regs[i])
			pthread_mutex_lock(&regs[i]->lock);
}

static void fork_done(int child)
{
	__atomic_store_n(&fork_gen, fork_gen + 1, __ATOMIC_RELAXED);
	for (unsigned i = nregs; i-- > 0;) {
		struct region *r = regs[i];

		if (!r)
			continue;
		/* The ALIAS view is not inherited (MADV_DONTFORK): reserve
		   its range again; own() maps it back on the next append. */
		if (child && r->rw) {
			os_unreserve(r->rw, r->cap);
			r->rw_ok = 0;
		}
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_unlock(&reg_lock);
}

void region_fork_parent(void)
{
	fork_done(0);
}

void region_fork_child(void)
{
	fork_done(1);
}

/* ---- API -------------------------------------------------------------- */

/* Set up r's file and mappings.  pre: r->mode, cap, fd = trap = -1. */
static int region_init(struct region *r)
{
	size_t p = os_page_size();

	if (r->mode == JIT_APPEND_KERNEL) {
		r->rx = kjit_region(r->cap);
		r->mapped = r->cap;	/* nothing to grow */
		return r->rx ? 0 : -1;
	}
	if (r->mode == JIT_APPEND_SWAP) {
		r->alt = calloc(r->cap / p / 8 + 1, 1);
		r->page = malloc(p);
		if (!r->alt || !r->page)
			return -1;
	}
	r->fsize = r->mode == JIT_APPEND_SWAP ? 2 * r->cap : r->cap;
	/* A fork before the region is registered leaves gen behind: both
	   sides then copy on their first append, which is safe. */
	r->gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
	r->fd = os_memfd("trampjit-region");
	if (r->fd < 0 || os_truncate(r->fd, (off_t)r->fsize))
		return -1;
	r->rx = os_reserve(span_of(r), p);
	if (!r->rx)
		return -1;
	if (r->mode == JIT_APPEND_ALIAS) {
		r->rw = r->rx + r->cap;
		if (map_rw(r))
			return -1;
	}
	if (grow(r, 1))
		return -1;
	r->trap = trap_add(r->rx, r->cap, r->mode == JIT_APPEND_SWAP ?
			   TRAP_SWAPPED : 0);
	return r->trap < 0 ? -1 : 0;
}

struct jit_region *jit_region_create(size_t capacity, int mode)
{
	struct jit_region *h;
	struct region *r;
	int e;

	if (!capacity || ((mode < JIT_APPEND_PWRITE || mode > JIT_APPEND_SWAP) &&
			  mode != JIT_APPEND_KERNEL)) {
		errno = EINVAL;
		return NULL;
	}
	if (capacity > CAP_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	if (fork_setup())
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->mode = mode;
	r->cap = (capacity + os_page_size() - 1) & ~(os_page_size() - 1);
	r->fd = -1;
	r->trap = -1;
	if (!region_init(r)) {
		h = reg_insert(r);
		if (h)
			return h;
	}
	e = errno;
	teardown(r);
	errno = e;
	return NULL;
}

/* Drop an append's reference; the last one of a destroyed region frees it. */
static void release(struct region *r)
{
	int last;

	pthread_mutex_lock(&reg_lock);
	last = !--r->users && r->dead;
	pthread_mutex_unlock(&reg_lock);
	if (last)
		teardown(r);
}

/* The module appends at the same 16-byte boundary as we do. */
static int put_kernel(struct region *r, size_t off, const char *src,
		      size_t len)
{
	char *p = kjit_append(r->rx, src, len);

	if (!p)
		return -1;
	ASSERT(p == r->rx + off);
	return 0;
}

/* Write src at off in r's mode.  pre: lock held, room checked. */
static int put(struct region *r, size_t off, const char *src, size_t len)
{
	int e;

	if (own(r) || grow(r, off + len))
		return -1;
	switch (r->mode) {
	case JIT_APPEND_PWRITE:
		if (!put_pwrite(r, off, src, len))
			return 0;
		/* The tail may be written: back to filler, or harmless. */
		e = errno;
		code_fill(r->fd, (off_t)off, len);
		errno = e;
		return -1;
	case JIT_APPEND_ALIAS:
		return put_alias(r, off, src, len);
	case JIT_APPEND_KERNEL:
		return put_kernel(r, off, src, len);
	default:
		return put_swap(r, off, src, len);
	}
}

void *jit_region_append(struct jit_region *h, const void *src, size_t len)
{
	struct region *r;
	char *code = NULL;
	size_t off;
	int e;

	if (fork_setup()) {	/* then no region was ever made */
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&reg_lock);
	r = lookup(h);
	if (r)
		r->users++;
	pthread_mutex_unlock(&reg_lock);
	if (!r || !src || !len) {
		if (r)
			release(r);
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&r->lock);
	off = (r->used + JIT_REGION_ALIGN - 1) &
	      ~(size_t)(JIT_REGION_ALIGN - 1);
	if (__atomic_load_n(&r->dead, __ATOMIC_RELAXED))
		errno = EINVAL;
	else if (off > r->cap || len > r->cap - off)
		errno = ENOMEM;
	else if (!put(r, off, src, len) &&
		 !os_code_written(r->rx + off, src, len))
		code = r->rx + off;
	if (code) {
		r->used = off + len;
		if (r->mode == JIT_APPEND_SWAP)
			tidy(r);
	}
	e = errno;
	pthread_mutex_unlock(&r->lock);
	release(r);
	errno = e;
	return code;
}

void jit_region_destroy(struct jit_region *h)
{
	struct region *r;
	int last = 0;

	if (fork_setup())	/* then no region was ever made */
		return;
	pthread_mutex_lock(&reg_lock);
	r = lookup(h);
	if (r) {
		unsigned i = (unsigned)((uintptr_t)h & (REGIONS_MAX - 1));

		regs[i] = NULL;
		gens[i]++;
		__atomic_store_n(&r->dead, 1, __ATOMIC_RELAXED);
		last = !r->users;
	}
	pthread_mutex_unlock(&reg_lock);
	if (last)
		teardown(r);
}
