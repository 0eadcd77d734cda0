/* SPDX-License-Identifier: MIT */
/*
 * x86_64 C side: the frame and context layouts thunks.S relies on, and
 * the x87 long double results of HANDLER frames.
 */
#include <stddef.h>
#include <string.h>

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

