/* SPDX-License-Identifier: MIT */
/*
 * Per-thread caches of the code heaps, so that allocating and freeing a
 * small object on one thread takes neither the heap lock nor a system
 * call, and on the heaps with views (the alias heap of jit_create_code and
 * the dual-view heap) no locked (read-modify-write) instruction either, in
 * steady state.  (The pwrite heap counts each object whose code is being
 * written in its chunk, with an atomic add: see below.)
 *
 * Each thread with a cache holds a slot (OWN_SLOT..255, while it lives;
 * a thread finding none left tags its objects OWN_SHARED).  Its objects
 * carry the slot in their first granule's state byte (chunk.own), which
 * changes only by byte stores and byte compare-and-swaps, so no thread's
 * change rewrites another object's state.
 *
 * Allocation: for each size of up to TCLASSES granules, a thread holds up
 * to TCACHE(n) objects reserved for it: their granules are busy and have a
 * tail bit, but their state is OWN_NONE, so to everyone else (heap_free,
 * heap_range_live, the allocator) they are neither free nor live.  Handing
 * one out stores the slot there.  The space was released by the
 * quarantine, so it holds the filler, as a new object must.  When the
 * thread's run of a size is empty, the locked path allocates the object
 * and reserves TCACHE(n) more in the same chunk.
 *
 * Freeing (own_free in heap.h): an object of this thread's slot becomes
 * OWN_FREED with a store, another thread's with a compare-and-swap (the
 * check against foreign, interior and double frees, won by exactly one of
 * racing frees elsewhere); the object joins this thread's list, and every
 * TFREES objects or TFBYTES the list joins the quarantine under the lock.
 * The quarantine (heap_quarantine.c) then refills and releases as before,
 * so freed code stays intact until its batch is released and traps
 * afterwards.  A free on the allocating thread racing a free elsewhere
 * can both succeed: each lists the object, and quarantine_put takes only
 * the first (it makes the state OWN_NONE; the second finds it so, or a
 * later object's state, and takes or ignores that one as its own free
 * would).
 *
 * Fork: jit_create_code writes an object after handing it out, and a
 * fork must wait for such writes (heap_fork.c); so must the pwrite heap's
 * joined refill, which rewrites live bytes of a chunk onto themselves
 * (heap_quarantine.c).  A pwrite-heap object counts in its chunk
 * (chunk.writing, an atomic add, then a check of heap_forking and of the
 * heap's refilling flag; the other side sets its flag, then reads the
 * counts).  An alias-heap object is marked in the cache instead, with no
 * locked instruction: the writing thread marks its cache (tcache.writing)
 * and then reads heap_forking, the fork handler sets heap_forking and
 * then reads every cache's mark; the writer needs no barrier of its own
 * because the handler makes every running thread execute one (membarrier
 * PRIVATE_EXPEDITED) in between.  Where membarrier is refused, writers use
 * a fence of their own.
 *
 * A thread that exits gives its reserved objects back, its freed ones to
 * the quarantine and its slot to the next thread (which then frees the
 * objects tagged with it by a store; nothing else changes hands).
 * Limits: objects reserved or freed on a thread only wait there, so an
 * allocation that finds the heap full may fail while other threads hold
 * up to TCACHE(n) objects per size (145 KiB) and frees of less than TFBYTES
 * each; and a fork child keeps the forking thread's cache, but the caches
 * of the parent's other threads stay busy space in the child, as their
 * threads do not exist there.  A reserved object of a chunk whose RW view
 * the child has not mapped again is handed out only after the locked path
 * maps it.
 */
#include <sched.h>
#include <stdlib.h>

#include "heap.h"
#include "os.h"

struct tcache {
	unsigned slot;			/* OWN_SLOT.., or OWN_SHARED */
	unsigned writing;		/* alias heap: writing an object
					   handed out here (atomic) */
	unsigned nfree;			/* entries in frees */
	size_t fbytes;			/* their bytes */
	struct qent frees[TFREES];	/* freed, not yet quarantined */
	unsigned n[TCLASSES];		/* reserved objects per size */
	uint32_t off[TCLASSES][TCACHE_MAX]; /* their RX offsets */
};

/* This thread's caches, one per heap, hang on a thread-specific key, not
   in TLS: the library's static TLS is what a dlopen()ed library may use,
   and the trampoline caches take it.  All threads' are listed (reg) for
   the fork handler. */
struct tcaches {
	struct tcache *t[HEAP_COUNT];
	unsigned slot;
	struct tcaches *next, **pprev;
};

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_err;
static _Atomic int key_ready;	/* key made: no pthread_once needed */

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tcaches *reg;	/* under list_lock */

/* Slots in use, one bit each; those below OWN_SLOT are not slots. */
static uint64_t slots[4] = { (1u << OWN_SLOT) - 1 };

/* 1: writers need no fence (fork's membarrier serves), -1: they fence,
   0: not known yet. */
static _Atomic int fence_mode;

static void tcache_exit(void *arg);

static void key_make(void)
{
	key_err = pthread_key_create(&key, tcache_exit);
	if (!key_err)
		atomic_store_explicit(&key_ready, 1, memory_order_release);
}

static unsigned slot_take(void)
{
	for (unsigned w = 0; w < 4; w++) {
		uint64_t x = __atomic_load_n(&slots[w], __ATOMIC_RELAXED);

		while (~x)
			if (__atomic_compare_exchange_n(&slots[w], &x,
				x | (uint64_t)1 << __builtin_ctzll(~x), 0,
				__ATOMIC_RELAXED, __ATOMIC_RELAXED))
				return w * 64 +
				       (unsigned)__builtin_ctzll(~x);
	}
	return OWN_SHARED;
}

static void slot_give(unsigned s)
{
	if (s >= OWN_SLOT)
		__atomic_fetch_and(&slots[s >> 6], ~((uint64_t)1 << (s & 63)),
				   __ATOMIC_RELAXED);
}

/* This thread's caches, or NULL when it has none yet. */
static struct tcaches *tcaches_of(void)
{
	if (!atomic_load_explicit(&key_ready, memory_order_acquire)) {
		pthread_once(&key_once, key_make);
		if (key_err)
			return NULL;
	}
	return pthread_getspecific(key);
}

/* This thread's cache of heap id, made on first use; NULL without memory
   (the caller then takes the locked path). */
static struct tcache *tcache_get(enum heap_id id)
{
	struct tcaches *ts = tcaches_of();
	struct tcache *t;

	if (ts && ts->t[id])
		return ts->t[id];
	if (key_err)
		return NULL;
	if (!ts) {
		ts = calloc(1, sizeof(*ts));
		if (!ts)
			return NULL;
		if (pthread_setspecific(key, ts)) {
			free(ts);
			return NULL;
		}
		if (!atomic_load_explicit(&fence_mode, memory_order_relaxed))
			atomic_store_explicit(&fence_mode,
					      os_membarrier_fence() ? -1 : 1,
					      memory_order_relaxed);
		ts->slot = slot_take();
		pthread_mutex_lock(&list_lock);
		ts->next = reg;
		if (reg)
			reg->pprev = &ts->next;
		ts->pprev = &reg;
		reg = ts;
		pthread_mutex_unlock(&list_lock);
	}
	t = calloc(1, sizeof(*t));
	if (t)
		t->slot = ts->slot;
	/* The fork handler reads it too (tcache_fork_prepare). */
	__atomic_store_n(&ts->t[id], t, __ATOMIC_RELEASE);
	return t;
}

/* pre: h->lock held. */
static void drain_frees(struct heap *h, struct tcache *t)
{
	for (unsigned i = 0; i < t->nfree; i++)
		quarantine_put(h, t->frees[i].c, t->frees[i].first);
	t->nfree = 0;
	t->fbytes = 0;
}

char *tcache_alloc(struct heap *h, enum heap_id id, unsigned n,
		   unsigned *tag)
{
	struct tcache *t = tcache_get(id);
	struct chunk *c;
	unsigned k;
	uint32_t off;

	*tag = t ? t->slot : OWN_SHARED;
	if (!t || n > TCLASSES || !t->n[n - 1])
		return NULL;
	k = t->n[n - 1] - 1;
	off = t->off[n - 1][k];
	c = chunk_at(h, off);
	if (h->views && !__atomic_load_n(&c->rw_ok, __ATOMIC_ACQUIRE))
		return NULL;
	/* A chunk a fork shared must be copied first, under the lock (the
	   slow path); jit_create_code's write is marked before the check,
	   so a fork (and, in the pwrite heap, the quarantine's joined
	   refill) either sees it or is seen (heap_fork.c, heap_quarantine.c). */
	if (id == HEAP_ALIAS) {
		__atomic_store_n(&t->writing, 1, __ATOMIC_RELAXED);
		if (atomic_load_explicit(&fence_mode,
					 memory_order_relaxed) == 1)
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
		else
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
	} else if (id == HEAP_PWRITE) {
		__atomic_fetch_add(&c->writing, 1, __ATOMIC_SEQ_CST);
	}
	if (__atomic_load_n(&heap_forking, __ATOMIC_SEQ_CST) ||
	    (id == HEAP_PWRITE &&
	     __atomic_load_n(&h->refilling, __ATOMIC_SEQ_CST)) ||
	    __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE) !=
	    __atomic_load_n(&heap_gen, __ATOMIC_RELAXED)) {
		if (id == HEAP_ALIAS)
			__atomic_store_n(&t->writing, 0, __ATOMIC_RELEASE);
		else if (id == HEAP_PWRITE)
			__atomic_fetch_sub(&c->writing, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	t->n[n - 1] = k;
	own_put(c, (unsigned)((off - (size_t)chunk_off(c)) >> GRAN_SHIFT),
		t->slot);
	return h->base + off;
}

int tcache_written(enum heap_id id)
{
	struct tcaches *ts = tcaches_of();
	struct tcache *t = ts ? ts->t[id] : NULL;

	if (!t || !__atomic_load_n(&t->writing, __ATOMIC_RELAXED))
		return 0;
	__atomic_store_n(&t->writing, 0, __ATOMIC_RELEASE);
	return 1;
}

void tcache_refill(struct heap *h, enum heap_id id, unsigned n)
{
	struct tcache *t = tcache_get(id);
	struct chunk *c = h->cur;
	uint32_t *off;
	unsigned k, i;

	if (!t)
		return;
	off = t->off[n - 1] + t->n[n - 1];
	k = chunk_reserve(h, c, n, off, TCACHE(n) - t->n[n - 1]);
	/* Handed out last first: the lowest address goes first. */
	for (i = 0; i < k / 2; i++) {
		uint32_t x = off[i];

		off[i] = off[k - 1 - i];
		off[k - 1 - i] = x;
	}
	for (i = 0; i < k; i++)
		off[i] = (uint32_t)((size_t)chunk_off(c) +
				    ((size_t)off[i] << GRAN_SHIFT));
	t->n[n - 1] += k;
}

int tcache_free(struct heap *h, enum heap_id id, struct chunk *c,
		unsigned g, const void *code)
{
	struct tcache *t = tcache_get(id);

	if (own_free(c, g, t ? t->slot : OWN_NONE)) {
		errno = EINVAL;
		return -1;
	}
	/* Names go before the space can hold other code. */
	debug_code_freed(code);
	if (!t) {
		pthread_mutex_lock(&h->lock);
		quarantine_put(h, c, g);
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	t->frees[t->nfree++] = (struct qent){ c, g, 0 };
	t->fbytes += (size_t)(tail_of(c, g) - g + 1) << GRAN_SHIFT;
	if (t->nfree == TFREES || t->fbytes >= TFBYTES) {
		pthread_mutex_lock(&h->lock);
		drain_frees(h, t);
		pthread_mutex_unlock(&h->lock);
	}
	return 0;
}

/* Give t back: reserved objects to the allocator, frees to the
   quarantine; t is freed. */
static void tcache_put(struct heap *h, struct tcache *t)
{
	pthread_mutex_lock(&h->lock);
	drain_frees(h, t);
	for (unsigned s = 0; s < TCLASSES; s++)
		for (unsigned k = 0; k < t->n[s]; k++) {
			struct chunk *c = chunk_at(h, t->off[s][k]);
			unsigned g = (unsigned)((t->off[s][k] -
				(size_t)chunk_off(c)) >> GRAN_SHIFT);

			bits_put(c->busy, g, s + 1, 0);
			if (g < c->low)
				c->low = g;
			bit_put(c->tail, g + s, 0);
			c->used -= s + 1;
		}
	pthread_mutex_unlock(&h->lock);
	free(t);
}

/* Thread exit. */
static void tcache_exit(void *arg)
{
	struct tcaches *ts = arg;

	pthread_mutex_lock(&list_lock);
	*ts->pprev = ts->next;
	if (ts->next)
		ts->next->pprev = ts->pprev;
	pthread_mutex_unlock(&list_lock);
	for (int id = 0; id < HEAP_COUNT; id++)
		if (ts->t[id])
			tcache_put(&heaps[id], ts->t[id]);
	slot_give(ts->slot);
	free(ts);
}

/* ---- fork ------------------------------------------------------------- */

void tcache_fork_prepare(void)
{
	int mode = atomic_load_explicit(&fence_mode, memory_order_relaxed);

	pthread_mutex_lock(&list_lock);
	/* heap_forking is set: every writer that missed it is seen below.
	   Should membarrier be refused only now (a seccomp filter installed
	   since), writers fence from now on, and the ones already past their
	   mark have stored it long before the yields below end. */
	if (mode == 1 && os_membarrier_fence()) {
		atomic_store_explicit(&fence_mode, -1, memory_order_relaxed);
		for (int i = 0; i < 16; i++)
			sched_yield();
	}
	for (struct tcaches *ts = reg; ts; ts = ts->next) {
		struct tcache *t = __atomic_load_n(&ts->t[HEAP_ALIAS],
						   __ATOMIC_ACQUIRE);

		while (t && __atomic_load_n(&t->writing, __ATOMIC_ACQUIRE))
			sched_yield();
	}
}

void tcache_fork_parent(void)
{
	pthread_mutex_unlock(&list_lock);
}

/* Only this thread's caches are left. */
void tcache_fork_child(void)
{
	struct tcaches *me = atomic_load_explicit(&key_ready,
						  memory_order_acquire) ?
			     pthread_getspecific(key) : NULL, *ts, *next;

	for (ts = reg; ts; ts = next) {
		next = ts->next;
		if (ts == me)
			continue;
		for (int id = 0; id < HEAP_COUNT; id++)
			free(ts->t[id]);
		free(ts);
	}
	reg = me;
	for (unsigned w = 0; w < 4; w++)
		slots[w] = 0;
	slots[0] = (1u << OWN_SLOT) - 1;
	if (me) {
		me->next = NULL;
		me->pprev = &reg;
		slots[me->slot >> 6] |= (uint64_t)1 << (me->slot & 63);
	}
	pthread_mutex_init(&list_lock, NULL);
}
