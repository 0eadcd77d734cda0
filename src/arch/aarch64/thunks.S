/* SPDX-License-Identifier: MIT */
/*
 * aarch64 thunks shared by every trampoline of a kind, in the library's own
 * text (so they have symbols and CFI for free).  Stubs enter them through
 * BR x17 with x16 = the address of the seq word of the trampoline's slot
 * (slot + SLOT_SEQ) and x30 = the caller's return
 * address.
 */
#include "arch.h"

/*
 * READ_PAIR lo, hi, t: read the slot whose seq word x16 points at as one
 * snapshot (slot protocol in arch.h) into lo and hi; t is one more scratch
 * register, distinct from both.  x16 is kept, x17 clobbered.  The
 * load-acquire of seq orders the buffer loads after it; the load-load
 * barrier orders the second seq load after them.
 */
.macro	READ_PAIR lo, hi, t
1:	ldar	x17, [x16]
	ubfx	\t, x17, #1, #1
	add	\t, x16, \t, lsl #4
	ldp	\lo, \hi, [\t, #SLOT_BUF - SLOT_SEQ]
	dmb	ishld
	ldr	\t, [x16]
	eor	\t, \t, x17
	tst	\t, #~1
	b.ne	1b
.endm

	.text

/*
 * tramp_chain_thunk: x18 (the static chain) = data, jump to the target
 * with BR x17, which the "bti c" of a BTI target accepts.  Scratch: x9,
 * x10, x16, x17.  Arguments (x0-x8, v0-v7), stack and x30 are the
 * caller's, so the target returns straight to it.
 */
	.globl	tramp_chain_thunk
	.hidden	tramp_chain_thunk
	.type	tramp_chain_thunk, %function
	.p2align 4
tramp_chain_thunk:
	.cfi_startproc
	BTI_C
	READ_PAIR x18, x9, x10
	mov	x17, x9
	br	x17
	.cfi_endproc
	.size	tramp_chain_thunk, . - tramp_chain_thunk

/*
 * tramp_bind_thunk: as chain, but the data word becomes the first integer
 * argument and x0-x6 shift up one register (the original x7 is dropped,
 * hence the N-1 limit).  x8, vector arguments, the stack and x30 are
 * untouched.  Scratch: x9, x10, x16, x17, x18.
 */
	.globl	tramp_bind_thunk
	.hidden	tramp_bind_thunk
	.type	tramp_bind_thunk, %function
	.p2align 4
tramp_bind_thunk:
	.cfi_startproc
	BTI_C
	READ_PAIR x18, x9, x10
	mov	x7, x6
	mov	x6, x5
	mov	x5, x4
	mov	x4, x3
	mov	x3, x2
	mov	x2, x1
	mov	x1, x0
	mov	x0, x18
	mov	x17, x9
	br	x17
	.cfi_endproc
	.size	tramp_bind_thunk, . - tramp_bind_thunk

/*
 * TRAMP_BIND_SRET: a struct returned in memory has its address in x8,
 * which BIND never moves, so the bind thunk serves as it is.
 */
	.globl	tramp_bind_sret_thunk
	.hidden	tramp_bind_sret_thunk
	.set	tramp_bind_sret_thunk, tramp_bind_thunk

/*
 * tramp_handler_thunk: build a struct tramp_frame (layout in arch.h) on the
 * stack, call handler(frame, data) with the pair of the slot, then return
 * x0/x1 and q0-q3 from the frame to the caller.  The slot is not read after
 * the call, so the handler may destroy its own trampoline.  x30 is saved
 * (and signed, where the process uses pointer authentication).
 */
	.globl	tramp_handler_thunk
	.hidden	tramp_handler_thunk
	.type	tramp_handler_thunk, %function
	.p2align 4
tramp_handler_thunk:
	.cfi_startproc
	BTI_C
#if ARCH_PAC
	hint	25			/* paciasp */
	.cfi_negate_ra_state
#endif
	stp	x29, x30, [sp, #-16]!
	.cfi_def_cfa_offset 16
	.cfi_offset x29, -16
	.cfi_offset x30, -8
	mov	x29, sp
	.cfi_def_cfa x29, 16
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_GPR + 0]
	stp	x2, x3, [sp, #FRAME_GPR + 16]
	stp	x4, x5, [sp, #FRAME_GPR + 32]
	stp	x6, x7, [sp, #FRAME_GPR + 48]
	add	x9, x29, #16
	stp	x8, x9, [sp, #FRAME_X8]
	stp	q0, q1, [sp, #FRAME_VEC + 0]
	stp	q2, q3, [sp, #FRAME_VEC + 32]
	stp	q4, q5, [sp, #FRAME_VEC + 64]
	stp	q6, q7, [sp, #FRAME_VEC + 96]
	stp	xzr, xzr, [sp, #FRAME_RET]
	movi	v0.2d, #0
	stp	q0, q0, [sp, #FRAME_VRET]
	stp	q0, q0, [sp, #FRAME_VRET + 32]
	READ_PAIR x1, x9, x10
	mov	x0, sp
	blr	x9
	ldp	x0, x1, [sp, #FRAME_RET]
	ldp	q0, q1, [sp, #FRAME_VRET]
	ldp	q2, q3, [sp, #FRAME_VRET + 32]
	mov	sp, x29
	ldp	x29, x30, [sp], #16
	.cfi_def_cfa sp, 0
	.cfi_restore x29
	.cfi_restore x30
#if ARCH_PAC
	hint	29			/* autiasp */
	.cfi_negate_ra_state
#endif
	ret
	.cfi_endproc
	.size	tramp_handler_thunk, . - tramp_handler_thunk

/* Save x0-x30 into the image at sp (TRAMP_REG_* order) and the stack
   pointer of the call, sp + CTX_FRAME, as its SP entry. */
.macro	SAVE_IMAGE
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	add	x9, sp, #CTX_FRAME
	stp	x30, x9, [sp, #240]
.endm

/*
 * tramp_context_thunk: the slot holds {context, pc}.  Save every register
 * in an image CTX_FRAME bytes below the call's stack pointer, let
 * arch_context_apply() edit it (and write the stack words), then load
 * every register from the image, x16 = the final stack pointer and x17 =
 * the pc last, move the stack pointer and branch.  Nothing but the image
 * and the words below the call's stack pointer is touched.
 */
	.globl	tramp_context_thunk
	.hidden	tramp_context_thunk
	.type	tramp_context_thunk, %function
	.p2align 4
tramp_context_thunk:
	.cfi_startproc
	BTI_C
	sub	sp, sp, #CTX_FRAME
	.cfi_adjust_cfa_offset CTX_FRAME
	SAVE_IMAGE
	.cfi_offset x30, 240 - CTX_FRAME
	READ_PAIR x1, x2, x9
	b	context_common
	.cfi_endproc
	.size	tramp_context_thunk, . - tramp_context_thunk

/*
 * arch_context_jump(ctx, pc): the same from C (tramp_jump), with the stack
 * pointer of this call as the one the context is applied to.
 */
	.globl	arch_context_jump
	.hidden	arch_context_jump
	.type	arch_context_jump, %function
	.p2align 4
arch_context_jump:
	.cfi_startproc
	BTI_C
	sub	sp, sp, #CTX_FRAME
	.cfi_adjust_cfa_offset CTX_FRAME
	SAVE_IMAGE
	.cfi_offset x30, 240 - CTX_FRAME
	mov	x2, x1
	mov	x1, x0
context_common:
	mov	x0, sp
	bl	arch_context_apply
	ldp	x16, x17, [sp, #128]
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	mov	sp, x16
	/* The stack and x30 are the context's now: unwinders must stop. */
	.cfi_undefined x30
	br	x17
	.cfi_endproc
	.size	arch_context_jump, . - arch_context_jump

	GNU_PROPERTY_NOTE
	.section .note.GNU-stack, "", %progbits
