/* SPDX-License-Identifier: MIT */
/*
 * The JIT heap: jit_create_code() and jit_destroy_code(), and the packed
 * space behind the dual-view buffers (dual.c).
 *
 * A heap is one memfd mirrored by one 4 GiB reservation: byte off of the
 * file is mapped read+execute at base + off, so a code address is its own
 * file offset and finds its 2 MiB chunk by a shift (O(1), no search).  A
 * heap with views (the ALIAS write path, dual-view buffers) maps a
 * read-write view of each chunk at a fixed distance above, excluded from
 * fork.  Chunks are filled with the trapping filler and carved into 64-byte
 * granules tracked by three bitmaps kept outside the code: busy (allocated
 * or quarantined), head (first granule of a live object: destroy checks
 * it, so foreign, interior and double frees are refused) and tail (last
 * granule, which gives the length back).  Allocation is next-fit.  Objects
 * above 1 MiB get a run of whole chunks of their own, unmapped on destroy.
 *
 * Freed objects are quarantined: their busy bits stay set until a batch
 * (QMAX objects or QBYTES) is refilled with the filler, one membarrier
 * SYNC_CORE serialises every thread, and only then are the granules
 * reusable.  So no CPU can run stale bytes of a freed object once its space
 * holds new code, and the IPI is paid once per batch.  The filler is
 * written at release time, not at destroy time: one pwrite per batch of
 * adjacent objects instead of one per object, at the price of freed code
 * staying intact (not trapping) until its batch is released.
 *
 * A fork child gets a snapshot of the heap in a memfd of its own, taken
 * by the parent while forking (atfork), so the parent's later writes never
 * reach the child's code.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "os.h"

#define CHUNK_SHIFT	21
#define CHUNK		((size_t)1 << CHUNK_SHIFT)
#define ARENA		((size_t)1 << 32)
#define NCHUNKS		(ARENA >> CHUNK_SHIFT)
#define GRAN_SHIFT	6
#define NGRAN		(CHUNK >> GRAN_SHIFT)
#define NWORDS		(NGRAN / 64)
#define BIG		(CHUNK / 2)	/* larger objects get whole chunks */
#define QMAX		256		/* objects per quarantine batch */
#define QBYTES		((size_t)4 << 20) /* bytes per quarantine batch */

struct chunk {
	unsigned idx;		/* first chunk slot of the run */
	unsigned nchunks;	/* slots in the run: 1 unless big */
	int big;		/* holds one object of its own */
	int rw_ok;		/* views heap: the RW view is mapped */
	unsigned used;		/* granules allocated or quarantined */
	unsigned cursor;	/* next-fit start, in granules */
	uint64_t busy[NWORDS];	/* allocated or quarantined granules */
	uint64_t head[NWORDS];	/* first granule of each live object */
	uint64_t tail[NWORDS];	/* last granule of each object */
};

struct qent {
	struct chunk *c;	/* chunk of the freed object */
	unsigned first;		/* its first granule */
	unsigned n;		/* its granules */
};

struct heap {
	pthread_mutex_t lock;	/* everything below */
	const char *name;	/* memfd name */
	int views;		/* maps RW views at base + ARENA */
	char *base;		/* RX arena; NULL until first use */
	int fd;			/* the memfd mirrored by the arena */
	size_t fsize;		/* its size */
	struct chunk *cur;	/* where allocation tries first */
	struct chunk *chunks[NCHUNKS]; /* by slot; big runs repeat theirs */
	unsigned nq;		/* quarantined objects */
	size_t qbytes;		/* their bytes */
	struct qent q[QMAX];	/* the quarantine */
	int snap;		/* fork snapshot memfd + 1; 0: none */
};

static struct heap heaps[HEAP_COUNT] = {
	[HEAP_PWRITE] = { PTHREAD_MUTEX_INITIALIZER, "trampjit-code", 0 },
	[HEAP_ALIAS] = { PTHREAD_MUTEX_INITIALIZER, "trampjit-code-alias", 1 },
	[HEAP_DUAL] = { PTHREAD_MUTEX_INITIALIZER, "trampjit-dual", 1 },
};
static _Atomic int code_mode = JIT_APPEND_PWRITE;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* ---- bitmaps ---------------------------------------------------------- */

static int bit(const uint64_t *w, unsigned i)
{
	return (int)(w[i >> 6] >> (i & 63) & 1);
}

static void bit_put(uint64_t *w, unsigned i, int v)
{
	if (v)
		w[i >> 6] |= (uint64_t)1 << (i & 63);
	else
		w[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

static void bits_put(uint64_t *w, unsigned i, unsigned n, int v)
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

static off_t chunk_off(const struct chunk *c)
{
	return (off_t)c->idx << CHUNK_SHIFT;
}

static int map_rw(struct heap *h, struct chunk *c)
{
	size_t len = (size_t)c->nchunks << CHUNK_SHIFT;
	char *rw = h->base + ARENA + chunk_off(c);

	if (!os_map_view(rw, len, h->fd, chunk_off(c)))
		return -1;
	if (os_dontfork(rw, len)) {
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
	os_punch_hole(h->fd, chunk_off(c), len);
	for (unsigned i = 0; i < c->nchunks; i++)
		h->chunks[c->idx + i] = NULL;
	free(c);
}

/* Map a run of k chunks full of filler.  pre: lock held. */
static struct chunk *chunk_new(struct heap *h, unsigned k, int big)
{
	unsigned i, run = 0;
	struct chunk *c;
	size_t end;

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
	end = (size_t)(c->idx + k) << CHUNK_SHIFT;
	if (end > h->fsize) {
		if (os_truncate(h->fd, (off_t)end))
			goto fail;
		h->fsize = end;
	}
	if (code_fill(h->fd, chunk_off(c), (size_t)k << CHUNK_SHIFT) ||
	    !os_map_code(h->base + chunk_off(c), (size_t)k << CHUNK_SHIFT,
			 h->fd, chunk_off(c)))
		goto fail;
	if (h->views && map_rw(h, c)) {
		os_unreserve(h->base + chunk_off(c), (size_t)k << CHUNK_SHIFT);
		goto fail;
	}
	for (i = 0; i < k; i++)
		h->chunks[c->idx + i] = c;
	return c;
fail:
	os_punch_hole(h->fd, chunk_off(c), (size_t)k << CHUNK_SHIFT);
	free(c);
	return NULL;
}

/* Allocate n granules in c; the granule or -1. */
static long chunk_alloc(struct heap *h, struct chunk *c, unsigned n)
{
	long g;

	if (c->big || NGRAN - c->used < n)
		return -1;
	if (h->views && !c->rw_ok && map_rw(h, c))
		return -1;
	g = run_find(c, c->cursor, NGRAN, n);
	if (g < 0)
		g = run_find(c, 0, NGRAN, n);
	if (g < 0)
		return -1;
	bits_put(c->busy, (unsigned)g, n, 1);
	bit_put(c->head, (unsigned)g, 1);
	bit_put(c->tail, (unsigned)g + n - 1, 1);
	c->used += n;
	c->cursor = (unsigned)g + n;
	return g;
}

/* ---- quarantine ------------------------------------------------------- */

static int qcmp(const void *a, const void *b)
{
	const struct qent *x = a, *y = b;

	if (x->c->idx != y->c->idx)
		return x->c->idx < y->c->idx ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Refill the quarantine with filler, serialise every thread, release it.
   pre: lock held. */
static void flush(struct heap *h)
{
	unsigned i, j;

	if (!h->nq)
		return;
	qsort(h->q, h->nq, sizeof(h->q[0]), qcmp);
	for (i = 0; i < h->nq; i = j) {
		struct qent *e = &h->q[i];
		unsigned end = e->first + e->n;

		for (j = i + 1; j < h->nq && h->q[j].c == e->c &&
		     h->q[j].first == end; j++)
			end += h->q[j].n;
		/* A failed refill leaves old code, which is still safe. */
		code_fill(h->fd, chunk_off(e->c) +
			  ((off_t)e->first << GRAN_SHIFT),
			  (size_t)(end - e->first) << GRAN_SHIFT);
	}
	os_membarrier_sync_core();
	for (i = 0; i < h->nq; i++) {
		struct qent *e = &h->q[i];

		bits_put(e->c->busy, e->first, e->n, 0);
		bit_put(e->c->tail, e->first + e->n - 1, 0);
		e->c->used -= e->n;
	}
	h->nq = 0;
	h->qbytes = 0;
	__atomic_fetch_add(&jit_stat_flushes, 1, __ATOMIC_RELAXED);
}

/* ---- fork ------------------------------------------------------------- */

/*
 * Fork.  The child must not share the heap's memfd with the parent, or the
 * parent's later writes (new code, filler over freed objects) would change
 * code the child runs.  While forking, with every heap locked so nothing
 * changes, the parent copies each heap into a snapshot memfd; the child
 * maps its snapshot over the inherited code, the parent closes it.  Taking
 * the copy before the fork, not in the child, is what makes it race-free:
 * the parent may write again as soon as fork returns.  The cost is one copy
 * of the live chunks per fork (posix_spawn and vfork take none).
 */
static int snapshot(struct heap *h)
{
	int fd = os_memfd(h->name);

	if (fd < 0 || os_truncate(fd, (off_t)h->fsize))
		goto fail;
	for (unsigned i = 0; i < NCHUNKS; i++) {
		struct chunk *c = h->chunks[i];

		if (c && c->idx == i &&
		    os_pwrite_all(fd, h->base + chunk_off(c),
				  (size_t)c->nchunks << CHUNK_SHIFT,
				  chunk_off(c)))
			goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static void fork_prepare(void)
{
	for (int i = 0; i < HEAP_COUNT; i++) {
		struct heap *h = &heaps[i];

		pthread_mutex_lock(&h->lock);
		h->snap = h->base ? snapshot(h) + 1 : 0;
	}
}

static void fork_release(void)
{
	for (int i = HEAP_COUNT - 1; i >= 0; i--)
		pthread_mutex_unlock(&heaps[i].lock);
}

static void fork_parent(void)
{
	for (int i = 0; i < HEAP_COUNT; i++)
		if (heaps[i].snap > 0)
			close(heaps[i].snap - 1);
	fork_release();
}

/* The child: its snapshot mapped over the inherited code; RW views (gone:
   MADV_DONTFORK) are reserved again and mapped back when the chunk is next
   allocated from. */
static void privatize(struct heap *h)
{
	int fd = h->snap - 1;

	if (fd < 0)
		goto fail;
	for (unsigned i = 0; i < NCHUNKS; i++) {
		struct chunk *c = h->chunks[i];
		size_t len;

		if (!c || c->idx != i)
			continue;
		len = (size_t)c->nchunks << CHUNK_SHIFT;
		if (!os_map_code(h->base + chunk_off(c), len, fd,
				 chunk_off(c)))
			goto fail;
		c->rw_ok = 0;
	}
	if (h->views)
		os_unreserve(h->base + ARENA, ARENA);
	close(h->fd);
	h->fd = fd;
	return;
fail:
	/* Keep sharing the parent's file: new code would reach the parent,
	   so refuse to write any (allocation fails with ENOMEM). */
	if (fd >= 0)
		close(fd);
	for (unsigned i = 0; i < NCHUNKS; i++)
		if (h->chunks[i])
			h->chunks[i]->used = NGRAN;
	h->nq = 0;
}

static void fork_child(void)
{
	for (int i = 0; i < HEAP_COUNT; i++) {
		if (heaps[i].base)
			privatize(&heaps[i]);
		heaps[i].snap = 0;
	}
	fork_release();
}

static void fork_setup(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* ---- heap ------------------------------------------------------------- */

/* pre: lock held. */
static int heap_init(struct heap *h)
{
	if (h->base)
		return 0;
	pthread_once(&fork_once, fork_setup);
	h->fd = os_memfd(h->name);
	if (h->fd < 0)
		return -1;
	h->base = os_reserve(h->views ? 2 * ARENA : ARENA, CHUNK);
	if (!h->base)
		goto fail;
	if (trap_add(h->base, ARENA, 0) >= 0)
		return 0;
	os_unmap(h->base, h->views ? 2 * ARENA : ARENA);
	h->base = NULL;
fail:
	close(h->fd);
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
		if (g < 0 && h->nq)
			flush(h);
		else
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
	pthread_mutex_lock(&h->lock);
	if (heap_init(h))
		goto out;
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
out:
	pthread_mutex_unlock(&h->lock);
	if (rx && rw)
		*rw = h->views ? rx + ARENA : NULL;
	return rx;
}

/* The heap whose RX arena (or, with views, RW arena: *is_rw = 1) holds
   addr, or NULL.  Async-signal-safe. */
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
	unsigned g, n;

	pthread_mutex_lock(&h->lock);
	c = off < ARENA ? h->chunks[off >> CHUNK_SHIFT] : NULL;
	if (!c || off & ((1u << GRAN_SHIFT) - 1))
		goto bad;
	g = (unsigned)((off - (size_t)chunk_off(c)) >> GRAN_SHIFT);
	if (c->big ? g != 0 : !bit(c->head, g))
		goto bad;
	bit_put(c->head, g, 0);
	if (c->big) {
		if (h->cur == c)
			h->cur = NULL;
		chunk_unmap(h, c);
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	n = tail_of(c, g) - g + 1;
	h->q[h->nq++] = (struct qent){ c, g, n };
	h->qbytes += (size_t)n << GRAN_SHIFT;
	if (h->nq == QMAX || h->qbytes >= QBYTES)
		flush(h);
	pthread_mutex_unlock(&h->lock);
	return 0;
bad:
	pthread_mutex_unlock(&h->lock);
	errno = EINVAL;
	return -1;
}

/* Whether [rx, rx+len) lies inside one live object of heap id. */
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

/* ---- jit_create_code -------------------------------------------------- */

void *jit_create_code(const void *source, size_t len)
{
	enum heap_id id;
	char *rx, *rw;

	if (!source || !len) {
		errno = EINVAL;
		return NULL;
	}
	id = atomic_load_explicit(&code_mode, memory_order_relaxed) ==
	     JIT_APPEND_ALIAS ? HEAP_ALIAS : HEAP_PWRITE;
	rx = heap_alloc(id, len, &rw);
	if (!rx)
		return NULL;
	if (id == HEAP_ALIAS)
		memcpy(rw, source, len);
	if ((id != HEAP_ALIAS && os_pwrite_all(heaps[id].fd, source, len,
					       (off_t)(rx - heaps[id].base))) ||
	    heap_sync(id, rx, len)) {
		int e = errno;

		heap_free(id, rx);
		errno = e;
		return NULL;
	}
	return rx;
}

int heap_sync(enum heap_id id, char *rx, size_t len)
{
	return code_sync(rx, len, heaps[id].fd, (off_t)(rx - heaps[id].base));
}

int jit_destroy_code(void *code)
{
	enum heap_id id;
	int is_rw = 0;

	if (!code)
		return 0;
	id = heap_of(code, &is_rw);
	if (id == HEAP_DUAL || id == HEAP_COUNT || is_rw) {
		errno = EINVAL;
		return -1;
	}
	if (!heap_range_live(id, code, 1)) {
		errno = EINVAL;
		return -1;
	}
	debug_code_freed(code);	/* before the space can be reused */
	return heap_free(id, code);
}

int jit_set_code_mode(int mode)
{
	if (mode != JIT_APPEND_PWRITE && mode != JIT_APPEND_ALIAS) {
		errno = EINVAL;
		return -1;
	}
	return atomic_exchange(&code_mode, mode);
}
