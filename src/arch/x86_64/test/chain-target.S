/* SPDX-License-Identifier: MIT */
/* Test targets for TRAMP_CHAIN: return the static chain register, and
   return it plus the first argument (to see arguments pass through). */
#include <cet.h>

	.text
	.globl	chain_target_reg
	.type	chain_target_reg, @function
chain_target_reg:
	_CET_ENDBR
	mov	%r10, %rax
	ret
	.size	chain_target_reg, . - chain_target_reg

	.globl	chain_target_reg_plus_args
	.type	chain_target_reg_plus_args, @function
chain_target_reg_plus_args:
	_CET_ENDBR
	lea	(%r10, %rdi), %rax
	add	%rsi, %rax
	add	%rdx, %rax
	add	%rcx, %rax
	add	%r8, %rax
	add	%r9, %rax
	add	8(%rsp), %rax
	ret
	.size	chain_target_reg_plus_args, . - chain_target_reg_plus_args

	.section .note.GNU-stack, "", %progbits
