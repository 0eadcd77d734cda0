/* SPDX-License-Identifier: MIT */
/*
 * The allocator of the code heaps (layout in heap.h).
 *
 * Chunks are filled with the trapping filler and carved into 64-byte
 * granules tracked by three bitmaps kept outside the code: busy (allocated
 * or quarantined), head (first granule of a live object: destroy checks
 * it, so foreign, interior and double frees are refused) and tail (last
 * granule, which gives the length back).  Allocation is next-fit.  Objects
 * above 1 MiB get a run of whole chunks of their own, unmapped on destroy.
 * Freed small objects go to the quarantine (heap_quarantine.c), which
 * decides when their granules may hold new code.
 */
#include <stdlib.h>
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

void bits_put(uint64_t *w, unsigned i, unsigned n, int v)
{
	while (n) {
		if (!(i & 63) && n >= 64) {
			w[i >> 6] = v ? ~(uint64_t)0 : 0;
			i += 64;
			n -= 64;
		} else {
			bit_put(w, i++, v);
			n--;
		}
	}
}

/* First granule of a free run of n in [from, to), or -1. */
static long run_find(const struct chunk *c, unsigned from, unsigned to,
		     unsigned n)
{
	unsigned i = from, j;

	while (i + n <= to) {
		if (!(i & 63) && c->busy[i >> 6] == ~(uint64_t)0) {
			i += 64;
			continue;
		}
		if (bit(c->busy, i)) {
			i++;
			continue;
		}
		for (j = i + 1; j < i + n; j++) {
			if (!(j & 63) && j + 64 <= i + n && !c->busy[j >> 6]) {
				j += 63;
				continue;
			}
			if (bit(c->busy, j))
				break;
		}
		if (j >= i + n)
			return i;
		i = j + 1;
	}
	return -1;
}

/* The last granule of the object starting at g. */
static unsigned tail_of(const struct chunk *c, unsigned g)
{
	unsigned w = g >> 6;
	uint64_t m = c->tail[w] & (~(uint64_t)0 << (g & 63));

	while (!m) {
		ASSERT(w + 1 < NWORDS);
		m = c->tail[++w];
	}
	return w * 64 + (unsigned)__builtin_ctzll(m);
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
	c->rw_ok = 1;
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
		h->chunks[c->idx + i] = NULL;
	free(c->priv);
	free(c);
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
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->idx = i - k;
	c->nchunks = k;
	c->big = big;
	b = heap_backing(h, (size_t)(c->idx + k) << CHUNK_SHIFT);
	if (!b) {
		free(c);
		return NULL;
	}
	c->bk = b;
	c->gen = heap_gen;
	if (code_fill(b->fd, chunk_off(c), (size_t)k << CHUNK_SHIFT) ||
	    !os_map_code(h->base + chunk_off(c), (size_t)k << CHUNK_SHIFT,
			 b->fd, chunk_off(c)))
		goto fail;
	if (h->views && heap_map_rw(h, c)) {
		os_unreserve(h->base + chunk_off(c), (size_t)k << CHUNK_SHIFT);
		goto fail;
	}
	for (i = 0; i < k; i++)
		h->chunks[c->idx + i] = c;
	b->refs++;
	return c;
fail:
	os_punch_hole(b->fd, chunk_off(c), (size_t)k << CHUNK_SHIFT);
	free(c);
	return NULL;
}

/* Allocate n granules in c; the granule or -1. */
static long chunk_alloc(struct heap *h, struct chunk *c, unsigned n)
{
	long g;

	if (c->big || NGRAN - c->used < n)
		return -1;
	g = run_find(c, c->cursor, NGRAN, n);
	if (g < 0)
		g = run_find(c, 0, NGRAN, n);
	if (g < 0 || heap_chunk_own(h, c) ||
	    (h->views && !c->rw_ok && heap_map_rw(h, c)))
		return -1;
	bits_put(c->busy, (unsigned)g, n, 1);
	bit_put(c->head, (unsigned)g, 1);
	bit_put(c->tail, (unsigned)g + n - 1, 1);
	c->used += n;
	c->cursor = (unsigned)g + n;
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
static char *alloc_small(struct heap *h, unsigned n)
{
	struct chunk *c = h->cur;
	long g = -1;

	for (int pass = 0; pass < 2 && g < 0; pass++) {
		if (c)
			g = chunk_alloc(h, c, n);
		for (unsigned i = 0; g < 0 && i < NCHUNKS; i++) {
			c = h->chunks[i];
			if (c && c != h->cur && c->idx == i)
				g = chunk_alloc(h, c, n);
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
		g = chunk_alloc(h, c, n);
		ASSERT(g >= 0);
	}
	h->cur = c;
	return h->base + chunk_off(c) + ((size_t)g << GRAN_SHIFT);
}

void *heap_alloc(enum heap_id id, size_t len, char **rw)
{
	struct heap *h = &heaps[id];
	char *rx = NULL;

	if (len > ARENA - CHUNK) {
		errno = ENOMEM;
		return NULL;
	}
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
			bit_put(c->head, 0, 1);
			rx = h->base + chunk_off(c);
		}
	} else {
		rx = alloc_small(h, (unsigned)((len + (1u << GRAN_SHIFT) - 1) >>
					       GRAN_SHIFT));
	}
	if (rx && id != HEAP_DUAL)	/* jit_create_code writes it */
		__atomic_fetch_add(&h->chunks[(size_t)(rx - h->base) >>
					      CHUNK_SHIFT]->writing,
				   1, __ATOMIC_RELAXED);
out:
	pthread_mutex_unlock(&h->lock);
	if (rx && rw)
		*rw = h->views ? rx + ARENA : NULL;
	return rx;
}

void heap_written(enum heap_id id, char *rx)
{
	struct heap *h = &heaps[id];
	struct chunk *c = h->chunks[(size_t)(rx - h->base) >> CHUNK_SHIFT];

	/* Owned by the caller: its chunk stays. */
	__atomic_fetch_sub(&c->writing, 1, __ATOMIC_RELEASE);
}

enum heap_id heap_of(const void *addr, int *is_rw)
{
	const char *a = addr;

	for (int i = 0; i < HEAP_COUNT; i++) {
		const char *b = __atomic_load_n(&heaps[i].base,
						__ATOMIC_ACQUIRE);

		if (!b || a < b)
			continue;
		if (a < b + ARENA || (heaps[i].views && a < b + 2 * ARENA)) {
			if (is_rw)
				*is_rw = a >= b + ARENA;
			return (enum heap_id)i;
		}
	}
	return HEAP_COUNT;
}

int heap_free(enum heap_id id, void *code)
{
	struct heap *h = &heaps[id];
	size_t off = (size_t)((char *)code - h->base);
	struct chunk *c;
	unsigned g;

	pthread_mutex_lock(&h->lock);
	c = off < ARENA ? h->chunks[off >> CHUNK_SHIFT] : NULL;
	if (!c || off & ((1u << GRAN_SHIFT) - 1))
		goto bad;
	g = (unsigned)((off - (size_t)chunk_off(c)) >> GRAN_SHIFT);
	if (c->big ? g != 0 : !bit(c->head, g))
		goto bad;
	/* Names go before the space can hold other code (lock order:
	   heap, then the name registry). */
	debug_code_freed(code);
	heap_fork_freed(h, c, g);
	bit_put(c->head, g, 0);
	if (c->big) {
		if (h->cur == c)
			h->cur = NULL;
		chunk_unmap(h, c);
	} else {
		quarantine_put(h, c, g, tail_of(c, g) - g + 1);
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
bad:
	pthread_mutex_unlock(&h->lock);
	errno = EINVAL;
	return -1;
}

int heap_range_live(enum heap_id id, const void *rx, size_t len)
{
	struct heap *h = &heaps[id];
	size_t off = (size_t)((const char *)rx - h->base), co;
	struct chunk *c;
	unsigned g, last, t;
	int ok = 0;

	pthread_mutex_lock(&h->lock);
	c = off < ARENA ? h->chunks[off >> CHUNK_SHIFT] : NULL;
	if (!c || !len)
		goto out;
	co = off - (size_t)chunk_off(c);
	if (len > ((size_t)c->nchunks << CHUNK_SHIFT) - co)
		goto out;
	if (c->big) {
		ok = bit(c->head, 0);
		goto out;
	}
	last = (unsigned)((co + len - 1) >> GRAN_SHIFT);
	/* The object holding granule co: walk down to its head, stopping at
	   the tail of a previous object or at a free granule. */
	g = (unsigned)(co >> GRAN_SHIFT);
	if (!bit(c->busy, g))
		goto out;
	while (!bit(c->head, g)) {
		if (!g || bit(c->tail, g - 1))
			goto out;
		g--;
	}
	t = tail_of(c, g);
	ok = last <= t;
out:
	pthread_mutex_unlock(&h->lock);
	return ok;
}
