/* SPDX-License-Identifier: MIT */
/*
 * ctx_pop4: the pc of a TRAMP_CONTEXT_MOVE_SP context of 4 words, which
 * returns to the caller through x30, as tramp_jump(3) says it must.
 */
	.text
/* double ctx_pop4(double x): take the 4 pushed words off the stack, then
   return to the caller with x + their sum. */
	.globl	ctx_pop4
	.type	ctx_pop4, %function
ctx_pop4:
	hint	34		/* bti c */
	ldp	x9, x10, [sp]
	ldp	x11, x12, [sp, #16]
	add	sp, sp, #32
	add	x9, x9, x10
	add	x9, x9, x11
	add	x9, x9, x12
	scvtf	d1, x9
	fadd	d0, d0, d1
	ret
	.size	ctx_pop4, . - ctx_pop4

	.section .note.GNU-stack, "", %progbits
