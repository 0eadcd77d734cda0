/* SPDX-License-Identifier: MIT */
/*
 * riscv64 thunks shared by every trampoline of a kind, in the library's own
 * text (so they have symbols and CFI for free).  Stubs enter them through
 * jr t1 with t3 = the address of the seq word of the trampoline's slot
 * (slot + SLOT_SEQ) and ra = the caller's return address.
 */
#include "arch.h"

/*
 * READ_PAIR lo, hi: read the slot whose seq word t3 points at as one
 * snapshot (slot protocol in arch.h) into lo and hi, which must not be
 * t3, t4 or t5 (clobbered).  The first fence orders the buffer loads after
 * the seq load, the second orders the seq reload after them.
 */
.macro	READ_PAIR lo, hi
1:	ld	t4, 0(t3)
	fence	r, r
	andi	t5, t4, 2
	slli	t5, t5, 3
	add	t5, t5, t3
	ld	\lo, SLOT_BUF - SLOT_SEQ(t5)
	ld	\hi, SLOT_BUF - SLOT_SEQ + 8(t5)
	fence	r, r
	ld	t5, 0(t3)
	xor	t5, t5, t4
	andi	t5, t5, -2
	bnez	t5, 1b
.endm

	.text

/*
 * tramp_chain_thunk: t2 (the static chain) = data, jump to the target.
 * Scratch: t1, t3-t5.  Arguments (a0-a7, fa0-fa7), stack and ra are the
 * caller's, so the target returns straight to it.
 */
	.globl	tramp_chain_thunk
	.hidden	tramp_chain_thunk
	.type	tramp_chain_thunk, %function
	.p2align 4
tramp_chain_thunk:
	.cfi_startproc
	READ_PAIR t2, t1
	jr	t1
	.cfi_endproc
	.size	tramp_chain_thunk, . - tramp_chain_thunk

/*
 * tramp_bind_thunk: as chain, but the data word becomes the first integer
 * argument and a0-a6 shift up one register (the original a7 is dropped,
 * hence the N-1 limit).  FP arguments, the stack and ra are untouched.
 * Scratch: t1, t3-t5.
 */
	.globl	tramp_bind_thunk
	.hidden	tramp_bind_thunk
	.type	tramp_bind_thunk, %function
	.p2align 4
tramp_bind_thunk:
	.cfi_startproc
	mv	a7, a6
	mv	a6, a5
	mv	a5, a4
	mv	a4, a3
	mv	a3, a2
	mv	a2, a1
	mv	a1, a0
	READ_PAIR a0, t1
	jr	t1
	.cfi_endproc
	.size	tramp_bind_thunk, . - tramp_bind_thunk

/*
 * tramp_bind_sret_thunk: a struct returned in memory has its address in
 * a0 (the hidden first argument), which stays; data goes to a1 and a1-a6
 * shift up one register (the original a7 is dropped).
 */
	.globl	tramp_bind_sret_thunk
	.hidden	tramp_bind_sret_thunk
	.type	tramp_bind_sret_thunk, %function
	.p2align 4
tramp_bind_sret_thunk:
	.cfi_startproc
	mv	a7, a6
	mv	a6, a5
	mv	a5, a4
	mv	a4, a3
	mv	a3, a2
	mv	a2, a1
	READ_PAIR a1, t1
	jr	t1
	.cfi_endproc
	.size	tramp_bind_sret_thunk, . - tramp_bind_sret_thunk

/*
 * tramp_handler_thunk: build a struct tramp_frame (layout in arch.h) on the
 * stack, call handler(frame, data) with the pair of the slot, then return
 * a0/a1 and fa0/fa1 from the frame to the caller.  The slot is not read
 * after the call, so the handler may destroy its own trampoline.  ra and
 * s0 are saved above the frame; s0 is the frame pointer.
 */
	.globl	tramp_handler_thunk
	.hidden	tramp_handler_thunk
	.type	tramp_handler_thunk, %function
	.p2align 4
tramp_handler_thunk:
	.cfi_startproc
	addi	sp, sp, -16
	.cfi_def_cfa_offset 16
	sd	ra, 8(sp)
	sd	s0, 0(sp)
	.cfi_offset ra, -8
	.cfi_offset s0, -16
	addi	s0, sp, 16
	.cfi_def_cfa s0, 0
	addi	sp, sp, -FRAME_SIZE
	sd	a0, FRAME_GPR + 0(sp)
	sd	a1, FRAME_GPR + 8(sp)
	sd	a2, FRAME_GPR + 16(sp)
	sd	a3, FRAME_GPR + 24(sp)
	sd	a4, FRAME_GPR + 32(sp)
	sd	a5, FRAME_GPR + 40(sp)
	sd	a6, FRAME_GPR + 48(sp)
	sd	a7, FRAME_GPR + 56(sp)
	fsd	fa0, FRAME_FPR + 0(sp)
	fsd	fa1, FRAME_FPR + 8(sp)
	fsd	fa2, FRAME_FPR + 16(sp)
	fsd	fa3, FRAME_FPR + 24(sp)
	fsd	fa4, FRAME_FPR + 32(sp)
	fsd	fa5, FRAME_FPR + 40(sp)
	fsd	fa6, FRAME_FPR + 48(sp)
	fsd	fa7, FRAME_FPR + 56(sp)
	sd	s0, FRAME_STACK(sp)
	sd	zero, FRAME_RET(sp)
	sd	zero, FRAME_RET + 8(sp)
	sd	zero, FRAME_FRET(sp)
	sd	zero, FRAME_FRET + 8(sp)
	READ_PAIR a1, t1
	mv	a0, sp
	jalr	t1
	ld	a0, FRAME_RET(sp)
	ld	a1, FRAME_RET + 8(sp)
	fld	fa0, FRAME_FRET(sp)
	fld	fa1, FRAME_FRET + 8(sp)
	addi	sp, s0, -16
	.cfi_def_cfa sp, 16
	ld	ra, 8(sp)
	ld	s0, 0(sp)
	.cfi_restore ra
	.cfi_restore s0
	addi	sp, sp, 16
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	tramp_handler_thunk, . - tramp_handler_thunk

/* Save x1, x3-x31 into the image at sp (by register number, which is the
   TRAMP_REG_* index) and the stack pointer of the call, sp + CTX_FRAME,
   as its sp entry; the zero entry is 0. */
.macro	SAVE_IMAGE
	sd	zero, 0(sp)
	.irp	r, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd	x\r, 8 * \r(sp)
	.endr
	addi	t4, sp, CTX_FRAME
	sd	t4, 16(sp)
.endm

/*
 * tramp_context_thunk: the slot holds {context, pc}.  Save every register
 * in an image CTX_FRAME bytes below the call's stack pointer, let
 * arch_context_apply() edit it (and write the stack words), then load
 * every register from the image, t1 = the final stack pointer and t3 =
 * the pc, move the stack pointer and jump.  Nothing but the image and the
 * words below the call's stack pointer is touched.
 */
	.globl	tramp_context_thunk
	.hidden	tramp_context_thunk
	.type	tramp_context_thunk, %function
	.p2align 4
tramp_context_thunk:
	.cfi_startproc
	addi	sp, sp, -CTX_FRAME
	.cfi_adjust_cfa_offset CTX_FRAME
	SAVE_IMAGE
	.cfi_offset ra, 8 - CTX_FRAME
	READ_PAIR a1, a2
	j	context_common
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
	addi	sp, sp, -CTX_FRAME
	.cfi_adjust_cfa_offset CTX_FRAME
	SAVE_IMAGE
	.cfi_offset ra, 8 - CTX_FRAME
	mv	a2, a1
	mv	a1, a0
context_common:
	mv	a0, sp
	call	arch_context_apply
	.irp	r, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	x\r, 8 * \r(sp)
	.endr
	mv	sp, t1
	/* The stack and ra are the context's now: unwinders must stop. */
	.cfi_undefined ra
	jr	t3
	.cfi_endproc
	.size	arch_context_jump, . - arch_context_jump

	.section .note.GNU-stack, "", %progbits
