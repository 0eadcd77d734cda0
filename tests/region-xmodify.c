/* SPDX-License-Identifier: MIT */
/*
 * Cross-modifying code under load, in every append mode: one thread
 * appends NFUNCS small functions (mov $k, %eax; ret) and publishes each
 * address with a release store; two threads call the newest published one
 * continuously and check that it returns its k.  A caller whose CPU still
 * holds the filler of the next slot takes the breakpoint fixup; SWAP
 * callers may take the swap-gap retry.  Zero wrong results allowed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define NFUNCS	20000
#define NCALLERS 2
#define LAG	64	/* appends a caller may fall behind */

static const char *const mode_names[] = { "pwrite", "alias", "swap" };

static void *funcs[NFUNCS + 1];		/* by k */
static _Atomic unsigned latest;		/* newest published k, 0: none */
static _Atomic int done;
static _Atomic unsigned long wrong, calls;
static _Atomic unsigned seen;		/* a k some caller has run */
static _Atomic int ready;		/* callers started */

static void *caller(void *arg)
{
	unsigned long n = 0, bad = 0;

	atomic_fetch_add(&ready, 1);
	while (!atomic_load_explicit(&done, memory_order_acquire)) {
		unsigned k = atomic_load_explicit(&latest,
						  memory_order_acquire);

		if (!k)
			continue;
		if (((int (*)(void))funcs[k])() != (int)k)
			bad++;
		atomic_store_explicit(&seen, k, memory_order_relaxed);
		n++;
	}
	atomic_fetch_add(&calls, n);
	atomic_fetch_add(&wrong, bad);
	return NULL;
}

static void run(int mode)
{
	struct jit_region *r;
	struct jit_stats a, b;
	pthread_t t[NCALLERS];
	unsigned char code[CODE_RET_LEN];

	r = jit_region_create((size_t)NFUNCS * JIT_REGION_ALIGN, mode);
	CHECK(r);
	atomic_store(&latest, 0);
	atomic_store(&done, 0);
	atomic_store(&wrong, 0);
	atomic_store(&calls, 0);
	atomic_store(&seen, 0);
	atomic_store(&ready, 0);
	CHECK(jit_get_stats(&a) == 0);
	for (int i = 0; i < NCALLERS; i++)
		CHECK(pthread_create(&t[i], NULL, caller, NULL) == 0);
	while (atomic_load(&ready) < NCALLERS)
		sched_yield();
	for (uint32_t k = 1; k <= NFUNCS; k++) {
		/* Keep the callers close behind: the next slot shares their
		   cache line. */
		while (k > LAG && atomic_load_explicit(&seen,
				memory_order_relaxed) < k - LAG)
			sched_yield();
		code_ret(code, k);
		funcs[k] = jit_region_append(r, code, sizeof(code));
		CHECK(funcs[k]);
		atomic_store_explicit(&latest, k, memory_order_release);
	}
	atomic_store_explicit(&done, 1, memory_order_release);
	for (int i = 0; i < NCALLERS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK(jit_get_stats(&b) == 0);
	printf("%-6s: %d appends, %lu calls, %lu wrong, %lu breakpoint "
	       "fixups, %lu swap retries, %lu page swaps\n", mode_names[mode],
	       NFUNCS, atomic_load(&calls), atomic_load(&wrong),
	       b.trap_fixups - a.trap_fixups,
	       b.segv_retries - a.segv_retries, b.page_swaps - a.page_swaps);
	CHECK(atomic_load(&wrong) == 0);
	CHECK(atomic_load(&calls) > 0);
	for (uint32_t k = 1; k <= NFUNCS; k++)
		CHECK(((int (*)(void))funcs[k])() == (int)k);
	jit_region_destroy(r);
}

int main(void)
{
	for (int mode = JIT_APPEND_PWRITE; mode <= JIT_APPEND_SWAP; mode++)
		run(mode);
	return 0;
}
