/* SPDX-License-Identifier: MIT */
/* TRAMP_CHAIN: the target sees data in the static chain register
   (checked in assembly), every argument register and the stack arguments
   unchanged. */
#include <stdint.h>
#include "harness.h"
#include "test_arch.h"

static void run(enum tramp_backend b)
{
	struct tramp *t[64];

	for (int i = 0; i < 64; i++)
		t[i] = make(TRAMP_CHAIN, b, (void *)chain_target_reg,
			    (void *)(uintptr_t)(0x1000 + i));
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 64; i++)
			CHECK(((uintptr_t (*)(void))tramp_code(t[i]))() ==
			      (uintptr_t)(0x1000 + i));
	for (int i = 0; i < 64; i++)
		tramp_destroy(t[i]);

	struct tramp *s = make(TRAMP_CHAIN, b,
			       (void *)chain_target_reg_plus_args,
			       (void *)1000000);
	CHECK(call_chain_args(tramp_code(s)) == CHAIN_ARGS_SUM(1000000));
	CHECK(tramp_retarget(s, (void *)chain_target_reg, (void *)42) == 0);
	CHECK(((uintptr_t (*)(void))tramp_code(s))() == 42);
	tramp_destroy(s);
	fprintf(stderr, "chain on %s: ok\n", backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
