/* SPDX-License-Identifier: MIT */
/*
 * Trampoline front end: checks specs, fills and clears slots, maps handles
 * and code addresses to each other.  Backends only provide code halves.
 *
 * A handle is the address of the trampoline's slot, so creating one costs
 * no malloc (except a copy of the context for TRAMP_CONTEXT).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const struct backend_ops *const backends[NBACKENDS] = {
	[TRAMP_STATIC] = &backend_static,
	[TRAMP_FAULT] = &backend_fault,
	[TRAMP_SYSCALL] = &backend_syscall,
	[TRAMP_MPROTECT] = &backend_mprotect,
};

int context_check(const struct tramp_context *c)
{
	uint64_t allowed = (((uint64_t)1 << TRAMP_NREGS) - 1) &
			   ~((uint64_t)1 << TRAMP_REG_SP);

	if (!c || (c->mask & ~allowed) || c->nstack > TRAMP_CONTEXT_MAX_STACK ||
	    (c->flags & ~TRAMP_CONTEXT_MOVE_SP) || !c->pc) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Whether slot s is live.  One 16-byte load, as the pair was stored: an
   8-byte load of its upper half right after the store (create, then
   destroy) would miss store forwarding on common x86 cores. */
static inline int slot_live(const void *s)
{
	uintptr_t lo, hi;

	arch_load_pair(s, &lo, &hi);
	return hi != 0;
}

/* The table of a live handle, or NULL with EINVAL: one directory lookup
   and one bounds check. */
static inline struct table *handle_table(const struct tramp *t)
{
	struct table *tb = pool_table_of(t);
	size_t off;

	if (__builtin_expect(!tb, 0))
		goto bad;
	off = (size_t)((const char *)t - tb->data);
	if (__builtin_expect(off >= (size_t)tb->nslots * SLOT_PAIR_SIZE ||
			     off % SLOT_PAIR_SIZE || !slot_live(t), 0))
		goto bad;
	return tb;
bad:
	errno = EINVAL;
	return NULL;
}

void *tramp_slot_at(const void *code, struct table **tbp)
{
	struct table *tb = pool_table_of(code);
	size_t off;
	char *s;

	if (!tb)
		return NULL;
	off = (size_t)((const char *)code - tb->base);
	if (off >= (size_t)tb->nslots * tb->code_stride || off % tb->code_stride)
		return NULL;
	s = slot_at(tb, (unsigned)(off / tb->code_stride));
	if (!slot_target(s))
		return NULL;
	if (tbp)
		*tbp = tb;
	return s;
}

/* The pair a spec (or a retarget) stores, by kind. */
static int make_pair(void *target, void *data,
		     uintptr_t *lo, uintptr_t *hi)
{
	if (!target) {
		errno = EINVAL;
		return -1;
	}
	*lo = (uintptr_t)data;
	*hi = (uintptr_t)target;
	return 0;
}

/*
 * Check spec and compute the pair it stores and its table kind.  A context
 * is copied (*ctx, to free on failure).  Returns 0, or -1 with errno.
 */
static int spec_pair(const struct tramp_spec *spec, uintptr_t *lo,
		     uintptr_t *hi, unsigned *kind, struct tramp_context **ctx)
{
	if (!spec || (unsigned)spec->kind > TRAMP_CONTEXT ||
	    (unsigned)spec->backend >= NBACKENDS ||
	    (spec->flags & ~TRAMP_BIND_SRET) ||
	    (spec->flags && spec->kind != TRAMP_BIND)) {
		errno = EINVAL;
		return -1;
	}
	if (!backends[spec->backend]) {
		errno = ENOSYS;
		return -1;
	}
	*kind = spec->flags & TRAMP_BIND_SRET ? KIND_BIND_SRET : spec->kind;
	*ctx = NULL;
	switch (spec->kind) {
	case TRAMP_CHAIN:
	case TRAMP_BIND:
		return make_pair(spec->target, spec->data, lo, hi);
	case TRAMP_HANDLER:
		return make_pair((void *)spec->handler, spec->data, lo, hi);
	default:
		if (context_check(spec->context))
			return -1;
		*ctx = malloc(sizeof(**ctx));
		if (!*ctx)
			return -1;
		**ctx = *spec->context;
		*lo = (uintptr_t)*ctx;
		*hi = (uintptr_t)(*ctx)->pc;
		return 0;
	}
}

/* The slot was stored; a backend that must know fails the creation. */
static __attribute__((noinline)) struct tramp *
create_publish(void *slot, enum tramp_backend b, void *ctx)
{
	struct table *tb = pool_table_of(slot);

	if (backends[b]->publish(tb, slot_index(tb, slot))) {
		int err = errno;

		arch_store_pair(slot, 0, 0);
		pool_free(tb, slot);
		free(ctx);
		errno = err;
		return NULL;
	}
	return slot;
}

/* tramp_create, every case. */
static __attribute__((noinline)) struct tramp *
create(const struct tramp_spec *spec)
{
	struct tramp_context *ctx;
	uintptr_t lo, hi;
	unsigned kind;
	void *slot;

	if (spec_pair(spec, &lo, &hi, &kind, &ctx))
		return NULL;
	slot = pool_alloc(spec->backend, (enum tramp_kind)kind);
	if (!slot) {
		free(ctx);
		return NULL;
	}
	arch_store_pair(slot, lo, hi);
	if (backends[spec->backend]->publish)
		return create_publish(slot, spec->backend, ctx);
	return slot;
}

/*
 * The common case without a call: CHAIN, BIND or HANDLER without flags,
 * on a backend with nothing to publish, with a slot in this thread's
 * cache.  Everything else, errors included, goes through create().
 */
struct tramp *tramp_create(const struct tramp_spec *spec)
{
	const struct backend_ops *ops;
	struct slot_cache *c;
	unsigned b, k;
	void *target, *slot;

	if (!spec || spec->flags)
		return create(spec);
	k = (unsigned)spec->kind;
	b = (unsigned)spec->backend;
	if (k >= TRAMP_CONTEXT || b >= NBACKENDS)
		return create(spec);
	target = k == TRAMP_HANDLER ? (void *)spec->handler : spec->target;
	ops = backends[b];
	c = &pool_caches[b][k];
	if (!target || !ops || ops->publish || !c->n)
		return create(spec);
	slot = c->head;
	c->head = *(void **)slot;
	c->n--;
	arch_store_pair(slot, (uintptr_t)spec->data, (uintptr_t)target);
	return slot;
}

void *tramp_code(const struct tramp *t)
{
	struct table *tb = handle_table(t);

	return tb ? slot_code(tb, slot_index(tb, t)) : NULL;
}

int tramp_retarget(struct tramp *t, void *target, void *data)
{
	struct table *tb = handle_table(t);
	uintptr_t lo, hi;

	if (!tb)
		return -1;
	if (tb->kind == TRAMP_CONTEXT) {
		if (data || !target) {
			errno = EINVAL;
			return -1;
		}
		lo = ((uintptr_t *)t)[0];
		hi = (uintptr_t)target;
	} else if (make_pair(target, data, &lo, &hi)) {
		return -1;
	}
	if (backends[tb->backend]->publish) {
		uintptr_t olo, ohi;

		arch_load_pair(t, &olo, &ohi);
		arch_store_pair(t, lo, hi);
		if (backends[tb->backend]->publish(tb, slot_index(tb, t))) {
			int err = errno;

			arch_store_pair(t, olo, ohi);	/* as it was */
			errno = err;
			return -1;
		}
		return 0;
	}
	arch_store_pair(t, lo, hi);
	return 0;
}

struct tramp *tramp_lookup(const void *code)
{
	void *s = tramp_slot_at(code, NULL);

	if (!s)
		errno = EINVAL;
	return s;
}

/* tramp_destroy of live t in tb, every case. */
static __attribute__((noinline)) void destroy(struct tramp *t,
					      struct table *tb)
{
	const struct backend_ops *ops = backends[tb->backend];
	unsigned i = slot_index(tb, t);
	void *ctx = NULL;

	if (tb->kind == TRAMP_CONTEXT)
		ctx = ((void **)t)[0];
	arch_store_pair(t, 0, 0);
	if (ops->retire)
		ops->retire(tb, i);
	debug_code_freed(slot_code(tb, i));
	pool_free(tb, t);
	if (ctx)
		free(ctx);
}

/* The common case without a call: nothing to retire or free, no names,
   room in this thread's cache.  Everything else goes through destroy(). */
void tramp_destroy(struct tramp *t)
{
	struct slot_cache *c;
	struct table *tb;

	if (!t)
		return;
	tb = handle_table(t);
	if (!tb)
		return;
	c = &pool_caches[tb->backend][tb->kind];
	if (tb->kind == TRAMP_CONTEXT || backends[tb->backend]->retire ||
	    atomic_load_explicit(&debug_user_named, memory_order_relaxed) ||
	    c->n - 1 >= POOL_CACHE_MAX - 1) {
		destroy(t, tb);
		return;
	}
	arch_store_pair(t, 0, 0);
	*(void **)t = c->head;
	c->head = t;
	c->n++;
}

int tramp_kind_of(const struct tramp *t)
{
	struct table *tb = handle_table(t);

	if (!tb)
		return -1;
	return tb->kind == KIND_BIND_SRET ? TRAMP_BIND : tb->kind;
}

int tramp_backend_of(const struct tramp *t)
{
	struct table *tb = handle_table(t);

	return tb ? tb->backend : -1;
}

_Noreturn void tramp_jump(const struct tramp_context *ctx)
{
	if (context_check(ctx))
		abort();
	arch_context_jump(ctx, ctx->pc);
}
