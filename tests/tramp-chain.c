/* SPDX-License-Identifier: MIT */
/* TRAMP_CHAIN: the target sees data in r10 (checked in assembly), every
   argument register and the stack arguments unchanged. */
#include <stdint.h>
#include "harness.h"

uintptr_t chain_target_r10(void);
uintptr_t chain_target_r10_plus_args(long, long, long, long, long, long,
				     long);

static void run(enum tramp_backend b)
{
	struct tramp *t[64];

	for (int i = 0; i < 64; i++)
		t[i] = make(TRAMP_CHAIN, b, (void *)chain_target_r10,
			    (void *)(uintptr_t)(0x1000 + i));
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 64; i++)
			CHECK(((uintptr_t (*)(void))tramp_code(t[i]))() ==
			      (uintptr_t)(0x1000 + i));
	for (int i = 0; i < 64; i++)
		tramp_destroy(t[i]);

	struct tramp *s = make(TRAMP_CHAIN, b,
			       (void *)chain_target_r10_plus_args,
			       (void *)1000000);
	CHECK(((uintptr_t (*)(long, long, long, long, long, long, long))
	       tramp_code(s))(1, 2, 3, 4, 5, 6, 7000) == 1007021);
	CHECK(tramp_retarget(s, (void *)chain_target_r10, (void *)42) == 0);
	CHECK(((uintptr_t (*)(void))tramp_code(s))() == 42);
	tramp_destroy(s);
	fprintf(stderr, "chain on %s: ok\n", backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
