/* SPDX-License-Identifier: MIT */
/*
 * The arena of trampoline tables and the pools of free slots.
 *
 * PROT_NONE reservations (arenas) are cut into SPAN-aligned tables, and a
 * two-level directory indexed by address / SPAN maps any address to its
 * table: O(1) lookup with two loads, never reading memory that may not be
 * ours.  A new arena is reserved whenever the last one is full, as large
 * as the address space then allows, so a process that started under an
 * RLIMIT_AS squeeze grows once the limit is raised.  Each (backend, kind)
 * pair has a pool: a shared free list and bump pointer under a mutex, with
 * a per-thread cache of up to POOL_CACHE_MAX slots in front (its fast
 * paths inline in internal.h), so allocation and free take the lock once
 * per CACHE_BATCH operations.  Tables are kept for the life of the
 * process; their slots are reused.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "os.h"

#define CACHE_BATCH	(POOL_CACHE_MAX / 2)

struct pool {			/* guarded by its pool_lock() */
	void *free;		/* free slots, linked through word 0 */
	struct table *bump;	/* table still being handed out in order */
	unsigned bump_next;	/* next never-used slot of bump */
};

static struct pool pools[NBACKENDS][NKINDS][NCLASSES];
/* One lock for the data classes of a (backend, kind) pair: a fork holds
   every lock of the library at once, and ThreadSanitizer tracks only 64
   held locks per thread. */
static pthread_mutex_t locks[NBACKENDS][NKINDS] = {
	[0 ... NBACKENDS - 1] = {
		[0 ... NKINDS - 1] = PTHREAD_MUTEX_INITIALIZER,
	},
};

static pthread_mutex_t *pool_lock(const struct pool *p)
{
	return &locks[0][0] + (p - &pools[0][0][0]) / NCLASSES;
}
/* initial-exec: no __tls_get_addr call on the allocation path of the
   shared library. */
#define TLS _Thread_local __attribute__((tls_model("initial-exec")))
TLS struct slot_cache pool_caches[NBACKENDS][NKINDS];
TLS struct pool_dcaches *pool_dcaches;
static TLS int cache_registered;

/*
 * The directory (internal.h): leaves (POOL_LEAF_SIZE pointers, covering
 * 16 GiB of address space; malloc'ed, so leak checkers see the tables) are
 * made when an arena first reaches into them and kept.  No mmap without a
 * hint returns addresses at or above 2^POOL_VA_BITS.
 */
#define ARENA_MAX	((size_t)16 << 30)	/* 65,536 tables */

struct table *_Atomic *_Atomic pool_root[POOL_ROOT_SIZE];

/* The arena being cut into tables; everything under table_lock. */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static char *arena;		/* its base, SPAN aligned */
static size_t arena_size;	/* bytes reserved */
static size_t arena_used;	/* bytes cut into tables, from the base */
static unsigned ntables;	/* tables created, in all arenas */
static int pool_ready;		/* cache_key set up */
static unsigned char backend_ready[NBACKENDS];
static pthread_key_t cache_key;

static void cache_flush_all(void *unused);

/* Lock order (internal.h): every pool's lock, then table_lock. */
void pool_fork_lock(void)
{
	for (int b = 0; b < NBACKENDS; b++)
		for (int k = 0; k < NKINDS; k++)
			pthread_mutex_lock(&locks[b][k]);
	pthread_mutex_lock(&table_lock);
}

void pool_fork_unlock(void)
{
	pthread_mutex_unlock(&table_lock);
	for (int b = NBACKENDS - 1; b >= 0; b--)
		for (int k = NKINDS - 1; k >= 0; k--)
			pthread_mutex_unlock(&locks[b][k]);
}

/* Once per process, under table_lock. */
static int pool_init(void)
{
	if (pool_ready)
		return 0;
	if (pthread_key_create(&cache_key, cache_flush_all)) {
		errno = EAGAIN;
		return -1;
	}
	pool_ready = 1;
	return 0;
}

/* The directory entry of address a, or NULL when no leaf covers it. */
static struct table *_Atomic *dir_entry(uintptr_t a)
{
	struct table *_Atomic *leaf;

	if (a >> POOL_VA_BITS)
		return NULL;
	leaf = atomic_load_explicit(&pool_root[a >> POOL_DIR_SHIFT],
				    memory_order_acquire);
	return leaf ? &leaf[(a >> SPAN_SHIFT) & (POOL_LEAF_SIZE - 1)] : NULL;
}

/* Make the leaves that [p, p+size) needs.  Under table_lock. */
static int dir_cover(const char *p, size_t size)
{
	uintptr_t last = (uintptr_t)p + size - 1;

	if (last >> POOL_VA_BITS)
		return -1;
	for (uintptr_t i = (uintptr_t)p >> POOL_DIR_SHIFT;
	     i <= last >> POOL_DIR_SHIFT; i++) {
		struct table *_Atomic *leaf;

		if (atomic_load_explicit(&pool_root[i], memory_order_relaxed))
			continue;
		leaf = calloc(POOL_LEAF_SIZE, sizeof(*leaf));
		if (!leaf)
			return -1;
		atomic_store_explicit(&pool_root[i], leaf,
				      memory_order_release);
	}
	return 0;
}

/*
 * Reserve a new arena, as large as the address space allows: from 16 GiB
 * (hundreds of millions of trampolines) down to a single table, under
 * tools such as valgrind that cap reservations or under RLIMIT_AS.  The
 * full arena before it keeps its tables.  Under table_lock.
 */
static int arena_new(size_t min)
{
	for (size_t size = ARENA_MAX; size >= min; size /= 2) {
		char *p = os_reserve(size, SPAN);

		if (!p)
			continue;
		if (!dir_cover(p, size)) {
			arena = p;
			arena_size = size;
			arena_used = 0;
			return 0;
		}
		os_unmap(p, size);
	}
	errno = ENOMEM;
	return -1;
}

static size_t page_round(size_t n)
{
	size_t ps = os_page_size();

	return (n + ps - 1) & ~(ps - 1);
}

/* Map the co-allocated data of tb in the span after its own and cap its
   slots to what fits there.  Returns 0 or -1 with errno. */
static int udata_map(struct table *tb)
{
	size_t stride = class_size(tb->dclass);

	if (tb->nslots > SPAN / stride)
		tb->nslots = (unsigned)(SPAN / stride);
	tb->udata = tb->base + SPAN;
	return os_map_data(tb->udata, page_round(tb->nslots * stride)) ?
	       0 : -1;
}

/* Make a new table for (b, k, c): one span, two with co-allocated data.
   Called under the pool's lock. */
static struct table *table_new(enum tramp_backend b, enum tramp_kind k,
			       unsigned c)
{
	const struct backend_ops *ops = backends[b];
	size_t size = c ? 2 * SPAN : SPAN;
	struct table *tb = NULL;
	int err = 0;

	pthread_mutex_lock(&table_lock);
	if (pool_init()) {
		err = errno;
		goto out;
	}
	if (!backend_ready[b]) {
		if (ops->setup && ops->setup()) {
			err = errno;
			goto out;
		}
		backend_ready[b] = 1;
	}
	if (arena_size - arena_used < size && arena_new(size)) {
		err = errno;
		goto out;
	}
	tb = calloc(1, sizeof(*tb));
	if (!tb) {
		err = ENOMEM;
		goto out;
	}
	tb->kind = (unsigned char)k;
	tb->backend = (unsigned char)b;
	tb->dclass = (unsigned char)c;
	tb->base = arena + arena_used;
	ops->geometry(tb);
	tb->data = tb->base + tb->code_size;
	tb->data_size = page_round((size_t)tb->nslots * SLOT_PAIR_SIZE);
	ASSERT(tb->code_size + tb->data_size <= SPAN);
	if (!os_map_data(tb->data, tb->data_size) || ops->map_code(tb) ||
	    (c && udata_map(tb))) {
		err = errno;
		os_unreserve(tb->base, size);
		free(tb);
		goto out;
	}
	for (size_t off = 0; off < size; off += SPAN)
		atomic_store_explicit(dir_entry((uintptr_t)tb->base + off), tb,
				      memory_order_release);
	debug_table_added(tb);
	arena_used += size;
	ntables++;
out:
	pthread_mutex_unlock(&table_lock);
	if (err) {
		errno = err;
		return NULL;
	}
	return tb;
}

/* Move up to CACHE_BATCH slots from the pool to the cache. */
static int cache_refill(struct pool *p, struct slot_cache *c,
			enum tramp_backend b, enum tramp_kind k, unsigned dc)
{
	int err = 0;

	if (fork_setup())
		return -1;
	pthread_mutex_lock(pool_lock(p));
	while (c->n < CACHE_BATCH) {
		void *s;

		if (p->free) {
			s = p->free;
			p->free = *(void **)s;
		} else {
			if (!p->bump || p->bump_next == p->bump->nslots) {
				struct table *tb = table_new(b, k, dc);

				if (!tb) {
					err = errno;
					break;
				}
				p->bump = tb;
				p->bump_next = 0;
			}
			s = slot_at(p->bump, p->bump_next++);
		}
		*(void **)s = c->head;
		c->head = s;
		c->n++;
	}
	pthread_mutex_unlock(pool_lock(p));
	if (!c->n) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Give n slots of the cache back to the pool. */
static void cache_drain(struct pool *p, struct slot_cache *c, unsigned n)
{
	void *first = c->head, *last = c->head;

	if (!n)
		return;
	for (unsigned i = 1; i < n; i++)
		last = *(void **)last;
	c->head = *(void **)last;
	c->n -= n;
	pthread_mutex_lock(pool_lock(p));
	*(void **)last = p->free;
	p->free = first;
	pthread_mutex_unlock(pool_lock(p));
}

/* Thread exit: nothing stays stranded in a dead thread's caches. */
static void cache_flush_all(void *unused)
{
	struct pool_dcaches *d = pool_dcaches;

	(void)unused;
	for (int b = 0; b < NBACKENDS; b++)
		for (int k = 0; k < NKINDS; k++) {
			cache_drain(&pools[b][k][0], &pool_caches[b][k],
				    pool_caches[b][k].n);
			for (int c = 1; d && c < NCLASSES; c++)
				cache_drain(&pools[b][k][c], &d->c[b][k][c - 1],
					    d->c[b][k][c - 1].n);
		}
	pool_dcaches = NULL;
	free(d);
	/* A destructor that frees trampolines after this one registers the
	   flush again (pthread runs destructors set meanwhile once more). */
	cache_registered = 0;
}

/* This thread's cache for (b, k, dc), or NULL (ENOMEM). */
static struct slot_cache *cache_of(unsigned b, unsigned k, unsigned dc)
{
	if (dc && !pool_dcaches) {
		pool_dcaches = calloc(1, sizeof(*pool_dcaches));
		if (!pool_dcaches)
			return NULL;
	}
	return slot_cache_of(b, k, dc);
}

/* Make sure this thread's caches are flushed when it exits.
   pre: a table exists (so does cache_key). */
static void cache_register(void)
{
	if (!cache_registered) {
		pthread_setspecific(cache_key, &cache_registered);
		cache_registered = 1;
	}
}

/* pool_alloc when the class 0 cache is empty, or for a data class. */
void *pool_alloc_refill(enum tramp_backend b, enum tramp_kind k,
			unsigned dc)
{
	struct slot_cache *c = cache_of(b, k, dc);

	if (!c)
		return NULL;
	if (!c->n) {
		if (cache_refill(&pools[b][k][dc], c, b, k, dc))
			return NULL;
		cache_register();
	}
	return slot_cache_pop(c);
}

void pool_give_back(struct table *tb, void *slot)
{
	struct pool *p = &pools[tb->backend][tb->kind][tb->dclass];

	pthread_mutex_lock(pool_lock(p));
	*(void **)slot = p->free;
	p->free = slot;
	pthread_mutex_unlock(pool_lock(p));
}

/* pool_free when the class 0 cache is empty (this thread may not be
   registered yet) or full, or for a data class. */
void pool_free_slow(struct table *tb, void *slot)
{
	struct slot_cache *c = cache_of(tb->backend, tb->kind, tb->dclass);

	if (!c) {
		pool_give_back(tb, slot);
		return;
	}
	cache_register();
	*(void **)slot = c->head;	/* may fill it past POOL_CACHE_MAX */
	c->head = slot;
	if (++c->n > POOL_CACHE_MAX)
		cache_drain(&pools[tb->backend][tb->kind][tb->dclass], c,
			    CACHE_BATCH);
}
