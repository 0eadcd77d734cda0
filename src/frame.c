/* SPDX-License-Identifier: MIT */
/*
 * HANDLER frame accessors, the same on every architecture: the frame is
 * the one the architecture's handler thunk builds (struct tramp_frame),
 * and where each value lives in it (the ABI's classification) comes from
 * the ARCH_FRAME_* macros of arch.h.  Only long double results, which
 * every ABI returns its own way, are set in arch.c.
 */
#include <string.h>

/* The exported accessors are defined here; trampjit.h's inline copies,
   for applications, must not be. */
#define TRAMPJIT_NO_INLINE
#include "internal.h"

#define FRAME	((struct tramp_frame *)0)
/* Bytes of an FP argument register and of an FP result register. */
#define VEC_BYTES	sizeof(ARCH_FRAME_VECS(FRAME)[0])
#define FRET_BYTES	sizeof(ARCH_FRAME_FRETS(FRAME)[0])
#define FRET_REGS	(sizeof(ARCH_FRAME_FRETS(FRAME)) / FRET_BYTES)

/* FP argument i: register i, then stack words, unless the architecture
   says otherwise. */
#ifndef ARCH_FRAME_FP_ARG
static const void *fp_arg(const struct tramp_frame *f, unsigned i)
{
	if (i < TRAMP_NVECREGS)
		return &ARCH_FRAME_VECS(f)[i];
	return &f->stack[i - TRAMP_NVECREGS];
}
#define ARCH_FRAME_FP_ARG	fp_arg
#endif

static void *fret(struct tramp_frame *f, unsigned i)
{
	return &ARCH_FRAME_FRETS(f)[i];
}

uintptr_t tramp_arg(const struct tramp_frame *f, unsigned i)
{
	if (!f)
		return 0;
	if (i < TRAMP_NARGREGS)
		return f->gpr[i];
	return f->stack[i - TRAMP_NARGREGS];
}

double tramp_arg_double(const struct tramp_frame *f, unsigned i)
{
	double d;

	if (!f)
		return 0;
	memcpy(&d, ARCH_FRAME_FP_ARG(f, i), sizeof(d));
	return d;
}

/* A float is the low 4 bytes of its register or stack word. */
float tramp_arg_float(const struct tramp_frame *f, unsigned i)
{
	float v;

	if (!f)
		return 0;
	memcpy(&v, ARCH_FRAME_FP_ARG(f, i), sizeof(v));
	return v;
}

/* The VEC_BYTES of vector register i; the rest of the 16 bytes at v is
   zeroed. */
int tramp_arg_vector(const struct tramp_frame *f, unsigned i, void *v)
{
	if (!f || !v || i >= TRAMP_NVECREGS) {
		errno = EINVAL;
		return -1;
	}
	memset(v, 0, 16);
	memcpy(v, &ARCH_FRAME_VECS(f)[i], VEC_BYTES);
	return 0;
}

const uintptr_t *tramp_stack_args(const struct tramp_frame *f)
{
	return f ? f->stack : NULL;
}

unsigned tramp_vector_count(const struct tramp_frame *f)
{
	return f ? ARCH_FRAME_VECTOR_COUNT(f) : 0;
}

void *tramp_struct_return(const struct tramp_frame *f)
{
	return f ? (void *)ARCH_FRAME_SRET(f) : NULL;
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
		memcpy(fret(f, 0), &v, sizeof(v));
}

void tramp_set_return_double2(struct tramp_frame *f, double a, double b)
{
	if (f) {
		memcpy(fret(f, 0), &a, sizeof(a));
		memcpy(fret(f, 1), &b, sizeof(b));
	}
}

/* The float's bits under ARCH_FLOAT_BOX (zero, or NaN-boxing). */
void tramp_set_return_float(struct tramp_frame *f, float v)
{
	uint32_t b;
	uint64_t w;

	if (!f)
		return;
	memcpy(&b, &v, sizeof(b));
	w = ARCH_FLOAT_BOX | b;
	memcpy(fret(f, 0), &w, sizeof(w));
}

/* FRET_BYTES of v into FP/vector result register i (of FRET_REGS). */
int tramp_set_return_vector(struct tramp_frame *f, unsigned i, const void *v)
{
	if (!f || !v || i >= FRET_REGS) {
		errno = EINVAL;
		return -1;
	}
	memcpy(fret(f, i), v, FRET_BYTES);
	return 0;
}
