/* SPDX-License-Identifier: MIT */
/* doc/integrations.md, sljit and PCRE2: the executable-allocator hooks
   sljit takes when built without its own allocator, on dual-view buffers,
   driven the way sljit drives them (write code at the RW pointer, compute
   the executable address with the exec offset, flush, run; free by the
   RW pointer), with a relative jump inside the code and an absolute call
   out of it. */
#if !defined(__x86_64__) && !defined(__aarch64__) && \
	!(defined(__riscv) && __riscv_xlen == 64)
#include "harness.h"

int main(void)
{
	SKIP("the recipe has code for x86_64, aarch64 and riscv64 only");
}
#else
#include <stddef.h>
#include <stdint.h>
#include "harness.h"
#include "test_arch.h"

/* The recipe: SLJIT_MALLOC_EXEC, SLJIT_FREE_EXEC, SLJIT_EXEC_OFFSET and
   SLJIT_CACHE_FLUSH of sljitConfigInternal.h. */
static void *exec_alloc(size_t size)
{
	void *rw;

	return jit_dual_alloc(size, &rw) ? rw : NULL;
}

static void exec_free(void *rw)
{
	jit_dual_free(rw);
}

static ptrdiff_t exec_offset(void *rw)
{
	return (char *)jit_dual_rx(rw) - (char *)rw;
}

static void cache_flush(void *from, void *to)
{
	jit_dual_commit(from, (size_t)((char *)to - (char *)from), 0);
}

static long helper(long x)
{
	return x * 3;
}

#if defined(__x86_64__)
/* What a generator emits: jmp over a filler; mov $helper, %rax;
   jmp *%rax (a tail call with the argument in %rdi). */
static size_t emit(unsigned char *p)
{
	size_t n = 0;
	uint64_t target = (uint64_t)(uintptr_t)helper;

	p[n++] = 0xeb;			/* jmp +2 */
	p[n++] = 0x02;
	p[n++] = 0x0f;			/* ud2, jumped over */
	p[n++] = 0x0b;
	p[n++] = 0x48;			/* movabs $helper, %rax */
	p[n++] = 0xb8;
	memcpy(p + n, &target, 8);
	n += 8;
	p[n++] = 0xff;			/* jmp *%rax */
	p[n++] = 0xe0;
	return n;
}
#elif defined(__aarch64__)
/* bti c (the call through fn lands here, in PROT_BTI pages where the
   process uses BTI); b over a filler; movz/movk x16, #helper (four
   16-bit pieces, sljit's absolute constant); br x16: a tail call with
   the argument in x0, through x16, from which a BR may land on helper's
   "bti c" or "paciasp". */
static size_t emit(unsigned char *p)
{
	uint64_t a = (uint64_t)(uintptr_t)helper;

	put32(p, I_BTI_C);
	code_branch(p + 4, 8);			/* b .+8 */
	put32(p + 8, 0);			/* udf #0, jumped over */
	put32(p + 12, 0xd2800010u | (uint32_t)(a & 0xffff) << 5);
	for (unsigned hw = 1; hw < 4; hw++)	/* movk x16, #, lsl 16 * hw */
		put32(p + 12 + 4 * hw, 0xf2800010u | hw << 21 |
			(uint32_t)(a >> 16 * hw & 0xffff) << 5);
	put32(p + 28, 0xd61f0200u);		/* br x16 */
	return 32;
}
#elif defined(__riscv) && __riscv_xlen == 64
/* j over a filler; helper's address built in the shape of sljit's
   rewritable jumps: the upper 32 bits in t1 (lui; addiw; slli 32), the
   next 20 from lui t0 added in, the last 12 in the offset of the jump;
   jr lo(t1): a tail call with the argument in a0. */
static size_t emit(unsigned char *p)
{
	int64_t a = (int64_t)(uintptr_t)helper;
	int64_t lo = ((a & 0xfff) ^ 0x800) - 0x800;
	int64_t mid = (int32_t)(uint32_t)(a - lo);	/* lui: sign-extends */
	int64_t hi = (a - lo - mid) / ((int64_t)1 << 32);

	CHECK(hi >= INT32_MIN && hi < INT32_MAX - 0x800);
	code_branch(p, 8);				/* j .+8 */
	put32(p + 4, 0);				/* unimp */
	put32(p + 8, 0x00000337u | (((uint32_t)hi + 0x800) & 0xfffff000u));
	put32(p + 12, 0x0003031bu | ((uint32_t)hi & 0xfff) << 20); /* addiw */
	put32(p + 16, 0x02031313u);			/* slli t1, t1, 32 */
	put32(p + 20, 0x000002b7u | ((uint32_t)mid & 0xfffff000u)); /* lui */
	put32(p + 24, 0x00530333u);			/* add t1, t1, t0 */
	put32(p + 28, 0x00030067u | ((uint32_t)lo & 0xfff) << 20);  /* jr */
	return 32;
}
#endif

int main(void)
{
	for (int i = 0; i < 100; i++) {
		unsigned char *code = exec_alloc(64);
		long (*fn)(long);
		size_t n;

		CHECK(code);
		n = emit(code);
		fn = (long (*)(long))(code + exec_offset(code));
		cache_flush(fn, (char *)fn + n);
		CHECK(fn(i) == 3 * i);
		exec_free(code);
	}
	return 0;
}
#endif
