/* SPDX-License-Identifier: MIT */
/*
 * x86_64 C side: handler frame accessors and context application, shared
 * by the static thunks and the signal-based backends.
 */
#include <stddef.h>
#include <string.h>

/* The exported accessors are defined here; trampjit.h's inline copies,
   for applications, must not be. */
#define TRAMPJIT_NO_INLINE
#include "internal.h"

/* thunks.S reads struct tramp_context through these offsets. */
_Static_assert(offsetof(struct tramp_context, mask) == CTX_MASK, "ctx");
_Static_assert(offsetof(struct tramp_context, regs) == CTX_REGS, "ctx");
_Static_assert(offsetof(struct tramp_context, nstack) == CTX_NSTACK, "ctx");
_Static_assert(offsetof(struct tramp_context, flags) == CTX_FLAGS, "ctx");
_Static_assert(offsetof(struct tramp_context, stack) == CTX_STACK, "ctx");
_Static_assert(offsetof(struct tramp_context, pc) == CTX_PC, "ctx");
_Static_assert(TRAMP_CONTEXT_MOVE_SP == CTX_MOVE_SP, "ctx");
_Static_assert(TRAMP_REG_RSP == 7 && TRAMP_NREGS == CTX_IMAGE_WORDS, "ctx");
_Static_assert(offsetof(struct tramp_frame, gpr) == FRAME_GPR, "frame");
_Static_assert(offsetof(struct tramp_frame, al) == FRAME_AL, "frame");
_Static_assert(offsetof(struct tramp_frame, stack) == FRAME_STACK, "frame");
_Static_assert(offsetof(struct tramp_frame, xmm) == FRAME_XMM, "frame");
_Static_assert(offsetof(struct tramp_frame, ret) == FRAME_RET, "frame");
_Static_assert(offsetof(struct tramp_frame, vret) == FRAME_VRET, "frame");
_Static_assert(offsetof(struct tramp_frame, x87) == FRAME_X87, "frame");
_Static_assert(offsetof(struct tramp_frame, nx87) == FRAME_NX87, "frame");
_Static_assert(offsetof(struct tramp_frame, saved) == FRAME_SAVED, "frame");

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
	if (i < TRAMP_NVECREGS)
		memcpy(&d, &f->xmm[i][0], sizeof(d));
	else
		memcpy(&d, &f->stack[i - TRAMP_NVECREGS], sizeof(d));
	return d;
}

float tramp_arg_float(const struct tramp_frame *f, unsigned i)
{
	float v;

	if (!f)
		return 0;
	if (i < TRAMP_NVECREGS)
		memcpy(&v, &f->xmm[i][0], sizeof(v));
	else
		memcpy(&v, &f->stack[i - TRAMP_NVECREGS], sizeof(v));
	return v;
}

int tramp_arg_vector(const struct tramp_frame *f, unsigned i, void *v)
{
	if (!f || !v || i >= TRAMP_NVECREGS) {
		errno = EINVAL;
		return -1;
	}
	memcpy(v, f->xmm[i], sizeof(f->xmm[i]));
	return 0;
}

const uintptr_t *tramp_stack_args(const struct tramp_frame *f)
{
	return f ? f->stack : NULL;
}

unsigned tramp_vector_count(const struct tramp_frame *f)
{
	return f ? (unsigned)(f->al & 0xff) : 0;
}

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
		memcpy(&f->vret[0][0], &v, sizeof(v));
}

void tramp_set_return_double2(struct tramp_frame *f, double a, double b)
{
	if (f) {
		memcpy(&f->vret[0][0], &a, sizeof(a));
		memcpy(&f->vret[1][0], &b, sizeof(b));
	}
}

void tramp_set_return_float(struct tramp_frame *f, float v)
{
	if (f) {
		f->vret[0][0] = 0;
		memcpy(&f->vret[0][0], &v, sizeof(v));
	}
}

int tramp_set_return_vector(struct tramp_frame *f, unsigned i,
			    const void *v)
{
	if (!f || !v || i > 1) {
		errno = EINVAL;
		return -1;
	}
	memcpy(f->vret[i], v, sizeof(f->vret[i]));
	return 0;
}

/* The thunk loads x87[1] (if any), then x87[0]: x87[0] ends in st0. */
void tramp_set_return_long_double(struct tramp_frame *f, long double v)
{
	if (f) {
		memcpy(f->x87[0], &v, sizeof(v));
		f->nx87 = 1;
	}
}

void tramp_set_return_long_double2(struct tramp_frame *f, long double re,
				   long double im)
{
	if (f) {
		memcpy(f->x87[0], &re, sizeof(re));
		memcpy(f->x87[1], &im, sizeof(im));
		f->nx87 = 2;
	}
}

