/* SPDX-License-Identifier: MIT */
/* doc/integrations.md, asmjit-style JITs: a JitAllocator-like interface
   (alloc returning both views, write through rw, run rx, shrink by
   nothing, release by rx) on dual-view buffers, used from several threads
   at once; the code is never writable where it runs. */
#if !defined(__x86_64__)
#include "harness.h"

int main(void)
{
	SKIP("x86_64 machine code (the recipe emits it); not written for this architecture yet");
}
#else
#include <pthread.h>
#include <stdint.h>
#include "harness.h"

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

/* mov $k, %eax; ret */
static const unsigned char ret_k[] = { 0xb8, 0, 0, 0, 0, 0xc3 };

static void *worker(void *arg)
{
	int base = (int)(intptr_t)arg;

	for (int i = 0; i < 2000; i++) {
		void *rx, *rw;
		int k = base + i;

		CHECK(jit_alloc(&rx, &rw, sizeof(ret_k)) == 0);
		CHECK(rx != rw);
		memcpy(rw, ret_k, sizeof(ret_k));
		memcpy((char *)rw + 1, &k, 4);
		CHECK(jit_dual_commit(rx, sizeof(ret_k), 0) == 0);
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
#endif
