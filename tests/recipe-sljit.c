/* SPDX-License-Identifier: MIT */
/* doc/integrations.md, sljit and PCRE2: the executable-allocator hooks
   sljit takes when built without its own allocator, on dual-view buffers,
   driven the way sljit drives them (write code at the RW pointer, compute
   the executable address with the exec offset, flush, run; free by the
   RW pointer), with a relative jump inside the code and an absolute call
   out of it. */
#if !defined(__x86_64__)
#include "harness.h"

int main(void)
{
	SKIP("x86_64 machine code (the recipe emits it); not written for this architecture yet");
}
#else
#include <stddef.h>
#include <stdint.h>
#include "harness.h"

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
