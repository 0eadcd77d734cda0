/* SPDX-License-Identifier: MIT */
/*
 * riscv64 C side: long double results of HANDLER frames (LP64D), context
 * application shared by the static thunks and the signal-based backends,
 * and the instruction-cache fallback of membarrier SYNC_CORE.
 */
#include <string.h>
#include <sys/cachectl.h>

#include "internal.h"

/* long double is IEEE binary128, returned in a0 and a1. */
void tramp_set_return_long_double(struct tramp_frame *f, long double v)
{
	if (f)
		memcpy(f->ret, &v, sizeof(v));
}

/* A _Complex long double (32 bytes) is returned in memory: written to the
   hidden pointer, which is returned in a0. */
void tramp_set_return_long_double2(struct tramp_frame *f, long double re,
				   long double im)
{
	long double *out;

	if (!f)
		return;
	out = (long double *)f->gpr[0];
	memcpy(&out[0], &re, sizeof(re));
	memcpy(&out[1], &im, sizeof(im));
	f->ret[0] = f->gpr[0];
}

/* Called by the context thunk and arch_context_jump (thunks.S) with the
   image on their stack: t1 gets the final stack pointer, t3 the pc. */
__attribute__((no_sanitize_address, used)) void
arch_context_apply(uintptr_t *img, const struct tramp_context *c, void *pc)
{
	img[TRAMP_REG_T1] = context_image(img, c);
	img[TRAMP_REG_T3] = (uintptr_t)pc;
}

/* riscv_flush_icache for every hart (flags 0: not only this thread's). */
int arch_sync_core_fallback(void)
{
	return __riscv_flush_icache(NULL, NULL, 0);
}
