/* SPDX-License-Identifier: MIT */
/*
 * Per-thread caches of the code heaps with views (the alias heap of
 * jit_create_code and the dual-view heap), so that allocating and freeing
 * a small object takes neither the heap lock nor a system call in steady
 * state.
 *
 * Allocation: for each size of up to TCLASSES granules, a thread holds up
 * to TCACHE objects reserved for it: their granules are busy and have a
 * tail bit, but no head bit, so to everyone else (heap_free,
 * heap_range_live, the allocator) they are neither free nor live.  Handing
 * one out sets its head bit with an atomic or.  The space was released by
 * the quarantine, so it holds the filler, as a new object must.  When the
 * thread's run of a size is empty, the locked path allocates the object
 * and reserves TCACHE more in the same chunk.
 *
 * Freeing: heap_free takes the head bit with an atomic and (that is the
 * check against foreign, interior and double frees, and one of two racing
 * frees wins), and the object joins this thread's list; every TFREES
 * objects or TFBYTES, the list joins the quarantine under the lock.  The
 * quarantine (heap_quarantine.c) then refills and releases as before, so
 * freed code stays intact until its batch is released and traps
 * afterwards; objects on a thread's list are simply not in a batch yet.
 *
 * A thread that exits gives its reserved objects back and its freed ones
 * to the quarantine (a thread-specific destructor).  Limits: objects
 * reserved or freed on a thread only wait there, so an allocation that
 * finds the heap full may fail while other threads hold up to TCACHE
 * objects per size (136 KiB) and frees of less than TFBYTES each; and a
 * fork child keeps the forking thread's cache, but the caches of the
 * parent's other threads stay busy space in the child, as their threads
 * do not exist there.  A
 * reserved object of a chunk whose RW view the child has not mapped again
 * is handed out only after the locked path maps it.
 */
#include <stdlib.h>

#include "heap.h"

struct tcache {
	unsigned nfree;			/* entries in frees */
	size_t fbytes;			/* their bytes */
	struct qent frees[TFREES];	/* freed, not yet quarantined */
	unsigned n[TCLASSES];		/* reserved objects per size */
	uint32_t off[TCLASSES][TCACHE];	/* their RX offsets */
};

/* This thread's caches, one per heap, hang on a thread-specific key, not
   in TLS: the library's static TLS is what a dlopen()ed library may use,
   and the trampoline caches take it. */
struct tcaches {
	struct tcache *t[HEAP_COUNT];
};

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_err;
static _Atomic int key_ready;	/* key made: no pthread_once needed */

static void tcache_exit(void *arg);

static void key_make(void)
{
	key_err = pthread_key_create(&key, tcache_exit);
	if (!key_err)
		atomic_store_explicit(&key_ready, 1, memory_order_release);
}

/* This thread's cache of heap id, or NULL when it has none yet. */
static struct tcache *tcache_of(enum heap_id id)
{
	struct tcaches *ts;

	if (!atomic_load_explicit(&key_ready, memory_order_acquire)) {
		pthread_once(&key_once, key_make);
		if (key_err)
			return NULL;
	}
	ts = pthread_getspecific(key);
	return ts ? ts->t[id] : NULL;
}

/* The same, made on first use; NULL without memory (the caller then takes
   the locked path). */
static struct tcache *tcache_get(enum heap_id id)
{
	struct tcache *t = tcache_of(id);
	struct tcaches *ts;

	if (t || key_err)
		return t;
	ts = pthread_getspecific(key);
	if (!ts) {
		ts = calloc(1, sizeof(*ts));
		if (!ts)
			return NULL;
		if (pthread_setspecific(key, ts)) {
			free(ts);
			return NULL;
		}
	}
	ts->t[id] = calloc(1, sizeof(struct tcache));
	return ts->t[id];
}

/* pre: h->lock held. */
static void drain_frees(struct heap *h, struct tcache *t)
{
	for (unsigned i = 0; i < t->nfree; i++)
		quarantine_put(h, t->frees[i].c, t->frees[i].first,
			       t->frees[i].n);
	t->nfree = 0;
	t->fbytes = 0;
}

char *tcache_alloc(struct heap *h, enum heap_id id, unsigned n)
{
	struct tcache *t = tcache_of(id);
	struct chunk *c;
	unsigned k;
	uint32_t off;

	if (!t || !t->n[n - 1])
		return NULL;
	k = t->n[n - 1] - 1;
	off = t->off[n - 1][k];
	c = chunk_at(h, off);
	if (!__atomic_load_n(&c->rw_ok, __ATOMIC_ACQUIRE))
		return NULL;
	/* A chunk a fork shared must be copied first, under the lock (the
	   slow path); jit_create_code's write is counted before the check,
	   so a fork either sees it or is seen (heap_fork.c). */
	if (id != HEAP_DUAL)
		__atomic_fetch_add(&c->writing, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&heap_forking, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&c->gen, __ATOMIC_RELAXED) !=
	    __atomic_load_n(&heap_gen, __ATOMIC_RELAXED)) {
		if (id != HEAP_DUAL)
			__atomic_fetch_sub(&c->writing, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	t->n[n - 1] = k;
	head_set(c->head,
		 (unsigned)((off - (size_t)chunk_off(c)) >> GRAN_SHIFT));
	return h->base + off;
}

void tcache_refill(struct heap *h, enum heap_id id, unsigned n)
{
	struct tcache *t = tcache_get(id);
	struct chunk *c = h->cur;
	long g;

	if (!t)
		return;
	while (t->n[n - 1] < TCACHE && (g = chunk_reserve(h, c, n)) >= 0)
		t->off[n - 1][t->n[n - 1]++] =
			(uint32_t)((size_t)chunk_off(c) +
				   ((size_t)g << GRAN_SHIFT));
}

void tcache_free(struct heap *h, enum heap_id id, struct chunk *c,
		 unsigned g, unsigned n)
{
	struct tcache *t = tcache_get(id);

	if (!t) {
		pthread_mutex_lock(&h->lock);
		quarantine_put(h, c, g, n);
		pthread_mutex_unlock(&h->lock);
		return;
	}
	t->frees[t->nfree++] = (struct qent){ c, g, n };
	t->fbytes += (size_t)n << GRAN_SHIFT;
	if (t->nfree == TFREES || t->fbytes >= TFBYTES) {
		pthread_mutex_lock(&h->lock);
		drain_frees(h, t);
		pthread_mutex_unlock(&h->lock);
	}
}

/* Thread exit: reserved objects back to the allocator, frees to the
   quarantine. */
static void tcache_exit(void *arg)
{
	struct tcaches *ts = arg;

	for (int id = 0; id < HEAP_COUNT; id++) {
		struct tcache *t = ts->t[id];
		struct heap *h = &heaps[id];

		if (!t)
			continue;
		pthread_mutex_lock(&h->lock);
		drain_frees(h, t);
		for (unsigned s = 0; s < TCLASSES; s++)
			for (unsigned k = 0; k < t->n[s]; k++) {
				struct chunk *c = chunk_at(h, t->off[s][k]);
				unsigned g = (unsigned)((t->off[s][k] -
					(size_t)chunk_off(c)) >> GRAN_SHIFT);

				bits_put(c->busy, g, s + 1, 0);
				bit_put(c->tail, g + s, 0);
				c->used -= s + 1;
			}
		pthread_mutex_unlock(&h->lock);
		free(t);
	}
	free(ts);
}
