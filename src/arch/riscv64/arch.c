/* SPDX-License-Identifier: MIT */
/*
 * riscv64 C side: handler frame accessors (LP64D classification, with the
 * hardware floating-point calling convention) and context application
 * shared by the static thunks and the signal-based backends.
 */
#include <string.h>
#include <sys/cachectl.h>

#include "internal.h"

uintptr_t tramp_arg(const struct tramp_frame *f, unsigned i)
{
	if (!f)
		return 0;
	if (i < TRAMP_NARGREGS)
		return f->gpr[i];
	return f->stack[i - TRAMP_NARGREGS];
}

/*
 * Floating-point argument i: fa0-fa7, then, as the psABI passes them once
 * the FP registers are used up, integer registers (a0-a7, when no integer
 * argument took them), then the stack.  Right when no integer argument
 * precedes the spill; otherwise read tramp_arg() yourself.
 */
static uint64_t fp_bits(const struct tramp_frame *f, unsigned i)
{
	if (i < TRAMP_NVECREGS)
		return f->fpr[i];
	if (i < TRAMP_NVECREGS + TRAMP_NARGREGS)
		return f->gpr[i - TRAMP_NVECREGS];
	return f->stack[i - TRAMP_NVECREGS - TRAMP_NARGREGS];
}

double tramp_arg_double(const struct tramp_frame *f, unsigned i)
{
	uint64_t b;
	double d;

	if (!f)
		return 0;
	b = fp_bits(f, i);
	memcpy(&d, &b, sizeof(d));
	return d;
}

/* A float sits in the low 32 bits (NaN-boxed in an FP register). */
float tramp_arg_float(const struct tramp_frame *f, unsigned i)
{
	uint32_t b;
	float v;

	if (!f)
		return 0;
	b = (uint32_t)fp_bits(f, i);
	memcpy(&v, &b, sizeof(v));
	return v;
}

/* The 8 bytes of fa i (the base ABI has no vector registers); the rest of
   the 16 bytes at v is zeroed. */
int tramp_arg_vector(const struct tramp_frame *f, unsigned i, void *v)
{
	if (!f || !v || i >= TRAMP_NVECREGS) {
		errno = EINVAL;
		return -1;
	}
	memset(v, 0, 16);
	memcpy(v, &f->fpr[i], sizeof(f->fpr[i]));
	return 0;
}

const uintptr_t *tramp_stack_args(const struct tramp_frame *f)
{
	return f ? f->stack : NULL;
}

/* No count is passed (variadic FP arguments travel in integer registers):
   every FP argument register may hold one. */
unsigned tramp_vector_count(const struct tramp_frame *f)
{
	return f ? TRAMP_NVECREGS : 0;
}

/* The hidden pointer is the first integer argument, a0. */
void *tramp_struct_return(const struct tramp_frame *f)
{
	return f ? (void *)f->gpr[0] : NULL;
}

void tramp_set_return(struct tramp_frame *f, uintptr_t v)
{
	if (f)
		f->ret[0] = v;
}

void tramp_set_return2(struct tramp_frame *f, uintptr_t lo, uintptr_t hi)
{
	if (f) {
		f->ret[0] = lo;
		f->ret[1] = hi;
	}
}

void tramp_set_return_double(struct tramp_frame *f, double v)
{
	if (f)
		memcpy(&f->fret[0], &v, sizeof(v));
}

void tramp_set_return_double2(struct tramp_frame *f, double a, double b)
{
	if (f) {
		memcpy(&f->fret[0], &a, sizeof(a));
		memcpy(&f->fret[1], &b, sizeof(b));
	}
}

/* NaN-boxed, as a float in a 64-bit FP register must be. */
static uint64_t box(float v)
{
	uint32_t b;

	memcpy(&b, &v, sizeof(b));
	return 0xffffffff00000000ull | b;
}

void tramp_set_return_float(struct tramp_frame *f, float v)
{
	if (f)
		f->fret[0] = box(v);
}

/* fa0 and fa1 are the only FP return registers; 8 bytes of v each (two
   floats of a struct: tramp_set_return_float's boxing is the caller's). */
int tramp_set_return_vector(struct tramp_frame *f, unsigned i, const void *v)
{
	if (!f || !v || i > 1) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&f->fret[i], v, sizeof(f->fret[i]));
	return 0;
}

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
