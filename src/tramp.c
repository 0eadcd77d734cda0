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

/* The table of a live handle, or NULL with EINVAL. */
static struct table *handle_table(const struct tramp *t)
{
	struct table *tb = pool_table_of(t);
	const char *s = (const char *)t;

	if (!tb || s < tb->data || (size_t)(s - tb->data) % SLOT_PAIR_SIZE ||
	    slot_index(tb, s) >= tb->nslots || !slot_target(s)) {
		errno = EINVAL;
		return NULL;
	}
	return tb;
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

struct tramp *tramp_create(const struct tramp_spec *spec)
{
	struct tramp_context *ctx;
	uintptr_t lo, hi;
	struct table *tb;
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
	if (backends[spec->backend]->publish) {
		tb = pool_table_of(slot);
		if (backends[spec->backend]->publish(tb, slot_index(tb, slot))) {
			int err = errno;

			arch_store_pair(slot, 0, 0);
			pool_free(tb, slot);
			free(ctx);
			errno = err;
			return NULL;
		}
	}
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
		arch_load_pair(t, &lo, &hi);
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

void tramp_destroy(struct tramp *t)
{
	struct table *tb;
	uintptr_t lo, hi;
	void *ctx;

	if (!t)
		return;
	tb = handle_table(t);
	if (!tb)
		return;
	arch_load_pair(t, &lo, &hi);
	ctx = tb->kind == TRAMP_CONTEXT ? (void *)lo : NULL;
	arch_store_pair(t, 0, 0);
	if (backends[tb->backend]->retire)
		backends[tb->backend]->retire(tb, slot_index(tb, t));
	debug_code_freed(slot_code(tb, slot_index(tb, t)));
	pool_free(tb, t);
	if (ctx)
		free(ctx);
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
