/* SPDX-License-Identifier: MIT */
/*
 * Bad input: every public trampoline function answers NULL/-1 with EINVAL
 * (or does nothing) instead of crashing, and changes nothing.
 */
#include <stdint.h>
#include "harness.h"

static long f(long x) { return x + 1; }
static void h(struct tramp_frame *fr, void *d) { tramp_set_return(fr, 3); }

static void expect_null(const struct tramp_spec *spec)
{
	errno = 0;
	CHECK(tramp_create(spec) == NULL);
	CHECK(errno == EINVAL);
}

int main(void)
{
	struct tramp_context ctx = { .pc = (void *)f };
	struct tramp_spec spec = { .kind = TRAMP_CHAIN, .target = (void *)f };
	struct tramp *t, *u;
	int on_stack;
	char *heap = malloc(64), *code;

	expect_null(NULL);
	spec.kind = (enum tramp_kind)4;
	expect_null(&spec);
	spec.kind = (enum tramp_kind)-1;
	expect_null(&spec);
	spec.kind = TRAMP_CHAIN;
	spec.backend = (enum tramp_backend)4;
	expect_null(&spec);
	spec.backend = (enum tramp_backend)-7;
	expect_null(&spec);
	spec.backend = TRAMP_STATIC;
	spec.target = NULL;
	expect_null(&spec);
	spec.kind = TRAMP_BIND;
	expect_null(&spec);
	spec.kind = TRAMP_HANDLER;
	spec.target = (void *)f;	/* a target is not a handler */
	expect_null(&spec);
	spec.kind = TRAMP_CONTEXT;
	spec.context = NULL;
	expect_null(&spec);
	spec.context = &ctx;
	ctx.mask = 1ull << TRAMP_REG_SP;
	expect_null(&spec);
	ctx.mask = 1ull << TRAMP_NREGS;
	expect_null(&spec);
	ctx.mask = 0;
	ctx.nstack = TRAMP_CONTEXT_MAX_STACK + 1;
	expect_null(&spec);
	ctx.nstack = 0;
	ctx.flags = 2;
	expect_null(&spec);
	ctx.flags = 0;
	ctx.pc = NULL;
	expect_null(&spec);

	/* Destroy, code, retarget, lookup on things that are not live
	   trampolines. */
	tramp_destroy(NULL);
	errno = 0;
	CHECK(tramp_code(NULL) == NULL && errno == EINVAL);
	CHECK(tramp_retarget(NULL, (void *)f, NULL) == -1 && errno == EINVAL);
	CHECK(tramp_kind_of(NULL) == -1 && tramp_backend_of(NULL) == -1);
	CHECK(tramp_lookup(NULL) == NULL && errno == EINVAL);
	CHECK(tramp_lookup(&on_stack) == NULL);
	CHECK(tramp_lookup(heap) == NULL);
	CHECK(tramp_lookup((void *)f) == NULL);
	CHECK(tramp_lookup((void *)-1) == NULL);
	CHECK(tramp_code((struct tramp *)heap) == NULL && errno == EINVAL);
	tramp_destroy((struct tramp *)heap);	/* not ours: ignored */

	spec = (struct tramp_spec){ .kind = TRAMP_CHAIN, .target = (void *)f };
	t = tramp_create(&spec);
	CHECK(t);
	code = tramp_code(t);
	CHECK(tramp_lookup(code) == t);
	for (int i = 1; i < 16; i++)
		CHECK(tramp_lookup(code + i) == NULL);	/* misaligned */
	CHECK(tramp_code((struct tramp *)((char *)t + 8)) == NULL);
	CHECK(tramp_retarget(t, NULL, NULL) == -1 && errno == EINVAL);
	CHECK(((long (*)(long))code)(1) == 2);	/* unchanged */
	/* The neighbouring stub is not a live trampoline. */
	u = tramp_lookup(code + 16);
	CHECK(u == NULL || tramp_code(u) == code + 16);
	tramp_destroy(t);
	CHECK(tramp_lookup(code) == NULL);
	errno = 0;
	tramp_destroy(t);			/* double destroy: ignored */
	CHECK(errno == EINVAL);
	CHECK(tramp_code(t) == NULL);
	CHECK(tramp_retarget(t, (void *)f, NULL) == -1 && errno == EINVAL);

	/* The library still works. */
	spec = (struct tramp_spec){ .kind = TRAMP_HANDLER, .handler = h };
	t = tramp_create(&spec);
	CHECK(t && ((long (*)(void))tramp_code(t))() == 3);
	tramp_destroy(t);
	free(heap);
	return 0;
}
