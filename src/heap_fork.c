/* SPDX-License-Identifier: MIT */
/*
 * Fork and the code heaps: copy-on-write of chunks, by generation.
 *
 * A fork child inherits the heaps' mappings: its chunks map the same
 * memfd pages as the parent's, so a write by either side would reach the
 * other.  Nothing is copied at fork time.  Instead each process counts its
 * forks (gen, bumped by the parent and the child handlers), and each chunk
 * records the generation in which its backing became its own (c->gen).  A
 * backing made before the last fork is shared and therefore frozen: no
 * process ever writes it again.  Before the library writes a chunk of an
 * older generation (new code, filler, a new RW view) heap_chunk_own()
 * copies the chunk into the current generation's backing and maps that
 * over the chunk's RX view (same bytes, so threads running the code are
 * undisturbed; a fault in the gap of the swap, on kernels that leave one,
 * is retried by trap.c) and its RW view.  So a fork costs nothing per
 * chunk, a fork followed by exec copies nothing, and each side copies only
 * the chunks it writes afterwards, once.  A second fork before any write
 * copies nothing either: the chunks stay on the backing all three share.
 *
 * Writes the library does not make itself: the RW views of dual-view
 * buffers, which the program holds as raw pointers.  The prepare handler
 * write-protects them (one mprotect per run of chunks); the first store
 * through one after the fork faults, and the SIGSEGV handler (trap.c,
 * TRAP_COW) copies the chunk and retries the store.  Stores made by system
 * calls (read(2) into a view) get EFAULT until then.  The library's own
 * writes never fault: they own the chunk first, so the handler never waits
 * for a heap lock its own thread holds.  Views are excluded from fork
 * children (MADV_DONTFORK; a child maps a chunk's view again when it
 * copies the chunk), except for chunks holding JIT_DUAL_FORK_PRIVATE
 * buffers: the child inherits those views read-only, and its first store
 * into such a buffer copies the chunk for it.
 *
 * jit_create_code() writes after heap_alloc() returns, without the lock:
 * such writes are counted (c->writing, or marked in the thread cache that
 * handed the object out: heap_cache.c) and the prepare handler waits for
 * them, so no write straddles a fork (it would reach the old backing, and
 * a copy made meanwhile would miss it).
 *
 * Descriptors: the child's first backing is the heap's spare (h->spare),
 * made ahead of time, so a child forked with a full descriptor table can
 * still write; the parent closes its copy of the spare and makes the next
 * one.  A backing is closed once no chunk maps it and it is not current.
 * A copy that cannot be made (no descriptor, no memory, RLIMIT_FSIZE)
 * fails the allocation with that errno; the chunk stays where it was.  A
 * store through a view that cannot be copied is let through to the shared
 * backing in the parent (a program that forked, then ran out of memory),
 * and is a SIGSEGV in a child, which never writes its parent's memory.
 */
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "heap.h"
#include "os.h"

unsigned long heap_gen;
int heap_forking;

/* Backings come from a table, not malloc: the SIGSEGV path makes and
   drops them too.  A heap has at most one per chunk run, its current one
   and its spare. */
#define NBACKINGS	(NCHUNKS + 2)
static struct backing table[HEAP_COUNT][NBACKINGS];

/* pre: h->lock held, for all of these. */

static struct backing *backing_new(struct heap *h)
{
	struct backing *t = table[h - heaps];
	unsigned i;
	int fd;

	for (i = 0; i < NBACKINGS && t[i].used; i++)
		;
	ASSERT(i < NBACKINGS);
	fd = os_memfd(h->name);
	if (fd < 0)
		return NULL;
	t[i] = (struct backing){ .fd = fd, .used = 1 };
	return &t[i];
}

static void backing_free(struct backing *b)
{
	close(b->fd);
	b->used = 0;
}

int heap_fork_reserve(struct heap *h)
{
	if (!h->spare)
		h->spare = backing_new(h);
	return h->spare ? 0 : -1;
}

struct backing *heap_backing(struct heap *h, size_t end)
{
	struct backing *b = h->bk;

	if (!b) {
		b = backing_new(h);
		if (!b)
			return NULL;
		h->bk = b;
		h->fd = b->fd;
	}
	if (end > b->size) {
		if (os_truncate(b->fd, (off_t)end))
			return NULL;
		b->size = end;
	}
	return b;
}

void backing_put(struct heap *h, struct chunk *c)
{
	struct backing *b = c->bk;

	c->bk = NULL;
	if (b && !--b->refs && b != h->bk)
		backing_free(b);
}

int heap_chunk_private(const struct chunk *c)
{
	return c->gen == heap_gen;
}

/* heap_chunk_own's copy, for a chunk of an older generation. */
int heap_chunk_copy(struct heap *h, struct chunk *c)
{
	size_t len = (size_t)c->nchunks << CHUNK_SHIFT;
	off_t off = chunk_off(c);
	char *rx = h->base + off;
	struct backing *b, *old = c->bk;
	void *p;

	b = heap_backing(h, (size_t)off + len);
	if (!b || os_pwrite_all(b->fd, rx, len, off))
		return -1;
	trap_swap_begin();
	p = os_map_code(rx, len, b->fd, off);
	if (!p) {
		int e = errno;

		/* MAP_FIXED may have unmapped the old pages: put them back. */
		os_map_code(rx, len, old->fd, off);
		errno = e;
	}
	trap_swap_end();
	if (!p)
		return -1;
	b->refs++;
	backing_put(h, c);
	c->bk = b;
	c->wp = 0;
	if (h->views && c->rw_ok && heap_map_rw(h, c)) {
		os_unreserve(h->base + ARENA + off, len);
		/* Mapped again at the next allocation. */
		__atomic_store_n(&c->rw_ok, 0, __ATOMIC_RELAXED);
	}
	/* Last: the thread caches write c through its RW view without the
	   lock once they see its generation current (heap_cache.c), so the
	   view must show the new backing by then. */
	__atomic_store_n(&c->gen, heap_gen, __ATOMIC_RELEASE);
	return 0;
}

/* ---- JIT_DUAL_FORK_PRIVATE ------------------------------------------- */

int heap_dual_private(void *rx)
{
	struct heap *h = &heaps[HEAP_DUAL];
	size_t off = (size_t)((char *)rx - h->base);
	struct chunk *c;
	unsigned g;
	int r = -1;

	pthread_mutex_lock(&h->lock);
	c = h->chunks[off >> CHUNK_SHIFT];
	g = (unsigned)((off - (size_t)chunk_off(c)) >> GRAN_SHIFT);
	if (!c->priv)
		c->priv = calloc(NWORDS, sizeof(uint64_t));
	if (!c->priv)
		goto out;
	if (!c->npriv && c->rw_ok &&
	    os_dofork(h->base + ARENA + chunk_off(c),
		      (size_t)c->nchunks << CHUNK_SHIFT))
		goto out;
	bit_put(c->priv, g, 1);
	c->npriv++;
	r = 0;
out:
	pthread_mutex_unlock(&h->lock);
	return r;
}

/* heap_fork_freed of a JIT_DUAL_FORK_PRIVATE object. */
void heap_fork_unmark(struct heap *h, struct chunk *c, unsigned g)
{
	bit_put(c->priv, g, 0);
	/* Failing leaves the view to children: read-only, harmless. */
	if (!--c->npriv && c->rw_ok)
		os_dontfork(h->base + ARENA + chunk_off(c),
			    (size_t)c->nchunks << CHUNK_SHIFT);
}

/* Whether byte co of c lies in a live JIT_DUAL_FORK_PRIVATE object. */
static int private_at(const struct chunk *c, size_t co)
{
	unsigned g = (unsigned)(co >> GRAN_SHIFT);

	if (!c->npriv)
		return 0;
	if (c->big)
		return bit(c->priv, 0);
	if (!bit(c->busy, g))
		return 0;
	while (!own_get(c, g)) {
		if (!g || bit(c->tail, g - 1))
			return 0;
		g--;
	}
	return own_live(c, g) && bit(c->priv, g);
}

/*
 * A store into the dual heap's views faulted (heap_cow_fault in
 * internal.h).  The faulting store is the program's, made without a heap
 * lock: the library's own stores own their chunk first.
 */
int heap_cow_fault(const void *addr)
{
	struct heap *h = &heaps[HEAP_DUAL];
	char *base = __atomic_load_n(&h->base, __ATOMIC_ACQUIRE), *rw;
	size_t off = (size_t)((const char *)addr - base - ARENA), len;
	struct chunk *c;
	int r = 0;

	if (!base || off >= ARENA)
		return 0;
	pthread_mutex_lock(&h->lock);
	c = h->chunks[off >> CHUNK_SHIFT];
	if (!c || !c->rw_ok)
		goto out;
	rw = base + ARENA + chunk_off(c);
	len = (size_t)c->nchunks << CHUNK_SHIFT;
	if (!c->wp)
		r = 1;		/* made writable meanwhile */
	else if (c->wp == 2 && !private_at(c, off - (size_t)chunk_off(c)))
		r = 0;		/* a child's view of a shared buffer */
	else if (!heap_chunk_own(h, c))
		r = c->rw_ok ? 2 : 0;
	else if (c->wp == 1 && os_map_view(rw, len, c->bk->fd, chunk_off(c)))
		r = 2;		/* no copy: the parent writes it shared */
	if (r == 2 && c->wp == 1 && !c->npriv)
		os_dontfork(rw, len);
	if (r == 2)
		c->wp = 0;
out:
	pthread_mutex_unlock(&h->lock);
	return r;
}

/* ---- fork ------------------------------------------------------------- */

/* Write-protect the dual heap's writable views, by runs of chunks (no
   VMA is split).  A view that cannot be protected stays writable; the
   parent handler copies its chunk at once. */
static void protect_views(struct heap *h)
{
	unsigned i = 0;

	if (h->views_trap < 0) {
		h->views_trap = trap_add(h->base + ARENA, ARENA, TRAP_COW);
		if (h->views_trap < 0)
			return;
	}
	while (i < NCHUNKS) {
		unsigned j = i;

		while (j < NCHUNKS && h->chunks[j] && h->chunks[j]->rw_ok &&
		       !h->chunks[j]->wp)
			j++;
		if (j == i) {
			i++;
			continue;
		}
		if (!os_view_readonly(h->base + ARENA + ((size_t)i <<
							 CHUNK_SHIFT),
				      (size_t)(j - i) << CHUNK_SHIFT))
			for (; i < j; i++)
				h->chunks[i]->wp = 1;
		i = j;
	}
}

/* jit_create_code() writes an object after heap_alloc() returned it,
   without the lock: wait for those writes (they need no lock to end). */
static void wait_writes(struct heap *h)
{
	for (unsigned i = 0; i < NCHUNKS; i++) {
		struct chunk *c = h->chunks[i];

		while (c && c->idx == i &&
		       __atomic_load_n(&c->writing, __ATOMIC_ACQUIRE))
			sched_yield();
	}
}

void heap_fork_prepare(void)
{
	__atomic_store_n(&heap_forking, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < HEAP_COUNT; i++) {
		struct heap *h = &heaps[i];

		pthread_mutex_lock(&h->lock);
		if (h->base) {
			wait_writes(h);
			trap_flags(h->trap, TRAP_SWAPPED);
			if (i == HEAP_DUAL)
				protect_views(h);
		}
	}
	tcache_fork_prepare();
}

/* The current backing is shared from now on: a new one is made when
   needed (next, the child's is its spare). */
static void next_generation(struct heap *h, struct backing *next)
{
	struct backing *b = h->bk;

	h->bk = next;
	h->fd = next ? next->fd : -1;
	if (b && !b->refs)
		backing_free(b);
}

/* Ready for the first store into a view: a backing made now, and the
   chunks whose view stayed writable copied now. */
static void parent_views(struct heap *h)
{
	if (!heap_backing(h, 0))
		return;
	for (unsigned i = 0; i < NCHUNKS; i++) {
		struct chunk *c = h->chunks[i];

		if (c && c->idx == i && c->rw_ok && !c->wp)
			heap_chunk_own(h, c);
	}
}

void heap_fork_parent(void)
{
	__atomic_store_n(&heap_gen, heap_gen + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&heap_forking, 0, __ATOMIC_RELEASE);
	tcache_fork_parent();
	for (int i = HEAP_COUNT - 1; i >= 0; i--) {
		struct heap *h = &heaps[i];

		next_generation(h, NULL);
		if (h->spare) {
			/* The child's now: make our next one. */
			backing_free(h->spare);
			h->spare = NULL;
		}
		/* With one descriptor free, our own view stores come before
		   the next child's spare. */
		if (h->base && i == HEAP_DUAL)
			parent_views(h);
		if (h->base)
			heap_fork_reserve(h);	/* else: at the next use */
		pthread_mutex_unlock(&h->lock);
	}
}

/* The child's views: only those of chunks holding JIT_DUAL_FORK_PRIVATE
   buffers were inherited, read-only; the others are reserved again. */
static void child_views(struct heap *h)
{
	int any = 0;

	for (unsigned i = 0; i < NCHUNKS; i++) {
		struct chunk *c = h->chunks[i];

		if (!c || c->idx != i || !c->rw_ok)
			continue;
		if (c->npriv && c->wp) {
			c->wp = 2;
			any = 1;
			continue;
		}
		c->rw_ok = 0;
		c->wp = 0;
		if (c->npriv)	/* inherited writable: never use it */
			os_unreserve(h->base + ARENA + chunk_off(c),
				     (size_t)c->nchunks << CHUNK_SHIFT);
	}
	if (!any) {
		os_unreserve(h->base + ARENA, ARENA);
		return;
	}
	for (unsigned i = 0; i < NCHUNKS; i++) {
		struct chunk *c = h->chunks[i];

		if (c && c->idx == i && !c->rw_ok)
			os_unreserve(h->base + ARENA + chunk_off(c),
				     (size_t)c->nchunks << CHUNK_SHIFT);
	}
}

void heap_fork_child(void)
{
	__atomic_store_n(&heap_gen, heap_gen + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&heap_forking, 0, __ATOMIC_RELEASE);
	tcache_fork_child();
	for (int i = HEAP_COUNT - 1; i >= 0; i--) {
		struct heap *h = &heaps[i];
		struct backing *spare = h->spare;

		h->spare = NULL;
		next_generation(h, spare);
		if (h->base && h->views)
			child_views(h);
		pthread_mutex_unlock(&h->lock);
	}
}
