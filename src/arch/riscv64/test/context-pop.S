/* SPDX-License-Identifier: MIT */
/*
 * ctx_pop4: the pc of a TRAMP_CONTEXT_MOVE_SP context of 4 words, which
 * returns to the caller through ra, as tramp_jump(3) says it must.
 */
	.text
/* double ctx_pop4(double x): take the 4 pushed words off the stack, then
   return to the caller with x + their sum. */
	.globl	ctx_pop4
	.type	ctx_pop4, %function
ctx_pop4:
	.option	push
	.option	norvc
	ld	t0, 0(sp)
	ld	t1, 8(sp)
	ld	t3, 16(sp)
	ld	t4, 24(sp)
	addi	sp, sp, 32
	add	t0, t0, t1
	add	t0, t0, t3
	add	t0, t0, t4
	fcvt.d.l ft0, t0
	fadd.d	fa0, fa0, ft0
	ret
	.option	pop
	.size	ctx_pop4, . - ctx_pop4

	.section .note.GNU-stack, "", %progbits
