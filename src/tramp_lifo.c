/* SPDX-License-Identifier: MIT */
/*
 * Strict-LIFO trampolines: a per-thread stack for users whose trampolines
 * die in the reverse order of their birth on the thread that made them
 * (GCC nested functions, scoped callbacks).
 *
 * Each thread keeps the static-backend slots it has used, with their code
 * addresses, in an array: a push that finds a slot of the right kind at
 * the stack's depth stores the pair and returns the cached address (one
 * 16-byte store, no list, no lookup); a pop clears the pair, so the code
 * is dead at once for tramp_lookup() and callers, and keeps the slot for
 * the next push.  Slots go back to the pool when the thread exits.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

struct lifo_ent {
	void *slot;		/* static-backend slot owned by the thread */
	void *code;		/* its code address */
	unsigned kind;		/* enum tramp_kind of its table */
};

struct lifo {
	struct lifo_ent *ent;	/* ent[0 .. owned), ent[0 .. depth) live */
	unsigned depth;		/* live trampolines */
	unsigned owned;		/* slots held */
	unsigned cap;		/* entries allocated */
};

/* initial-exec: no __tls_get_addr call on the push and pop paths. */
static _Thread_local __attribute__((tls_model("initial-exec")))
struct lifo lifo;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static int key_err;

/* Thread exit: every slot goes back to the shared pool. */
static void lifo_exit(void *unused)
{
	struct lifo *l = &lifo;

	(void)unused;
	for (unsigned i = 0; i < l->owned; i++) {
		struct lifo_ent *e = &l->ent[i];

		if (i < l->depth) {
			arch_store_pair(e->slot, 0, 0);
			debug_code_freed(e->code);
		}
		pool_give_back(pool_table_of(e->slot), e->slot);
	}
	free(l->ent);
	*l = (struct lifo){ 0 };
}

static void key_init(void)
{
	key_err = pthread_key_create(&key, lifo_exit);
}

/* Make ent[l->depth] a slot of kind k.  Returns 0 or -1 with errno. */
static __attribute__((noinline)) int lifo_grow(struct lifo *l,
					       enum tramp_kind k)
{
	struct lifo_ent *e;
	struct table *tb;
	void *slot;

	if (l->depth == l->owned && l->owned == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 16;

		e = cap > l->cap ? realloc(l->ent, cap * sizeof(*e)) : NULL;
		if (!e) {
			errno = ENOMEM;
			return -1;
		}
		l->ent = e;
		l->cap = cap;
	}
	if (!l->owned) {
		pthread_once(&key_once, key_init);
		if (key_err || pthread_setspecific(key, l)) {
			errno = EAGAIN;
			return -1;
		}
	}
	slot = pool_alloc(TRAMP_STATIC, k, 0);
	if (!slot)
		return -1;
	tb = pool_table_of(slot);
	e = &l->ent[l->depth];
	if (l->depth < l->owned)	/* a slot of another kind: swap */
		pool_free(pool_table_of(e->slot), e->slot);
	else
		l->owned++;
	e->slot = slot;
	e->code = slot_code(tb, slot_index(tb, slot));
	e->kind = k;
	return 0;
}

void *tramp_lifo_push(enum tramp_kind kind, void *target, void *data)
{
	struct lifo *l = &lifo;
	struct lifo_ent *e;

	if ((kind != TRAMP_CHAIN && kind != TRAMP_BIND &&
	     kind != TRAMP_HANDLER) || !target) {
		errno = EINVAL;
		return NULL;
	}
	if ((l->depth == l->owned || l->ent[l->depth].kind != kind) &&
	    lifo_grow(l, kind))
		return NULL;
	e = &l->ent[l->depth++];
	arch_store_pair(e->slot, (uintptr_t)data, (uintptr_t)target);
	return e->code;
}

int tramp_lifo_pop(void)
{
	struct lifo *l = &lifo;
	struct lifo_ent *e;

	if (!l->depth) {
		errno = EINVAL;
		return -1;
	}
	e = &l->ent[--l->depth];
	arch_store_pair(e->slot, 0, 0);
	debug_code_freed(e->code);
	return 0;
}

unsigned tramp_lifo_depth(void)
{
	return lifo.depth;
}
