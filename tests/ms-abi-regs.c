/* SPDX-License-Identifier: MIT */
/*
 * Callers that follow the Microsoft ABI (__attribute__((ms_abi))) keep
 * %rsi, %rdi and %xmm6-%xmm15 (and rbx, rbp, r12-r15) across a call.  An
 * exact probe (src/arch/x86_64/test/msabi-probe.S) calls every kind on
 * every backend as such a caller and lists the registers that changed: CHAIN, HANDLER
 * (whose handler clobbers every register it may) and CONTEXT change none,
 * BIND exactly the argument registers it defines.  Then real ms_abi C
 * code calls CHAIN and HANDLER trampolines with floating-point state live.
 */
#if !defined(__x86_64__)
#include "harness.h"

int main(void)
{
	SKIP("ms_abi callers exist on x86_64 only");
}
#else
#include <stdint.h>
#include "harness.h"

uint32_t msabi_call(void *code, uint64_t arg, uint64_t out[2]);
uint64_t probe_ret_rdi(void), probe_ret_rsi(void), probe_ret42(void);
void probe_clobber(void);
uint64_t chain_target_reg(void);

#define RSI_BIT	(1u << 2)
#define RDI_BIT	(1u << 3)

static void h_clobber(struct tramp_frame *f, void *data)
{
	uintptr_t a = tramp_arg(f, 3);	/* ms_abi's first argument: %rcx */

	probe_clobber();
	tramp_set_return(f, a + (uintptr_t)data);
	tramp_set_return_double(f, 2.5);
}

static void check(const char *what, enum tramp_backend b, uint32_t got,
		  uint32_t want)
{
	if (got != want) {
		fprintf(stderr, "%s on %s: changed registers 0x%x, "
			"expected 0x%x\n", what, backend_names[b], got, want);
		exit(1);
	}
}

__attribute__((ms_abi, noinline)) static long ms_target(long a)
{
	return a * 3 + 1;
}

typedef long __attribute__((ms_abi)) (*ms_fn)(long);

/* ms_abi code keeping doubles live across calls through trampolines:
   the compiler may keep them in %xmm6-%xmm15. */
__attribute__((ms_abi, noinline)) static double ms_caller(ms_fn fn, int n)
{
	volatile double seed = 1.25;
	double a = seed, b = seed * 2, c = seed * 3, d = seed * 4;
	double e = seed * 5, g = seed * 6, h = seed * 7, k = seed * 8;
	long s = 0;

	for (int i = 0; i < n; i++) {
		s += fn(i);
		a += 1; b += 2; c += 3; d += 4;
		e += 5; g += 6; h += 7; k += 8;
	}
	return a + b + c + d + e + g + h + k + (double)s;
}

static void run(enum tramp_backend b)
{
	struct tramp_spec spec = { .backend = b };
	struct tramp_context c;
	uint64_t out[2];
	struct tramp *t;

	t = make(TRAMP_CHAIN, b, (void *)chain_target_reg, (void *)0x1234);
	check("chain", b, msabi_call(tramp_code(t), 7, out), 0);
	CHECK(out[0] == 0x1234);
	tramp_destroy(t);

	/* BIND: %rdi = data and %rsi = the caller's %rdi, by definition. */
	t = make(TRAMP_BIND, b, (void *)probe_ret_rdi, (void *)0x55);
	check("bind", b, msabi_call(tramp_code(t), 7, out),
	      RSI_BIT | RDI_BIT);
	CHECK(out[0] == 0x55);
	tramp_destroy(t);

	/* BIND with TRAMP_BIND_SRET: %rsi = data, %rdi kept. */
	spec.kind = TRAMP_BIND;
	spec.flags = TRAMP_BIND_SRET;
	spec.target = (void *)probe_ret_rsi;
	spec.data = (void *)0x66;
	t = tramp_create(&spec);
	CHECK(t);
	check("bind sret", b, msabi_call(tramp_code(t), 7, out), RSI_BIT);
	CHECK(out[0] == 0x66);
	tramp_destroy(t);

	t = make(TRAMP_HANDLER, b, (void *)h_clobber, (void *)100);
	check("handler", b, msabi_call(tramp_code(t), 7, out), 0);
	CHECK(out[0] == 107);
	CHECK(out[1] == 0x4004000000000000ull);	/* 2.5 */
	tramp_destroy(t);

	memset(&c, 0, sizeof(c));
	c.mask = 1ull << TRAMP_REG_R10 | 1ull << TRAMP_REG_RAX;
	c.regs[TRAMP_REG_R10] = 1;
	c.regs[TRAMP_REG_RAX] = 2;
	c.nstack = 8;
	for (int i = 0; i < 8; i++)
		c.stack[i] = 0xf00 + (uintptr_t)i;
	c.pc = (void *)probe_ret42;
	spec = (struct tramp_spec){ .kind = TRAMP_CONTEXT, .backend = b,
				    .context = &c };
	t = tramp_create(&spec);
	CHECK(t);
	check("context", b, msabi_call(tramp_code(t), 7, out), 0);
	CHECK(out[0] == 42);
	tramp_destroy(t);

	/* Real ms_abi code. */
	t = make(TRAMP_CHAIN, b, (void *)ms_target, NULL);
	CHECK(ms_caller((ms_fn)tramp_code(t), 100) ==
	      ms_caller(ms_target, 100));
	tramp_destroy(t);
	fprintf(stderr, "ms_abi registers on %s: ok\n", backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
#endif
