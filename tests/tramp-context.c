/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_CONTEXT and tramp_jump: listed registers take the given values,
 * the others keep the caller's; stack words land below the stack pointer
 * of the call, with and without moving it; execution continues at pc.
 */
#include <setjmp.h>
#include <stdint.h>
#include "harness.h"
#include "test_arch.h"

void ctx_probe(void);
extern uintptr_t ctx_seen[TRAMP_NREGS], ctx_above[8], ctx_below[8];

static jmp_buf back;

_Noreturn void ctx_done(void)
{
	longjmp(back, 1);
}

/* Call code with two arguments from one call site, so the return address
   is the same in every test. */
__attribute__((noinline)) static void call_it(void *code, uintptr_t a0,
					      uintptr_t a1)
{
	if (!setjmp(back))
		((void (*)(uintptr_t, uintptr_t))code)(a0, a1);
}

static void fill(struct tramp_context *c, unsigned nstack, unsigned flags)
{
	static const int regs[] = { TEST_CTX_REGS };

	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		c->mask |= 1ull << regs[i];
		c->regs[regs[i]] = 0x5a00 + (uintptr_t)regs[i];
	}
	c->nstack = nstack;
	c->flags = flags;
	for (unsigned i = 0; i < nstack; i++)
		c->stack[i] = 0xc0de0000 + i;
	c->pc = (void *)ctx_probe;
}

/* The registers of the last probe: masked ones set, the second argument
   register (unmasked) kept. */
static void check_regs(const struct tramp_context *c, uintptr_t a1)
{
	for (int i = 0; i < TRAMP_NREGS; i++)
		if (c->mask >> i & 1)
			CHECK(ctx_seen[i] == c->regs[i]);
	if (!(c->mask >> TRAMP_REG_ARG(1) & 1))
		CHECK(ctx_seen[TRAMP_REG_ARG(1)] == a1);
}

static void run(enum tramp_backend b)
{
	struct tramp_context c;
	struct tramp_spec spec = {
		.kind = TRAMP_CONTEXT, .backend = b, .context = &c,
	};
	struct tramp *t;
	uintptr_t ret;

	/* Without moving the stack pointer: words in the red zone, the
	   return address still on top. */
	fill(&c, 3, 0);
	t = tramp_create(&spec);
	CHECK(t);
	memset(&c, 0xee, sizeof(c));	/* the trampoline keeps a copy */
	fill(&c, 3, 0);
	call_it(tramp_code(t), 1, 0x1234);
	check_regs(&c, 0x1234);
	ret = ctx_above[0];
	CHECK(ctx_below[7] == 0xc0de0000);
	CHECK(ctx_below[6] == 0xc0de0001);
	CHECK(ctx_below[5] == 0xc0de0002);
	tramp_destroy(t);

	/* Moving it: 8 words pushed, the last one on top, then the return
	   address of the same call site. */
	fill(&c, 8, TRAMP_CONTEXT_MOVE_SP);
	t = tramp_create(&spec);
	CHECK(t);
	call_it(tramp_code(t), 2, 0x5678);
	check_regs(&c, 0x5678);
	for (unsigned i = 0; i < 8; i++)
		CHECK(ctx_above[i] == 0xc0de0007 - i);
	CHECK(ctx_seen[TRAMP_REG_SP] % 8 == 0);

	/* Retarget: only the pc may change, atomically with nothing. */
	uintptr_t rsp_before = ctx_seen[TRAMP_REG_SP];
	CHECK(tramp_retarget(t, (void *)ctx_probe, (void *)1) == -1 &&
	      errno == EINVAL);
	CHECK(tramp_retarget(t, NULL, NULL) == -1 && errno == EINVAL);
	CHECK(tramp_retarget(t, (void *)ctx_probe, NULL) == 0);
	memset(ctx_above, 0, sizeof(uintptr_t) * 8);
	call_it(tramp_code(t), 3, 0x9abc);
	check_regs(&c, 0x9abc);
	CHECK(ctx_seen[TRAMP_REG_SP] == rsp_before);
	CHECK(ctx_above[7] == 0xc0de0000);
	tramp_destroy(t);

	/* Every register but rsp, no words: the stack pointer is the
	   call's, and the return address on top is call_it's. */
	fill(&c, 0, 0);
	c.mask = ((1ull << TRAMP_NREGS) - 1) & ~TRAMP_CONTEXT_RESERVED;
	for (int i = 0; i < TRAMP_NREGS; i++)
		c.regs[i] = 0x7700 + (uintptr_t)i;
	t = tramp_create(&spec);
	CHECK(t);
	call_it(tramp_code(t), 4, 0);
	for (int i = 0; i < TRAMP_NREGS; i++)
		if (!(TRAMP_CONTEXT_RESERVED >> i & 1))
			CHECK(ctx_seen[i] == 0x7700 + (uintptr_t)i);
	if (TEST_RET_ON_STACK)
		CHECK(ctx_above[0] == ret);
	CHECK(ctx_seen[TRAMP_REG_SP] == rsp_before + 64);
	tramp_destroy(t);
	fprintf(stderr, "context on %s: ok\n", backend_names[b]);
}

/* The return address of call_it's call, seen at the top of the stack. */
static void check_return_address(void)
{
	struct tramp_context c;
	struct tramp_spec spec = { .kind = TRAMP_CONTEXT, .context = &c };
	struct tramp *t;
	uintptr_t top;

	fill(&c, 2, 0);
	t = tramp_create(&spec);
	CHECK(t);
	call_it(tramp_code(t), 0, 0);
	top = ctx_above[0];
	tramp_destroy(t);
	fill(&c, 2, TRAMP_CONTEXT_MOVE_SP);
	t = tramp_create(&spec);
	CHECK(t);
	call_it(tramp_code(t), 0, 0);
	CHECK(ctx_above[0] == 0xc0de0001 && ctx_above[1] == 0xc0de0000);
	CHECK(ctx_above[2] == top);
	tramp_destroy(t);
}

static void check_jump(void)
{
	struct tramp_context c;

	fill(&c, 4, TRAMP_CONTEXT_MOVE_SP);
	if (!setjmp(back))
		tramp_jump(&c);
	for (int i = 0; i < TRAMP_NREGS; i++)
		if (c.mask >> i & 1)
			CHECK(ctx_seen[i] == c.regs[i]);
	for (unsigned i = 0; i < 4; i++)
		CHECK(ctx_above[i] == 0xc0de0003 - i);
	fill(&c, 2, 0);
	if (!setjmp(back))
		tramp_jump(&c);
	CHECK(ctx_below[7] == 0xc0de0000 && ctx_below[6] == 0xc0de0001);
	CHECK(ctx_seen[TEST_CTX_HIGH_REG] == c.regs[TEST_CTX_HIGH_REG]);
}

int main(void)
{
	for_each_backend(run);
	check_return_address();
	check_jump();
	return 0;
}
