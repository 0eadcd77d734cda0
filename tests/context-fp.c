/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_CONTEXT keeps every vector register: a context that pushes 4 to 8
 * words and sets integer registers reaches a target taking eight doubles
 * and a float, on every backend, however the library's C code was compiled
 * (the context is applied in assembly; with clang -O2 a C helper once
 * copied the words through %xmm0/%xmm1 and the doubles arrived as 0).  A
 * context moving the stack pointer, whose pc drops the words before its
 * return (the shadow-stack rule of tramp_jump(3)), returns a double.
 */
#include <stdint.h>
#include "harness.h"
#include "test_arch.h"

typedef double fp_fn(double, double, double, double, double, double,
		     double, double, float);

/* k and m come from the context (first two integer registers). */
static double target(long k, long m, double a, double b, double c, double d,
		     double e, double f, double g, double h, float x)
{
	return (double)k * 1e9 + (double)m * 1e8 + a + b * 2 + c * 4 + d * 8 +
	       e * 16 + f * 32 + g * 64 + h * 128 + (double)x * 256;
}

double ctx_pop4(double x);

static double expected(long k, long m)
{
	return target(k, m, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 0.25f);
}

static void run(enum tramp_backend b)
{
	struct tramp_context c;
	struct tramp_spec spec = {
		.kind = TRAMP_CONTEXT, .backend = b, .context = &c,
	};

	for (unsigned n = 0; n <= TRAMP_CONTEXT_MAX_STACK; n++) {
		struct tramp *t;
		fp_fn *fn;

		memset(&c, 0, sizeof(c));
		c.mask = 1ull << TRAMP_REG_ARG(0) | 1ull << TRAMP_REG_ARG(1) |
			 1ull << TRAMP_REG_CHAIN;
		c.regs[TRAMP_REG_ARG(0)] = 3;
		c.regs[TRAMP_REG_ARG(1)] = (uintptr_t)n;
		c.regs[TRAMP_REG_CHAIN] = 10;
		if (TEST_FP_IN_GPRS) {
			/* The float, ninth FP argument, travels in the
			   first free integer register: the caller's a0,
			   the target's a2.  The context moves it. */
			float x = 0.25f;
			uint32_t bits;

			memcpy(&bits, &x, sizeof(bits));
			c.mask |= 1ull << TRAMP_REG_ARG(2);
			c.regs[TRAMP_REG_ARG(2)] = bits;
		}
		c.nstack = n;
		for (unsigned i = 0; i < n; i++)
			c.stack[i] = 0xabc0 + i;
		c.pc = (void *)target;
		t = tramp_create(&spec);
		CHECK(t);
		fn = (fp_fn *)tramp_code(t);
		CHECK(fn(1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 0.25f) ==
		      expected(3, n));
		/* Retargeted to the same pc: unchanged behaviour. */
		CHECK(tramp_retarget(t, (void *)target, NULL) == 0);
		CHECK(fn(1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 0.25f) ==
		      expected(3, n));
		tramp_destroy(t);
	}
	/* Moving the stack pointer: the pc drops the 4 words and returns to
	   the caller (what a shadow stack requires), xmm0 intact. */
	{
		struct tramp *t;
		double (*fn)(double);

		memset(&c, 0, sizeof(c));
		c.nstack = 4;
		c.flags = TRAMP_CONTEXT_MOVE_SP;
		for (unsigned i = 0; i < 4; i++)
			c.stack[i] = 10u << i;
		c.pc = (void *)ctx_pop4;
		t = tramp_create(&spec);
		CHECK(t);
		fn = (double (*)(double))tramp_code(t);
		for (int i = 0; i < 3; i++)
			CHECK(fn(0.5 + i) == 150.5 + i);
		tramp_destroy(t);
	}
	fprintf(stderr, "context with doubles on %s: ok\n", backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
