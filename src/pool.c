/* SPDX-License-Identifier: MIT */
/*
 * The arena of trampoline tables and the pools of free slots.
 *
 * One PROT_NONE reservation (the arena) is cut into SPAN-aligned tables, so
 * that any address maps to its table by a shift and a bounds check: O(1)
 * lookup without reading memory that may not be ours.  Each (backend, kind)
 * pair has a pool: a shared free list and bump pointer under a mutex, with
 * a per-thread cache of up to CACHE_MAX slots in front, so allocation and
 * free take the lock once per CACHE_BATCH operations.  Tables are kept for
 * the life of the process; their slots are reused.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "os.h"

#define CACHE_MAX	64
#define CACHE_BATCH	32

struct pool {
	pthread_mutex_t lock;	/* guards everything below */
	void *free;		/* free slots, linked through word 0 */
	struct table *bump;	/* table still being handed out in order */
	unsigned bump_next;	/* next never-used slot of bump */
};

struct cache {
	void *head;		/* free slots, linked through word 0 */
	unsigned n;		/* how many */
};

static struct pool pools[NBACKENDS][NKINDS][NCLASSES] = {
	[0 ... NBACKENDS - 1] = {
		[0 ... NKINDS - 1] = {
			[0 ... NCLASSES - 1] = {
				.lock = PTHREAD_MUTEX_INITIALIZER,
			},
		},
	},
};
/* initial-exec: no __tls_get_addr call on the allocation path of the
   shared library. */
#define TLS _Thread_local __attribute__((tls_model("initial-exec")))
static TLS struct cache caches[NBACKENDS][NKINDS][NCLASSES];
static TLS int cache_registered;

/* The arena.  arena_base is published once (release) and never changes. */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static char *_Atomic arena_base;
static size_t arena_size;		/* written before arena_base */
static unsigned ntables;		/* tables created, under table_lock */
static unsigned nspans;			/* spans used by them, likewise */
static struct table *_Atomic *tables;	/* arena_size >> SPAN_SHIFT */
static unsigned char backend_ready[NBACKENDS];	/* under table_lock */
static pthread_key_t cache_key;

static void cache_flush_all(void *unused);

/* Lock order: a pool's lock, then table_lock (table_new). */
static void fork_prepare(void)
{
	for (int b = 0; b < NBACKENDS; b++)
		for (int k = 0; k < NKINDS; k++)
			for (int c = 0; c < NCLASSES; c++)
				pthread_mutex_lock(&pools[b][k][c].lock);
	pthread_mutex_lock(&table_lock);
}

static void fork_release(void)
{
	pthread_mutex_unlock(&table_lock);
	for (int b = NBACKENDS - 1; b >= 0; b--)
		for (int k = NKINDS - 1; k >= 0; k--)
			for (int c = NCLASSES - 1; c >= 0; c--)
				pthread_mutex_unlock(&pools[b][k][c].lock);
}

/*
 * Reserve the arena: as large as the address space allows, from 16 GiB
 * (65,536 tables, hundreds of millions of trampolines) down to 256 MiB
 * (for tools such as valgrind that cap reservations).  Called under
 * table_lock.
 */
static int arena_init(void)
{
	size_t size;
	char *p = NULL;

	for (size = (size_t)16 << 30; size >= ((size_t)256 << 20); size /= 2) {
		p = os_reserve(size, SPAN);
		if (p)
			break;
	}
	if (!p)
		return -1;
	tables = calloc(size >> SPAN_SHIFT, sizeof(*tables));
	if (!tables) {
		os_unmap(p, size);
		return -1;
	}
	if (pthread_key_create(&cache_key, cache_flush_all)) {
		free(tables);
		os_unmap(p, size);
		errno = EAGAIN;
		return -1;
	}
	pthread_atfork(fork_prepare, fork_release, fork_release);
	arena_size = size;
	atomic_store_explicit(&arena_base, p, memory_order_release);
	return 0;
}

struct table *pool_table_of(const void *addr)
{
	char *base = atomic_load_explicit(&arena_base, memory_order_acquire);
	uintptr_t off = (uintptr_t)addr - (uintptr_t)base;

	if (!base || (uintptr_t)addr < (uintptr_t)base || off >= arena_size)
		return NULL;
	return atomic_load_explicit(&tables[off >> SPAN_SHIFT],
				    memory_order_acquire);
}

unsigned pool_tables_in_use(void)
{
	unsigned n;

	pthread_mutex_lock(&table_lock);
	n = ntables;
	pthread_mutex_unlock(&table_lock);
	return n;
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

/* Make a new table for (b, k, c).  Called under the pool's lock. */
static struct table *table_new(enum tramp_backend b, enum tramp_kind k,
			       unsigned c)
{
	unsigned spans = c ? 2 : 1;
	const struct backend_ops *ops = backends[b];
	struct table *tb = NULL;
	int err = 0;

	pthread_mutex_lock(&table_lock);
	if (!atomic_load_explicit(&arena_base, memory_order_relaxed) &&
	    arena_init()) {
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
	if ((size_t)(nspans + spans) << SPAN_SHIFT > arena_size) {
		err = ENOMEM;
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
	tb->base = arena_base + ((size_t)nspans << SPAN_SHIFT);
	ops->geometry(tb);
	tb->data = tb->base + tb->code_size;
	tb->data_size = page_round((size_t)tb->nslots * SLOT_PAIR_SIZE);
	ASSERT(tb->code_size + tb->data_size <= SPAN);
	if (!os_map_data(tb->data, tb->data_size) || ops->map_code(tb) ||
	    (c && udata_map(tb))) {
		err = errno;
		os_unreserve(tb->base, spans * SPAN);
		free(tb);
		goto out;
	}
	for (unsigned i = 0; i < spans; i++)
		atomic_store_explicit(&tables[nspans + i], tb,
				      memory_order_release);
	debug_table_added(tb);
	ntables++;
	nspans += spans;
out:
	pthread_mutex_unlock(&table_lock);
	if (err) {
		errno = err;
		return NULL;
	}
	return tb;
}

/* Move up to CACHE_BATCH slots from the pool to the cache. */
static int cache_refill(struct pool *p, struct cache *c,
			enum tramp_backend b, enum tramp_kind k, unsigned dc)
{
	int err = 0;

	pthread_mutex_lock(&p->lock);
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
	pthread_mutex_unlock(&p->lock);
	if (!c->n) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Give n slots of the cache back to the pool. */
static void cache_drain(struct pool *p, struct cache *c, unsigned n)
{
	void *first = c->head, *last = c->head;

	if (!n)
		return;
	for (unsigned i = 1; i < n; i++)
		last = *(void **)last;
	c->head = *(void **)last;
	c->n -= n;
	pthread_mutex_lock(&p->lock);
	*(void **)last = p->free;
	p->free = first;
	pthread_mutex_unlock(&p->lock);
}

/* Thread exit: nothing stays stranded in a dead thread's caches. */
static void cache_flush_all(void *unused)
{
	(void)unused;
	for (int b = 0; b < NBACKENDS; b++)
		for (int k = 0; k < NKINDS; k++)
			for (int c = 0; c < NCLASSES; c++)
				cache_drain(&pools[b][k][c], &caches[b][k][c],
					    caches[b][k][c].n);
}

/* Make sure this thread's caches are flushed when it exits.
   pre: the arena exists (so does cache_key). */
static void cache_register(void)
{
	if (!cache_registered) {
		pthread_setspecific(cache_key, &cache_registered);
		cache_registered = 1;
	}
}

void *pool_alloc(enum tramp_backend b, enum tramp_kind k, unsigned dc)
{
	struct cache *c = &caches[b][k][dc];
	void *s;

	if (!c->n) {
		if (cache_refill(&pools[b][k][dc], c, b, k, dc))
			return NULL;
		cache_register();
	}
	s = c->head;
	c->head = *(void **)s;
	c->n--;
	return s;
}

void pool_give_back(struct table *tb, void *slot)
{
	struct pool *p = &pools[tb->backend][tb->kind][tb->dclass];

	pthread_mutex_lock(&p->lock);
	*(void **)slot = p->free;
	p->free = slot;
	pthread_mutex_unlock(&p->lock);
}

/* pre: slot is a slot of tb; its target word is already 0. */
void pool_free(struct table *tb, void *slot)
{
	struct cache *c = &caches[tb->backend][tb->kind][tb->dclass];

	cache_register();
	*(void **)slot = c->head;
	c->head = slot;
	if (++c->n > CACHE_MAX)
		cache_drain(&pools[tb->backend][tb->kind][tb->dclass], c,
			    CACHE_BATCH);
}
