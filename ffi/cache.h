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

#define CLOSURE_CACHE_MAX 32	/* freed closures per thread and class */

/* A cached (freed) closure's trampoline field. */
struct cached {
	struct cached *next;	/* next in the cache */
	void *code;		/* the closure's code address */
	void *slot;		/* its trampoline's slot */
	struct table *tb;	/* and table */
};
_Static_assert(sizeof(struct cached) <= FFI_LAYOUT_TRAMP_SIZE, "cached");

/* A thread's cache, and the closure it allocated last (the memo). */
struct closure_cache {
	struct cached *head[NCLASSES - 1];	/* by data class - 1 */
	unsigned n[NCLASSES - 1];		/* closures in head[] */
	const void *memo;	/* the closure this thread allocated last */
	void *memo_slot;	/* its slot */
	struct table *memo_tb;	/* and table */
};
/* This thread's cache, malloc'ed on its first closure (the static TLS
   of a library loaded by dlopen is scarce): NULL before, closure_off
   when it has none (no memory, or the thread is exiting).  closure_off
   is never written: empty, and full for closure_free. */
extern _Thread_local __attribute__((tls_model("initial-exec")))
struct closure_cache *closure_tls;
extern struct closure_cache closure_off;

/* Trampoline targets of closures that must not run: allocated but not
   (successfully) prepared, and freed.  Both abort with a message. */
void closure_unprepared(void);
void closure_freed(void);

/* The slow halves: a closure from trampjit's pool; the slot of a closure
   other than the memo; a freed closure this thread's cache cannot take
   as is (no cache yet, or a full one). */
void *closure_alloc_new(size_t size, void **code);
void *closure_lookup(const void *closure, struct table **tbp);
void closure_free_slow(struct cached *c, unsigned k);

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
	struct cached *c;
	void *slot;

	if (__builtin_expect(!cc || !(c = cc->head[k]), 0))
		return closure_alloc_new(size, code);
	cc->head[k] = c->next;
	cc->n[k]--;
	slot = c->slot;
	*code = c->code;
	cc->memo = c;
	cc->memo_slot = slot;
	cc->memo_tb = c->tb;
	__builtin_memset(c, 0, FFI_LAYOUT_TRAMP_SIZE);
	arch_store_pair(slot, (uintptr_t)c, (uintptr_t)closure_unprepared);
	return c;
}

/* closure_slot, also giving the slot's table in *tbp. */
static inline void *closure_slot_tb(const void *closure, struct table **tbp)
{
	struct closure_cache *cc = closure_tls;
	uintptr_t lo, hi;
	void *s;

	if (__builtin_expect(cc && closure && closure == cc->memo, 1)) {
		s = cc->memo_slot;
		*tbp = cc->memo_tb;
	} else if (!(s = closure_lookup(closure, tbp))) {
		return NULL;
	}
	arch_load_pair(s, &lo, &hi);
	return hi && hi != (uintptr_t)closure_freed ? s : NULL;
}

/* The slot of closure, if closure is an allocated closure of this
   library; NULL for anything else (a freed one too).  Thread-safe; no
   lookup for the closure this thread allocated last. */
static inline void *closure_slot(const void *closure)
{
	struct table *tb;

	return closure_slot_tb(closure, &tb);
}

/* Whether p lies in this library's trampoline tables (closure data, slots
   or code): memory in which no one else may prepare a closure. */
static inline int closure_area(const void *p)
{
	return pool_table_of(p) != NULL;
}

/* Point closure's trampoline (slot from closure_slot) at target, with the
   closure as its data. */
static inline void closure_set(void *slot, void *closure,
			       const void *target)
{
	arch_store_pair(slot, (uintptr_t)closure, (uintptr_t)target);
}

/* Free closure: its trampoline is pointed at closure_freed at once.
   Anything that is not an allocated closure of this library (NULL, a
   freed one, other memory) is ignored.  Thread-safe. */
static inline void closure_free(void *closure)
{
	struct closure_cache *cc = closure_tls;
	struct cached *c = closure;
	struct table *tb;
	void *slot = closure_slot_tb(closure, &tb);
	unsigned k;

	if (!slot)
		return;
	closure_set(slot, closure, (void *)closure_freed);
	c->code = slot_code(tb, slot_index(tb, slot));
	c->slot = slot;
	c->tb = tb;
	k = tb->dclass - 1u;
	if (__builtin_expect(!cc || cc->n[k] >= CLOSURE_CACHE_MAX, 0)) {
		closure_free_slow(c, k);
		return;
	}
	c->next = cc->head[k];
	cc->head[k] = c;
	cc->n[k]++;
}

#endif
