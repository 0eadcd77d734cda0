/* SPDX-License-Identifier: MIT */
/*
 * ctx_pop4: the pc of a TRAMP_CONTEXT_MOVE_SP context of 4 words, which
 * returns as tramp_jump(3) says it must under a shadow stack.
 */
#include <cet.h>

	.text
/* double ctx_pop4(double x): take the 4 pushed words off the stack, then
   return to the caller with x + their sum. */
	.globl	ctx_pop4
	.type	ctx_pop4, @function
ctx_pop4:
	_CET_ENDBR
	pop	%rax
	add	0(%rsp), %rax
	add	8(%rsp), %rax
	add	16(%rsp), %rax
	add	$24, %rsp
	cvtsi2sd %rax, %xmm1
	addsd	%xmm1, %xmm0
	ret
	.size	ctx_pop4, . - ctx_pop4

	.section .note.GNU-stack, "", %progbits
