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
	[BK_KERNEL] = &backend_kernel,
	[BK_KERNEL_CALL] = &backend_kernel_call,
};

/* The internal index of public backend value b, or -1. */
static int backend_index(enum tramp_backend b)
{
	switch (b) {
	case TRAMP_STATIC:
	case TRAMP_FAULT:
	case TRAMP_SYSCALL:
	case TRAMP_MPROTECT:
		return (int)b;
	case TRAMP_KERNEL:
		return BK_KERNEL;
	case TRAMP_KERNEL_CALL:
		return BK_KERNEL_CALL;
	}
	return -1;
}

int context_check(const struct tramp_context *c)
{
	uint64_t allowed = (((uint64_t)1 << TRAMP_NREGS) - 1) &
			   ~(uint64_t)TRAMP_CONTEXT_RESERVED;

	if (!c || (c->mask & ~allowed) || c->nstack > TRAMP_CONTEXT_MAX_STACK ||
	    (c->flags & ~TRAMP_CONTEXT_MOVE_SP) || !c->pc) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * Apply c to a register image (by TRAMP_REG_* index) whose stack pointer
 * entry is the stack pointer of the call: write the stack words below it,
 * choose the final stack pointer, load the masked registers.  Returns the
 * final stack pointer.  Writes only below the call's stack pointer;
 * async-signal-safe.  The signal backends apply it to a ucontext, the
 * context thunks of some architectures call it (others do the same in
 * assembly).
 */
__attribute__((no_sanitize_address)) uintptr_t
context_image(uintptr_t *img, const struct tramp_context *c)
{
	uintptr_t *sp = (uintptr_t *)img[TRAMP_REG_SP];
	uintptr_t final;
	unsigned i;

	for (i = 0; i < c->nstack; i++)
		sp[-1 - (long)i] = c->stack[i];
	final = (uintptr_t)sp;
	if (c->flags & TRAMP_CONTEXT_MOVE_SP)
		final -= c->nstack * sizeof(uintptr_t);
	for (i = 0; i < TRAMP_NREGS; i++)
		if ((c->mask >> i & 1) && !(TRAMP_CONTEXT_RESERVED >> i & 1))
			img[i] = c->regs[i];
	img[TRAMP_REG_SP] = final;
	return final;
}

/* Whether slot s is live.  One 16-byte load, as the pair was stored: an
   8-byte load of its upper half right after the store (create, then a
   getter or destroy) would miss store forwarding on common x86 cores. */
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
 * Check spec and compute the pair it stores, its table kind and backend
 * index.  A context is copied (*ctx, to free on failure).  Returns 0, or
 * -1 with errno.
 */
static int spec_pair(const struct tramp_spec *spec, uintptr_t *lo,
		     uintptr_t *hi, unsigned *kind, int *bi,
		     struct tramp_context **ctx)
{
	if (!spec || (unsigned)spec->kind > TRAMP_CONTEXT ||
	    (*bi = backend_index(spec->backend)) < 0 ||
	    (spec->flags & ~TRAMP_BIND_SRET) ||
	    (spec->flags && spec->kind != TRAMP_BIND) ||
	    spec->data_size > TRAMP_DATA_MAX ||
	    (spec->data_size && (spec->data || spec->kind == TRAMP_CONTEXT))) {
		errno = EINVAL;
		return -1;
	}
	if (!backends[*bi]) {
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

/* The co-allocated data of a live slot, or NULL if it has none. */
static char *own_data(const struct table *tb, const void *slot)
{
	return tb->dclass ? slot_udata(tb, slot_index(tb, slot)) : NULL;
}

/* Zero co-allocated data of class dc (constant sizes: inline stores, not
   a rep stos). */
static inline void *zero_data(char *d, unsigned dc)
{
	if (dc == 1)
		return memset(d, 0, class_size(1));
	return memset(d, 0, class_size(2));
}

/* tramp_create, every case, also giving the table (for
   tramp_create_coalloc). */
static __attribute__((noinline)) struct tramp *
create(const struct tramp_spec *spec, struct table **tbp)
{
	struct tramp_context *ctx;
	uintptr_t lo, hi;
	struct table *tb = NULL;
	unsigned kind, dc;
	void *slot;
	int bi;

	if (spec_pair(spec, &lo, &hi, &kind, &bi, &ctx))
		return NULL;
	dc = class_of(spec->data_size);
	slot = pool_alloc((enum tramp_backend)bi, (enum tramp_kind)kind, dc);
	if (!slot) {
		free(ctx);
		return NULL;
	}
	if (dc || tbp)
		tb = pool_table_of(slot);
	if (dc)
		lo = (uintptr_t)zero_data(own_data(tb, slot), dc);
	arch_store_pair(slot, lo, hi);
	if (backends[bi]->publish) {
		if (!tb)
			tb = pool_table_of(slot);
		if (backends[bi]->publish(tb, slot_index(tb, slot))) {
			int err = errno;

			arch_store_pair(slot, 0, 0);
			pool_free(tb, slot);
			free(ctx);
			errno = err;
			return NULL;
		}
	}
	if (tbp)
		*tbp = tb;
	return slot;
}

/*
 * The common case without a call: CHAIN, BIND or HANDLER without flags,
 * with or without co-allocated data, on a backend with nothing to
 * publish, with a slot in this thread's cache.  Everything else, errors
 * included, goes through create().
 */
struct tramp *tramp_create(const struct tramp_spec *spec)
{
	const struct backend_ops *ops;
	struct slot_cache *c;
	unsigned b, k, dc = 0;
	void *target, *slot, *data;

	if (!spec || spec->flags)
		return create(spec, NULL);
	k = (unsigned)spec->kind;
	b = (unsigned)spec->backend;
	data = spec->data;
	if (k >= TRAMP_CONTEXT || b >= NBACKENDS)
		return create(spec, NULL);
	if (spec->data_size) {
		if (spec->data_size > TRAMP_DATA_MAX || data)
			return create(spec, NULL);
		dc = class_of(spec->data_size);
	}
	target = k == TRAMP_HANDLER ? (void *)spec->handler : spec->target;
	ops = backends[b];
	c = slot_cache_of(b, k, dc);
	if (!target || !ops || ops->publish || !c || !c->n)
		return create(spec, NULL);
	slot = slot_cache_pop(c);
	if (dc) {
		struct table *tb = pool_table_of(slot);

		data = zero_data(own_data(tb, slot), dc);
	}
	arch_store_pair(slot, (uintptr_t)data, (uintptr_t)target);
	return slot;
}

struct tramp *tramp_create_coalloc(const struct tramp_spec *spec,
				   void **code, void **data)
{
	struct table *tb = NULL;
	struct tramp *t = create(spec, &tb);

	if (t) {
		*code = slot_code(tb, slot_index(tb, t));
		*data = own_data(tb, t);
	}
	return t;
}

void *tramp_code(const struct tramp *t)
{
	struct table *tb = handle_table(t);

	return tb ? slot_code(tb, slot_index(tb, t)) : NULL;
}

/* tramp_retarget of live t in tb. */
static int retarget(struct tramp *t, struct table *tb, void *target,
		    void *data)
{
	uintptr_t lo, hi;

	if (tb->kind == TRAMP_CONTEXT) {
		if (data || !target) {
			errno = EINVAL;
			return -1;
		}
		arch_load_pair(t, &lo, &hi);
		hi = (uintptr_t)target;
	} else if (tb->dclass) {
		char *own = own_data(tb, t);

		if (data && data != own) {
			errno = EINVAL;
			return -1;
		}
		if (make_pair(target, own, &lo, &hi))
			return -1;
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

int tramp_retarget(struct tramp *t, void *target, void *data)
{
	struct table *tb = handle_table(t);

	return tb ? retarget(t, tb, target, data) : -1;
}

void *tramp_target(const struct tramp *t)
{
	uintptr_t lo, hi;

	if (!handle_table(t))
		return NULL;
	arch_load_pair(t, &lo, &hi);
	return (void *)hi;
}

void *tramp_data(const struct tramp *t)
{
	struct table *tb = handle_table(t);
	uintptr_t lo, hi;

	if (!tb || tb->kind == TRAMP_CONTEXT)
		return NULL;
	arch_load_pair(t, &lo, &hi);
	return (void *)lo;
}

struct tramp *tramp_data_slot(const void *data, struct table **tbp)
{
	struct table *tb = pool_table_of(data);
	unsigned shift;
	size_t off;
	char *s;

	if (!tb || !tb->dclass || (const char *)data < tb->udata)
		goto bad;
	shift = class_shift(tb->dclass);
	off = (size_t)((const char *)data - tb->udata);
	if ((off & (((size_t)1 << shift) - 1)) || off >> shift >= tb->nslots)
		goto bad;
	s = slot_at(tb, (unsigned)(off >> shift));
	if (slot_live(s)) {
		*tbp = tb;
		return (struct tramp *)s;
	}
bad:
	errno = EINVAL;
	return NULL;
}

struct tramp *tramp_lookup_data(const void *data)
{
	struct table *tb;

	return tramp_data_slot(data, &tb);
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
	uintptr_t lo, hi;
	void *ctx = NULL;

	arch_load_pair(t, &lo, &hi);
	if (tb->kind == TRAMP_CONTEXT)
		ctx = (void *)lo;
	arch_store_pair(t, 0, 0);
	if (ops->retire)
		ops->retire(tb, i);
	debug_code_freed(slot_code(tb, i));
	pool_free(tb, t);
	if (ctx)
		free(ctx);
}

/* The common case without a call: nothing to retire or free, no names,
   room in this thread's cache (co-allocated data needs nothing more: it
   stays with its slot).  Everything else goes through destroy(). */
void tramp_destroy(struct tramp *t)
{
	struct slot_cache *c;
	struct table *tb;

	if (!t)
		return;
	tb = handle_table(t);
	if (!tb)
		return;
	c = slot_cache_of(tb->backend, tb->kind, tb->dclass);
	if (tb->kind == TRAMP_CONTEXT || !c ||
	    backends[tb->backend]->retire ||
	    atomic_load_explicit(&debug_user_named, memory_order_relaxed) ||
	    !slot_cache_open(c)) {
		destroy(t, tb);
		return;
	}
	arch_store_pair(t, 0, 0);
	slot_cache_push(c, t);
}

int tramp_destroy_data(void *data)
{
	struct table *tb;
	struct tramp *t = tramp_data_slot(data, &tb);

	if (!t)
		return -1;
	destroy(t, tb);
	return 0;
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

	if (!tb)
		return -1;
	return tb->backend == BK_KERNEL ? TRAMP_KERNEL :
	       tb->backend == BK_KERNEL_CALL ? TRAMP_KERNEL_CALL : tb->backend;
}

_Noreturn void tramp_jump(const struct tramp_context *ctx)
{
	if (context_check(ctx))
		abort();
	arch_context_jump(ctx, ctx->pc);
}
