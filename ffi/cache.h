/* SPDX-License-Identifier: MIT */
/*
 * libtrampjit-ffi's closures (cache.c): allocation, the slot behind a
 * closure, and freeing through a per-thread cache of freed closures.  The
 * fast paths are inline here; they take no lock and make no call.
 */
#ifndef TRAMPJIT_FFI_CACHE_H
#define TRAMPJIT_FFI_CACHE_H

#include <stddef.h>

#include "internal.h"
#include "ffi_layout.h"

/* Hidden declarations too: addresses without the GOT. */
#pragma GCC visibility push(hidden)

#define CLOSURE_CACHE_MAX 32	/* freed closures per thread and class */

/* A closure as a cache keeps it (the closure's own memory is not used). */
struct cached {
	void *closure;		/* the closure */
	void *slot;		/* its trampoline's slot */
	struct table *tb;	/* its table */
	void *code;		/* its code address */
};

/* A thread's cache, and the closure it allocated last (the memo). */
struct closure_cache {
	struct cached memo;		/* the closure allocated last */
	unsigned n[NCLASSES - 1];	/* how many in c[] */
	/* Freed closures by data class - 1, the last freed at n - 1. */
	struct cached c[NCLASSES - 1][CLOSURE_CACHE_MAX];
};
/* This thread's cache, malloc'ed on its first closure (the static TLS
   of a library loaded by dlopen is scarce): NULL before, closure_off
   when it has none (no memory, or the thread is exiting).  closure_off
   is never written; its counts, CLOSURE_CACHE_MAX + 1, make it look
   empty to closure_alloc and full to closure_free. */
extern _Thread_local __attribute__((tls_model("initial-exec")))
struct closure_cache *closure_tls;
extern struct closure_cache closure_off;

/*
 * Exactly one access of x's size.  A cache entry is read right after it
 * was written, and one operation's output is the next one's input: a load
 * that the compiler widens over two fields stored one by one misses store
 * forwarding, and moving pairs through vector registers lengthens that
 * chain.
 */
#define ONCE(x)	(*(__typeof__(x) volatile *)&(x))

static inline void cached_put(struct cached *e, void *closure, void *slot,
			      struct table *tb, void *code)
{
	ONCE(e->closure) = closure;
	ONCE(e->slot) = slot;
	ONCE(e->tb) = tb;
	ONCE(e->code) = code;
}

/* Whether a cache holding n closures can give one: 0 < n <= max. */
static inline int cache_has(unsigned n)
{
	return n - 1 < CLOSURE_CACHE_MAX;
}

/* Put a freed closure in cc's class k.  pre: cc->n[k] < max. */
static inline void cache_put(struct closure_cache *cc, unsigned k,
			     void *closure, void *slot, struct table *tb)
{
	cached_put(&cc->c[k][cc->n[k]++], closure, slot, tb,
		   slot_code(tb, slot_index(tb, slot)));
}

/* Trampoline targets of closures that must not run: allocated but not
   (successfully) prepared, and freed.  Both abort with a message. */
void closure_unprepared(void);
void closure_freed(void);

/* The slow halves: a closure from trampjit's pool; the slot of a closure
   other than the memo; a freed closure this thread's cache cannot take
   as is (no cache yet, or a full one). */
void *closure_alloc_new(size_t size, void **code);
void *closure_lookup(const void *closure, struct table **tbp);
void closure_free_slow(void *closure, void *slot, struct table *tb);

/* Point closure's trampoline (slot from closure_slot) at target, with the
   closure as its data. */
static inline void closure_set(void *slot, void *closure,
			       const void *target)
{
	arch_store_pair(slot, (uintptr_t)closure, (uintptr_t)target);
}

/*
 * A closure of size bytes (1..TRAMP_DATA_MAX), its code in *code, its
 * trampoline pointed at closure_unprepared; its trampoline field (the
 * first FFI_LAYOUT_TRAMP_SIZE bytes) is zero, the rest is not cleared.
 * NULL with errno.  Thread-safe.
 */
static inline void *closure_alloc(size_t size, void **code)
{
	struct closure_cache *cc = closure_tls;
	unsigned k = class_of(size) - 1;
	struct cached *e;
	void *c, *slot;

	if (__builtin_expect(!cc || !cache_has(cc->n[k]), 0))
		return closure_alloc_new(size, code);
	e = &cc->c[k][--cc->n[k]];
	c = ONCE(e->closure);
	slot = ONCE(e->slot);
	*code = ONCE(e->code);
	cached_put(&cc->memo, c, slot, ONCE(e->tb), *code);
	__builtin_memset(c, 0, FFI_LAYOUT_TRAMP_SIZE);
	closure_set(slot, c, (void *)closure_unprepared);
	return c;
}

/* The slot of closure if it is an allocated closure of this library, and
   in *tbp (if not NULL) its table; NULL for anything else. */
static inline void *closure_slot_tb(const void *closure, struct table **tbp)
{
	struct closure_cache *cc = closure_tls;
	const void *memo = cc ? ONCE(cc->memo.closure) : NULL;
	uintptr_t lo, hi;
	void *s;

	if (__builtin_expect(closure && closure == memo, 1)) {
		s = ONCE(cc->memo.slot);
		if (tbp)
			*tbp = ONCE(cc->memo.tb);
	} else {
		struct table *tb;

		s = closure_lookup(closure, &tb);
		if (!s)
			return NULL;
		if (tbp)
			*tbp = tb;
	}
	arch_load_pair(s, &lo, &hi);
	return hi && hi != (uintptr_t)closure_freed ? s : NULL;
}

/* The slot of closure, if closure is an allocated closure of this
   library; NULL for anything else (a freed one too).  Thread-safe; no
   lookup for the closure this thread allocated last. */
static inline void *closure_slot(const void *closure)
{
	return closure_slot_tb(closure, NULL);
}

/* Whether p lies in this library's trampoline tables (closure data, slots
   or code): memory in which no one else may prepare a closure. */
static inline int closure_area(const void *p)
{
	return pool_table_of(p) != NULL;
}

/* Free closure: its trampoline is pointed at closure_freed at once.
   Anything that is not an allocated closure of this library (NULL, a
   freed one, other memory) is ignored.  Thread-safe. */
static inline void closure_free(void *closure)
{
	struct closure_cache *cc = closure_tls;
	struct table *tb;
	void *slot = closure_slot_tb(closure, &tb);
	unsigned k;

	if (!slot)
		return;
	closure_set(slot, closure, (void *)closure_freed);
	k = tb->dclass - 1u;
	if (__builtin_expect(!cc || cc->n[k] >= CLOSURE_CACHE_MAX, 0))
		closure_free_slow(closure, slot, tb);
	else
		cache_put(cc, k, closure, slot, tb);
}

#pragma GCC visibility pop

#endif
