/* SPDX-License-Identifier: MIT */
/*
 * C++ exceptions cross trampolines: a callback reached through TRAMP_CHAIN,
 * TRAMP_BIND, TRAMP_HANDLER (and TRAMP_CONTEXT) throws, and the try in the
 * C++ caller on the other side catches it, with destructors of the frames
 * in between run, on every backend.  Likewise through JIT code named with
 * unwind info (jit_name_unwind).
 */
#include <stdexcept>
/* trampjit.h declares tramp_jump() with C11's _Noreturn. */
#if !defined(_Noreturn)
#define _Noreturn [[noreturn]]
#endif
#include <string>
#include "debug-code.h"

static int destroyed;

struct guard {
	~guard() { destroyed++; }
};

struct oops : std::runtime_error {
	long v;
	explicit oops(long x) : std::runtime_error("oops"), v(x) {}
};

__attribute__((noinline)) static long cb_plain(long x)
{
	guard g;

	if (x > 0)
		throw oops(x);
	return x;
}

__attribute__((noinline)) static long cb_bind(void *data, long x)
{
	guard g;

	if (x > 0)
		throw oops(x + (long)(intptr_t)data);
	return x;
}

static void cb_handler(struct tramp_frame *f, void *data)
{
	guard g;
	long x = (long)tramp_arg(f, 0);

	if (x > 0)
		throw oops(x + (long)(intptr_t)data);
	tramp_set_return(f, (uintptr_t)x);
}

/* The caller: a frame with its own cleanup between try and trampoline. */
__attribute__((noinline)) static long call(long (*fn)(long), long x)
{
	guard g;
	long r = fn(x);

	__asm__ volatile("" : "+r"(r));
	return r;
}

static void run(enum tramp_backend b)
{
	struct tramp_context ctx = {};
	ctx.pc = (void *)cb_plain;
	struct tramp_spec spec = {};
	spec.kind = TRAMP_CONTEXT;
	spec.backend = b;
	spec.context = &ctx;
	struct tramp *t[4] = {
		make(TRAMP_CHAIN, b, (void *)cb_plain, NULL),
		make(TRAMP_BIND, b, (void *)cb_bind, (void *)1000),
		make(TRAMP_HANDLER, b, (void *)cb_handler, (void *)2000),
		tramp_create(&spec),
	};
	static const long add[4] = { 0, 1000, 2000, 0 };

	CHECK(t[3] != NULL);
	for (int k = 0; k < 4; k++) {
		long (*fn)(long) = (long (*)(long))tramp_code(t[k]);
		int caught = 0;

		for (int i = 1; i <= 100; i++) {
			destroyed = 0;
			try {
				call(fn, i);
			} catch (const oops &e) {
				CHECK(e.v == i + add[k]);
				caught++;
			}
			CHECK(destroyed == 2);	/* callback and caller */
		}
		CHECK(caught == 100);
		CHECK(call(fn, -5) == -5);	/* still works */
		tramp_destroy(t[k]);
	}
	fprintf(stderr, "exceptions through %s: ok\n", backend_names[b]);
}

static void jit()
{
	void *fn = jit_call_new((void *)cb_plain);
	int caught = 0;

	CHECK(jit_name_unwind(fn, JIT_CALL_LEN, "throwing_jit", jit_call_cfi,
			      sizeof(jit_call_cfi)) == 0);
	for (int i = 1; i <= 100; i++) {
		destroyed = 0;
		try {
			call((long (*)(long))fn, i);
		} catch (const oops &e) {
			CHECK(e.v == i);
			caught++;
		}
		CHECK(destroyed == 2);
	}
	CHECK(caught == 100);
	CHECK(jit_unname(fn) == 0);
	fprintf(stderr, "exceptions through named JIT code: ok\n");
}

int main()
{
	for_each_backend(run);
	jit();
	return 0;
}
