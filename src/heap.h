/* SPDX-License-Identifier: MIT */
/*
 * The packed code heaps behind jit_create_code() and the dual-view buffers,
 * shared by their files: heap.c (the allocator), heap_quarantine.c (reuse
 * of freed space), heap_fork.c (fork: copy-on-write of chunks), jit.c and
 * dual.c (the public API).  Nothing outside them includes this header.
 *
 * A heap is one 4 GiB reservation of 2 MiB chunks, each mapped
 * read+execute from a memfd, its backing, at the file offset equal to its
 * offset in the arena: so a code address finds its chunk by a shift (O(1),
 * no search) and its byte in the backing without one.  The chunks made
 * since the last fork share the heap's current backing; a fork leaves
 * every chunk on a backing shared with the child, and the first write
 * after it moves the chunk to the writer's own (heap_fork.c).  A heap with
 * views (the ALIAS write path, dual-view buffers) maps a read-write view of
 * each chunk at a fixed distance above.
 */
#ifndef TRAMPJIT_HEAP_H
#define TRAMPJIT_HEAP_H

#include <pthread.h>
#include <sys/types.h>

#include "internal.h"

#define CHUNK_SHIFT	21
#define CHUNK		((size_t)1 << CHUNK_SHIFT)
#define ARENA		((size_t)1 << 32)
#define NCHUNKS		(ARENA >> CHUNK_SHIFT)
#define GRAN_SHIFT	6
#define NGRAN		(CHUNK >> GRAN_SHIFT)
#define NWORDS		(NGRAN / 64)
#define BIG		(CHUNK / 2)	/* larger objects get whole chunks */
#define QMAX		1024		/* objects per quarantine batch */
#define QBYTES		((size_t)1 << 20) /* bytes per quarantine batch */

/* A memfd holding chunks at their arena offsets. */
struct backing {
	int fd;			/* the memfd */
	unsigned refs;		/* chunk runs mapped from it */
	size_t size;		/* its file size */
	int used;		/* the table entry is taken */
};

struct chunk {
	struct backing *bk;	/* where its bytes live */
	unsigned long gen;	/* fork generation bk was private in */
	int wp;			/* dual heap's RW view: 0 writable, 1
				   write-protected at a fork (a store copies
				   the chunk), 2 a child's, read-only (only
				   stores into JIT_DUAL_FORK_PRIVATE objects
				   copy it) */
	unsigned npriv;		/* live JIT_DUAL_FORK_PRIVATE objects */
	uint64_t *priv;		/* their head granules, or NULL */
	unsigned idx;		/* first chunk slot of the run */
	unsigned nchunks;	/* slots in the run: 1 unless big */
	int big;		/* holds one object of its own */
	int rw_ok;		/* views heap: the RW view is mapped */
	unsigned used;		/* granules allocated or quarantined */
	unsigned cursor;	/* next-fit start, in granules */
	unsigned low;		/* no free granule lies below it */
	uint64_t busy[NWORDS];	/* allocated or quarantined granules */
	uint64_t tail[NWORDS];	/* last granule of each object */
	unsigned writing;	/* HEAP_PWRITE, HEAP_ALIAS: objects allocated
				   here whose code is still being written
				   (atomic; a fork waits until it is 0) */
	struct chunk *next_retired; /* on the heap's retired list */
	uint8_t own[NGRAN];	/* per granule: OWN_* (below) */
};
_Static_assert(offsetof(struct chunk, own) % 4 == 0, "own_cas words");

/*
 * The state of each granule, one byte each, so that one thread's change
 * never rewrites another's (no read-modify-write of a shared word):
 * OWN_NONE for all but the first granule of an object; for a first
 * granule, OWN_FREED from its free until it joins the quarantine,
 * OWN_SHARED for a live object any thread frees with a compare-and-swap,
 * or the slot (OWN_SLOT..255) of the thread cache that allocated it
 * (heap_cache.c): that thread frees it with a plain store.
 */
#define OWN_NONE	0
#define OWN_FREED	1
#define OWN_SHARED	2
#define OWN_SLOT	3

/* A freed object waiting for its space to be released. */
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
	struct backing *bk;	/* backing of this generation's new chunks
				   and copies; NULL until needed */
	int fd;			/* bk's fd, -1 without bk */
	struct backing *spare;	/* the next fork child's bk, made ahead so
				   a full descriptor table costs the child
				   nothing; NULL: none yet */
	int refilling;		/* HEAP_PWRITE: quarantine_flush is joining
				   refills (atomic; heap_cache.c) */
	int trap;		/* trap range of the RX arena */
	int views_trap;		/* dual heap: trap range of the views, -1
				   until its first fork */
	struct chunk *cur;	/* where allocation tries first */
	struct chunk *chunks[NCHUNKS]; /* by slot; big runs repeat theirs */
	unsigned nq;		/* quarantined objects */
	size_t qbytes;		/* their bytes */
	struct qent q[QMAX];	/* the quarantine */
	struct qent *held;	/* released batches whose membarrier failed */
	size_t nheld;		/* entries in held */
	size_t held_cap;	/* its capacity */
	struct chunk *retired;	/* unmapped chunks' structs, kept for reuse:
				   lock-free readers may still hold one */
};

extern struct heap heaps[HEAP_COUNT];

/*
 * Bitmap words are read with atomic loads: heap_free, heap_range_live and
 * the thread caches read bits of chunks others change.  Busy and tail bits
 * change only under the lock (a load and a store: no other writer).
 */
static inline int bit(const uint64_t *w, unsigned i)
{
	return (int)(__atomic_load_n(&w[i >> 6], __ATOMIC_RELAXED) >>
		     (i & 63) & 1);
}

/* Busy and tail bits.  pre: lock held. */
static inline void bit_put(uint64_t *w, unsigned i, int v)
{
	uint64_t m = (uint64_t)1 << (i & 63);
	uint64_t x = __atomic_load_n(&w[i >> 6], __ATOMIC_RELAXED);

	__atomic_store_n(&w[i >> 6], v ? x | m : x & ~m, __ATOMIC_RELAXED);
}

static inline unsigned own_get(const struct chunk *c, unsigned g)
{
	return __atomic_load_n(&c->own[g], __ATOMIC_RELAXED);
}

static inline void own_put(struct chunk *c, unsigned g, unsigned v)
{
	__atomic_store_n(&c->own[g], (uint8_t)v, __ATOMIC_RELAXED);
}

/* Whether granule g of c starts a live object. */
static inline int own_live(const struct chunk *c, unsigned g)
{
	return own_get(c, g) >= OWN_SHARED;
}

/*
 * Compare-and-swap of granule g's state byte (weak, relaxed; on failure
 * *b holds what was there).  Where the compiler has no lock-free byte
 * CAS (GCC 12 for riscv64 would call libatomic), a CAS of the aligned
 * 32-bit word holding the byte: a store to any byte of that word between
 * the load and the CAS makes it fail and retry, so no neighbour's store
 * is lost.
 */
static inline int own_cas(struct chunk *c, unsigned g, uint8_t *b, uint8_t v)
{
#if __GCC_ATOMIC_CHAR_LOCK_FREE == 2
	return __atomic_compare_exchange_n(&c->own[g], b, v, 1,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	typedef uint32_t __attribute__((may_alias)) word;
	word *w = (word *)(void *)&c->own[g & ~3u];
	unsigned sh = (g & 3) * 8;
	uint32_t x = __atomic_load_n(w, __ATOMIC_RELAXED);

	if ((uint8_t)(x >> sh) == *b &&
	    __atomic_compare_exchange_n(w, &x, (x & ~(0xffu << sh)) |
					(uint32_t)v << sh, 1,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 1;
	*b = (uint8_t)(x >> sh);
	return 0;
#else
#error "own_cas: no byte CAS and not little-endian"
#endif
}

/*
 * Free the object starting at granule g: 0, or -1 when none is live
 * there (foreign, interior or double free).  slot is the caller's thread
 * cache slot, or OWN_NONE: its own objects take a plain store, others a
 * compare-and-swap, so of frees racing on other threads exactly one wins.
 * A free on the allocating thread racing one elsewhere may both succeed;
 * the object is freed once (quarantine_put ignores the second).
 */
static inline int own_free(struct chunk *c, unsigned g, unsigned slot)
{
	uint8_t b = __atomic_load_n(&c->own[g], __ATOMIC_RELAXED);

	if (b == slot && slot >= OWN_SLOT) {
		own_put(c, g, OWN_FREED);
		return 0;
	}
	do {
		if (b < OWN_SHARED)
			return -1;
	} while (!own_cas(c, g, &b, OWN_FREED));
	return 0;
}

/* Busy bits.  pre: lock held. */
void bits_put_run(uint64_t *w, unsigned i, unsigned n, int v);

static inline void bits_put(uint64_t *w, unsigned i, unsigned n, int v)
{
	uint64_t m, x;

	if ((i & 63) + n > 64) {
		bits_put_run(w, i, n, v);
		return;
	}
	m = (n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1) << (i & 63);
	x = __atomic_load_n(&w[i >> 6], __ATOMIC_RELAXED);
	__atomic_store_n(&w[i >> 6], v ? x | m : x & ~m, __ATOMIC_RELAXED);
}

static inline off_t chunk_off(const struct chunk *c)
{
	return (off_t)c->idx << CHUNK_SHIFT;
}

/* heap.c: map c's RW view from its backing, excluded from fork unless
   it holds JIT_DUAL_FORK_PRIVATE buffers.  0, or -1 with errno.
   pre: h->lock held. */
int heap_map_rw(struct heap *h, struct chunk *c);

/* heap_quarantine.c.  pre: h->lock held.  quarantine_put queues the
   object freed at granule first (OWN_FREED; else it was queued already)
   and may release a batch; quarantine_flush releases the batch now: 0, or
   -1 with membarrier's errno when it is held instead. */
void quarantine_put(struct heap *h, struct chunk *c, unsigned first);
int quarantine_flush(struct heap *h);

/* The chunk holding RX offset off of h (lock-free), or NULL. */
static inline struct chunk *chunk_at(struct heap *h, size_t off)
{
	return off < ARENA ? __atomic_load_n(&h->chunks[off >> CHUNK_SHIFT],
					     __ATOMIC_ACQUIRE) : NULL;
}

/* The last granule of the object starting at granule g of c. */
static inline unsigned tail_of(const struct chunk *c, unsigned g)
{
	unsigned w = g >> 6;
	uint64_t m = __atomic_load_n(&c->tail[w], __ATOMIC_RELAXED) &
		     (~(uint64_t)0 << (g & 63));

	while (!m) {
		ASSERT(w + 1 < NWORDS);
		m = __atomic_load_n(&c->tail[++w], __ATOMIC_RELAXED);
	}
	return w * 64 + (unsigned)__builtin_ctzll(m);
}

/* heap.c: reserve up to k objects of n granules in c (busy, tail,
   OWN_NONE; its RW view mapped), their first granules in g[]; how many.
   pre: lock held. */
unsigned chunk_reserve(struct heap *h, struct chunk *c, unsigned n,
		       uint32_t *g, unsigned k);

/*
 * heap_cache.c: per-thread caches of the heaps.  Objects of up to
 * TCLASSES granules are reserved in runs of TCACHE(n) per size and handed
 * out without the lock; frees collect TFREES (or TFBYTES) at a time before
 * they join the quarantine under the lock.
 * tcache_alloc: a reserved object of n granules made live, or NULL; *tag
 * is what the caller's objects carry (its slot, or OWN_SHARED).
 * tcache_written: after jit_create_code's write: 1 when the object came
 * from this thread's cache (its mark is cleared), else 0.
 * tcache_refill: after the lock holder allocated from h->cur, reserve
 * more of n granules there for this thread (pre: lock held).
 * tcache_free: free the object at granule g (code is its address): 0, or
 * -1 with EINVAL when none is live there.
 * tcache_fork_*: the fork handlers' part (heap_fork.c).
 */
#define TCLASSES	16	/* granules: objects up to 1 KiB */
#define TCACHE_MAX	64	/* reserved objects of one granule */
/* reserved objects of n granules: 4 KiB's worth below 4, else 16 */
#define TCACHE(n)	((n) < 4 ? TCACHE_MAX / (n) : 16u)
#define TFREES		32	/* frees collected per thread */
#define TFBYTES		((size_t)128 << 10) /* or their bytes */
char *tcache_alloc(struct heap *h, enum heap_id id, unsigned n,
		   unsigned *tag);
int tcache_written(enum heap_id id);
void tcache_refill(struct heap *h, enum heap_id id, unsigned n);
int tcache_free(struct heap *h, enum heap_id id, struct chunk *c,
		unsigned g, const void *code);
void tcache_fork_prepare(void);
void tcache_fork_parent(void);
void tcache_fork_child(void);

/*
 * heap_fork.c.  pre: h->lock held.
 * heap_fork_reserve: make h->spare unless it exists (0, or -1 + errno).
 * heap_backing: h's current backing, made if needed, at least end bytes
 * long; NULL with errno.
 * heap_chunk_own: make c this process's own before anything writes it
 * (copying it to the current backing if a fork shared it); call it before
 * every write by the library.  Returns 0, or -1 with errno (ENOMEM,
 * EMFILE, EFBIG...), c unchanged.
 * heap_chunk_private: whether c's backing is this process's alone (its
 * pages may be punched out).
 * backing_put: c leaves its backing; closed when no chunk uses it.
 * heap_fork_freed: granule g of c, the head of an object, is being freed.
 */
extern unsigned long heap_gen;	/* forks so far (heap_fork.c) */
extern int heap_forking;	/* a fork's handlers are running */
int heap_fork_reserve(struct heap *h);
struct backing *heap_backing(struct heap *h, size_t end);
int heap_chunk_copy(struct heap *h, struct chunk *c);

static inline int heap_chunk_own(struct heap *h, struct chunk *c)
{
	return c->gen == heap_gen ? 0 : heap_chunk_copy(h, c);
}
int heap_chunk_private(const struct chunk *c);
void backing_put(struct heap *h, struct chunk *c);
void heap_fork_unmark(struct heap *h, struct chunk *c, unsigned g);

static inline void heap_fork_freed(struct heap *h, struct chunk *c,
				   unsigned g)
{
	if (c->priv && bit(c->priv, g))
		heap_fork_unmark(h, c, g);
}

/* The heap whose arena holds addr, or HEAP_COUNT; *is_rw says which view
   (async-signal-safe). */
static inline enum heap_id heap_of(const void *addr, int *is_rw)
{
	const char *a = addr;

	for (int i = HEAP_COUNT - 1; i >= 0; i--) {
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

/* Whether [rx, rx + len) lies in one live object of heap id. */
static inline int heap_range_live(enum heap_id id, const void *rx,
				  size_t len)
{
	struct heap *h = &heaps[id];
	size_t off = (size_t)((const char *)rx -
			      __atomic_load_n(&h->base, __ATOMIC_ACQUIRE)), co;
	struct chunk *c;
	unsigned g, last, t;
	int ok = 0;

	/* Without the lock: the bits of a live object stay while its owner
	   asks (a racing free of it gives either answer). */
	c = chunk_at(h, off);
	if (!c || !len)
		goto out;
	co = off - (size_t)chunk_off(c);
	if (len > ((size_t)c->nchunks << CHUNK_SHIFT) - co)
		goto out;
	if (c->big) {
		ok = own_live(c, 0);
		goto out;
	}
	last = (unsigned)((co + len - 1) >> GRAN_SHIFT);
	/* The object holding granule co: walk down to its head, stopping at
	   the tail of a previous object or at a free granule. */
	g = (unsigned)(co >> GRAN_SHIFT);
	if (!bit(c->busy, g))
		goto out;
	while (!own_get(c, g)) {
		if (!g || bit(c->tail, g - 1))
			goto out;
		g--;
	}
	if (!own_live(c, g))
		goto out;
	t = tail_of(c, g);
	ok = last <= t;
out:
	return ok;
}

#endif
