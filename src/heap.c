/* SPDX-License-Identifier: MIT */
/*
 * The allocator of the code heaps (layout in heap.h).
 *
 * Chunks are filled with the trapping filler and carved into 64-byte
 * granules tracked outside the code: bitmaps busy (allocated or
 * quarantined) and tail (last granule, which gives the length back), and a
 * state byte per granule, own (heap.h; live objects have it in their
 * first granule: destroy checks it, so foreign, interior and double frees
 * are refused).  Single granules are allocated lowest first (the live set
 * stays dense), longer objects next-fit.  Objects above 1 MiB get a run
 * of whole chunks of their own, unmapped on destroy.
 * Freed small objects go to the quarantine (heap_quarantine.c), which
 * decides when their granules may hold new code.  Objects of up to 1 KiB
 * are handed out from per-thread caches and all small frees collected per
 * thread, without the lock (heap_cache.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "os.h"

struct heap heaps[HEAP_COUNT] = {
	[HEAP_PWRITE] = { .lock = PTHREAD_MUTEX_INITIALIZER,
			  .name = "trampjit-code" },
	[HEAP_ALIAS] = { .lock = PTHREAD_MUTEX_INITIALIZER,
			 .name = "trampjit-code-alias", .views = 1 },
	[HEAP_DUAL] = { .lock = PTHREAD_MUTEX_INITIALIZER,
			.name = "trampjit-dual", .views = 1 },
};

/* ---- bitmaps ---------------------------------------------------------- */

void bits_put_run(uint64_t *w, unsigned i, unsigned n, int v)
{
	while (n) {
		unsigned b = i & 63, k = 64 - b < n ? 64 - b : n;
		uint64_t m = (k == 64 ? ~(uint64_t)0 :
			      (((uint64_t)1 << k) - 1)) << b;
		uint64_t x = __atomic_load_n(&w[i >> 6], __ATOMIC_RELAXED);

		__atomic_store_n(&w[i >> 6], v ? x | m : x & ~m,
				 __ATOMIC_RELAXED);
		i += k;
		n -= k;
	}
}

/* First granule of a free run of n in [from, to), or -1: a word at a time,
   from each free granule to the next busy one.  pre: to <= NGRAN. */
static long run_find(const struct chunk *c, unsigned from, unsigned to,
		     unsigned n)
{
	unsigned i = from, w, j;
	uint64_t m;

	while (i + n <= to) {
		w = i >> 6;
		m = ~c->busy[w] & (~(uint64_t)0 << (i & 63));
		while (!m) {
			if (++w * 64 >= to)
				return -1;
			m = ~c->busy[w];
		}
		i = w * 64 + (unsigned)__builtin_ctzll(m);
		if (i + n > to)
			return -1;
		m = c->busy[w] & (~(uint64_t)0 << (i & 63));
		while (!m && (w + 1) * 64 < i + n)
			m = c->busy[++w];
		j = m ? w * 64 + (unsigned)__builtin_ctzll(m) : (w + 1) * 64;
		if (j >= i + n)
			return i;
		i = j;
	}
	return -1;
}

/* ---- chunks ----------------------------------------------------------- */

int heap_map_rw(struct heap *h, struct chunk *c)
{
	size_t len = (size_t)c->nchunks << CHUNK_SHIFT;
	char *rw = h->base + ARENA + chunk_off(c);

	if (!os_map_view(rw, len, c->bk->fd, chunk_off(c)))
		return -1;
	if (!c->npriv && os_dontfork(rw, len)) {
		os_unreserve(rw, len);
		return -1;
	}
	__atomic_store_n(&c->rw_ok, 1, __ATOMIC_RELEASE);
	return 0;
}

static void chunk_unmap(struct heap *h, struct chunk *c)
{
	size_t len = (size_t)c->nchunks << CHUNK_SHIFT;

	os_unreserve(h->base + chunk_off(c), len);
	if (h->views)
		os_unreserve(h->base + ARENA + chunk_off(c), len);
	if (heap_chunk_private(c))
		os_punch_hole(c->bk->fd, chunk_off(c), len);
	backing_put(h, c);
	for (unsigned i = 0; i < c->nchunks; i++)
		__atomic_store_n(&h->chunks[c->idx + i], NULL,
				 __ATOMIC_RELEASE);
	free(c->priv);
	c->priv = NULL;
	c->next_retired = h->retired;
	h->retired = c;
}

/* Map a run of k chunks full of filler.  pre: lock held. */
static struct chunk *chunk_new(struct heap *h, unsigned k, int big)
{
	unsigned i, run = 0;
	struct backing *b;
	struct chunk *c;

	for (i = 0; i < NCHUNKS && run < k; i++)
		run = h->chunks[i] ? 0 : run + 1;
	if (run < k) {
		errno = ENOMEM;
		return NULL;
	}
	c = h->retired;
	if (c) {
		h->retired = c->next_retired;
		memset(c, 0, sizeof(*c));
	} else {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
	}
	c->idx = i - k;
	c->nchunks = k;
	c->big = big;
	b = heap_backing(h, (size_t)(c->idx + k) << CHUNK_SHIFT);
	if (!b) {
		free(c);
		return NULL;
	}
	c->bk = b;
	__atomic_store_n(&c->gen, heap_gen, __ATOMIC_RELAXED);
	if (code_fill(b->fd, chunk_off(c), (size_t)k << CHUNK_SHIFT) ||
	    !os_map_code(h->base + chunk_off(c), (size_t)k << CHUNK_SHIFT,
			 b->fd, chunk_off(c)))
		goto fail;
	if (h->views && heap_map_rw(h, c)) {
		os_unreserve(h->base + chunk_off(c), (size_t)k << CHUNK_SHIFT);
		goto fail;
	}
	for (i = 0; i < k; i++)
		__atomic_store_n(&h->chunks[c->idx + i], c, __ATOMIC_RELEASE);
	b->refs++;
	return c;
fail:
	os_punch_hole(b->fd, chunk_off(c), (size_t)k << CHUNK_SHIFT);
	c->next_retired = h->retired;
	h->retired = c;
	return NULL;
}

/* Reserve up to k single granules, lowest first, into g[]: a word of the
   busy map at a time, from c->low on.  The number reserved. */
static unsigned reserve_singles(struct chunk *c, uint32_t *g, unsigned k)
{
	unsigned w, got = 0;

	if (!k)
		return 0;
	for (w = c->low >> 6; w < NWORDS && got < k; w++) {
		uint64_t x = c->busy[w], f = ~x, take = 0;

		while (f && got < k) {
			g[got++] = w * 64 + (unsigned)__builtin_ctzll(f);
			take |= f & -f;
			f &= f - 1;
		}
		if (!take)
			continue;
		__atomic_store_n(&c->busy[w], x | take, __ATOMIC_RELAXED);
		__atomic_store_n(&c->tail[w], c->tail[w] | take,
				 __ATOMIC_RELAXED);
	}
	/* Every granule below the last one taken is busy now; short of k,
	   every one is. */
	c->low = got == k ? g[got - 1] + 1 : NGRAN;
	c->used += got;
	return got;
}

unsigned chunk_reserve(struct heap *h, struct chunk *c, unsigned n,
		       uint32_t *g, unsigned k)
{
	unsigned got;
	long r;

	if (c->big || NGRAN - c->used < n || heap_chunk_own(h, c) ||
	    (h->views && !c->rw_ok && heap_map_rw(h, c)))
		return 0;
	if (k > (NGRAN - c->used) / n)
		k = (NGRAN - c->used) / n;
	if (n == 1)
		return reserve_singles(c, g, k);
	for (got = 0; got < k; got++) {
		r = run_find(c, c->cursor, NGRAN, n);
		if (r < 0)
			r = run_find(c, 0, NGRAN, n);
		if (r < 0)
			break;
		bits_put(c->busy, (unsigned)r, n, 1);
		bit_put(c->tail, (unsigned)r + n - 1, 1);
		c->used += n;
		c->cursor = (unsigned)r + n;
		g[got] = (uint32_t)r;
	}
	return got;
}

/* Allocate n granules in c: a live object tagged tag.  The granule or
   -1. */
static long chunk_alloc(struct heap *h, struct chunk *c, unsigned n,
			unsigned tag)
{
	uint32_t g;

	if (!chunk_reserve(h, c, n, &g, 1))
		return -1;
	own_put(c, g, tag);
	return g;
}

/* ---- heap ------------------------------------------------------------- */

/* pre: lock held. */
static int heap_init(struct heap *h)
{
	size_t span = h->views ? 2 * ARENA : ARENA;
	char *base;

	if (h->base)
		return 0;
	if (!heap_backing(h, 0))
		return -1;
	base = os_reserve(span, CHUNK);
	if (!base)
		return -1;
	h->views_trap = -1;
	h->trap = trap_add(base, ARENA, 0);
	if (h->trap >= 0) {
		/* Published last: heap_of() reads it without the lock. */
		__atomic_store_n(&h->base, base, __ATOMIC_RELEASE);
		return 0;
	}
	os_unmap(base, span);
	return -1;
}

/* pre: lock held. */
static char *alloc_small(struct heap *h, unsigned n, unsigned tag)
{
	struct chunk *c = h->cur;
	long g = -1;

	for (int pass = 0; pass < 2 && g < 0; pass++) {
		if (c)
			g = chunk_alloc(h, c, n, tag);
		for (unsigned i = 0; g < 0 && i < NCHUNKS; i++) {
			c = h->chunks[i];
			if (c && c != h->cur && c->idx == i)
				g = chunk_alloc(h, c, n, tag);
		}
		/* Release the quarantine early only when it holds enough to
		   be worth its membarrier; else (or if the membarrier
		   fails) take a new chunk. */
		if (g >= 0 || h->qbytes < QBYTES / 4 || quarantine_flush(h))
			break;
		c = h->cur;
	}
	if (g < 0) {
		c = chunk_new(h, 1, 0);
		if (!c)
			return NULL;
		g = chunk_alloc(h, c, n, tag);
		ASSERT(g >= 0);
	}
	h->cur = c;
	return h->base + chunk_off(c) + ((size_t)g << GRAN_SHIFT);
}

/* heap_alloc under the lock: an object of n granules (len bytes) tagged
   tag, or NULL. */
static __attribute__((noinline)) char *
alloc_locked(struct heap *h, enum heap_id id, size_t len, unsigned n,
	     unsigned tag)
{
	char *rx = NULL;

	if (fork_setup())
		return NULL;
	pthread_mutex_lock(&h->lock);
	if (heap_init(h))
		goto out;
	heap_fork_reserve(h);	/* made once, then after each fork */
	if (len > BIG) {
		struct chunk *c = chunk_new(h, (unsigned)((len + CHUNK - 1) >>
							  CHUNK_SHIFT), 1);

		if (c) {
			own_put(c, 0, OWN_SHARED);
			rx = h->base + chunk_off(c);
		}
	} else {
		rx = alloc_small(h, n, tag);
		if (rx && n <= TCLASSES)
			tcache_refill(h, id, n);
	}
	/* jit_create_code writes it: a fork, and the quarantine's coalesced
	   refill, wait for that. */
	if (rx && id != HEAP_DUAL)
		__atomic_fetch_add(&h->chunks[(size_t)(rx - h->base) >>
					      CHUNK_SHIFT]->writing,
				   1, __ATOMIC_RELAXED);
out:
	pthread_mutex_unlock(&h->lock);
	return rx;
}

void *heap_alloc(enum heap_id id, size_t len, char **rw)
{
	struct heap *h = &heaps[id];
	unsigned n = (unsigned)((len + (1u << GRAN_SHIFT) - 1) >> GRAN_SHIFT);
	unsigned tag = OWN_SHARED;
	char *rx = NULL;

	if (len > ARENA - CHUNK) {
		errno = ENOMEM;
		return NULL;
	}
	rx = tcache_alloc(h, id, n, &tag);
	if (!rx)
		rx = alloc_locked(h, id, len, n, tag);
	if (rx && rw)
		*rw = h->views ? rx + ARENA : NULL;
	return rx;
}

void heap_written(enum heap_id id, char *rx)
{
	struct heap *h = &heaps[id];
	struct chunk *c = h->chunks[(size_t)(rx - h->base) >> CHUNK_SHIFT];

	if (id == HEAP_ALIAS && tcache_written(id))
		return;
	/* Owned by the caller: its chunk stays. */
	__atomic_fetch_sub(&c->writing, 1, __ATOMIC_RELEASE);
}

int heap_free(enum heap_id id, void *code)
{
	struct heap *h = &heaps[id];
	size_t off = (size_t)((char *)code -
			      __atomic_load_n(&h->base, __ATOMIC_ACQUIRE));
	struct chunk *c = chunk_at(h, off);
	unsigned g;

	if (!c || off & ((1u << GRAN_SHIFT) - 1)) {
		errno = EINVAL;
		return -1;
	}
	g = (unsigned)((off - (size_t)chunk_off(c)) >> GRAN_SHIFT);
	if (!c->big)
		return tcache_free(h, id, c, g, code);	/* without the lock */
	pthread_mutex_lock(&h->lock);
	c = chunk_at(h, off);
	if (!c)
		goto bad;
	g = (unsigned)((off - (size_t)chunk_off(c)) >> GRAN_SHIFT);
	if ((c->big && g) || own_free(c, g, OWN_NONE))
		goto bad;
	/* Names go before the space can hold other code (lock order:
	   heap, then the name registry). */
	debug_code_freed(code);
	if (c->big) {
		if (h->cur == c)
			h->cur = NULL;
		chunk_unmap(h, c);
	} else {
		quarantine_put(h, c, g);
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
bad:
	pthread_mutex_unlock(&h->lock);
	errno = EINVAL;
	return -1;
}
