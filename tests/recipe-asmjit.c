/* SPDX-License-Identifier: MIT */
/* doc/integrations.md, asmjit-style JITs: a JitAllocator-like interface
   (alloc returning both views, write through rw, run rx, shrink by
   nothing, release by rx) on dual-view buffers, used from several threads
   at once; the code is never writable where it runs.  Each thread emits
   "return k" (code_ret of test_arch.h: mov $k, %eax; ret on x86_64;
   bti c; movz; movk; ret on aarch64, its landing pad taking the call
   through the function pointer in PROT_BTI pages; lui; addiw; ret on
   riscv64) with a new k every time. */
#include <pthread.h>
#include <stdint.h>
#include "harness.h"
#include "test_arch.h"

/* The recipe: JitAllocator::alloc(&rx, &rw, size) and release(rx). */
static int jit_alloc(void **rx, void **rw, size_t size)
{
	*rx = jit_dual_alloc(size, rw);
	return *rx ? 0 : -1;
}

static int jit_release(void *rx)
{
	return jit_dual_free(rx);
}

static void *worker(void *arg)
{
	int base = (int)(intptr_t)arg;

	for (int i = 0; i < 2000; i++) {
		void *rx, *rw;
		int k = base + i;

		CHECK(jit_alloc(&rx, &rw, CODE_RET_LEN) == 0);
		CHECK(rx != rw);
		code_ret(rw, (uint32_t)k);
		CHECK(jit_dual_commit(rx, CODE_RET_LEN, 0) == 0);
		CHECK(((int (*)(void))rx)() == k);
		CHECK(jit_release(rx) == 0);
	}
	return NULL;
}

int main(void)
{
	pthread_t th[3];

	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&th[i], NULL, worker,
				     (void *)(intptr_t)(i * 100000)) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	return 0;
}
