/* SPDX-License-Identifier: MIT */
/*
 * Small JIT objects for the heap tests: code returning a value, made on
 * each write path, and the quarantine's release count.
 */
#ifndef TRAMPJIT_TEST_JIT_OBJECTS_H
#define TRAMPJIT_TEST_JIT_OBJECTS_H

#include <stdint.h>

#include "harness.h"
#include "test_arch.h"

static inline int call(void *rx)
{
	return ((int (*)(void))rx)();
}

/* A committed dual-view buffer of len bytes returning v (it must arrive
   as filler), or NULL when the allocation fails. */
static inline void *dual(size_t len, uint32_t v)
{
	unsigned char *rw;
	void *rx = jit_dual_alloc(len, (void **)&rw);

	if (!rx)
		return NULL;
	CHECK(test_is_fill(rw) && test_is_fill(rw + len - 4));
	code_ret(rw, v);
	CHECK(!jit_dual_commit(rx, len, 0));
	return rx;
}

/* jit_create_code (the current mode) of len <= 1 KiB bytes returning v. */
static inline void *alias(size_t len, uint32_t v)
{
	unsigned char b[1024];

	CHECK(len <= sizeof(b));
	memset(b, 0x5a, len);
	code_ret(b, v);
	return jit_create_code(b, len);
}

/* An object of jit_create_code with bytes known from (len, v). */
struct obj {
	unsigned char *rx;
	size_t len;
	uint32_t v;
};

static inline void source(unsigned char *b, size_t len, uint32_t v)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(v * 7 + i * 13 + 1);
	code_ret(b, v);
}

static inline void make_obj(struct obj *o, size_t len, uint32_t v)
{
	unsigned char b[2048];

	CHECK(len <= sizeof(b));
	source(b, len, v);
	o->rx = jit_create_code(b, len);
	CHECK(o->rx);
	o->len = len;
	o->v = v;
}

static inline unsigned long flushes(void)
{
	struct jit_stats st;

	CHECK(!jit_get_stats(&st));
	return st.quarantine_flushes;
}

#endif
