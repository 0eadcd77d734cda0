/* SPDX-License-Identifier: MIT */
/*
 * ctx_probe: the pc of context tests.  Records every general register (by
 * TRAMP_REG_* index) in ctx_seen, the 8 words at and above the stack
 * pointer in ctx_above and the 8 words below it in ctx_below, then calls
 * ctx_done() (which longjmps back into the test) on an aligned stack.
 */
#include <cet.h>

	.text
	.globl	ctx_probe
	.type	ctx_probe, @function
ctx_probe:
	_CET_ENDBR
	mov	%rax, ctx_seen + 0(%rip)
	mov	%rbx, ctx_seen + 8(%rip)
	mov	%rcx, ctx_seen + 16(%rip)
	mov	%rdx, ctx_seen + 24(%rip)
	mov	%rsi, ctx_seen + 32(%rip)
	mov	%rdi, ctx_seen + 40(%rip)
	mov	%rbp, ctx_seen + 48(%rip)
	mov	%rsp, ctx_seen + 56(%rip)
	mov	%r8, ctx_seen + 64(%rip)
	mov	%r9, ctx_seen + 72(%rip)
	mov	%r10, ctx_seen + 80(%rip)
	mov	%r11, ctx_seen + 88(%rip)
	mov	%r12, ctx_seen + 96(%rip)
	mov	%r13, ctx_seen + 104(%rip)
	mov	%r14, ctx_seen + 112(%rip)
	mov	%r15, ctx_seen + 120(%rip)
	cld
	mov	%rsp, %rsi
	lea	ctx_above(%rip), %rdi
	mov	$8, %ecx
	rep movsq
	lea	-64(%rsp), %rsi
	lea	ctx_below(%rip), %rdi
	mov	$8, %ecx
	rep movsq
	and	$-16, %rsp
	call	ctx_done
	ud2
	.size	ctx_probe, . - ctx_probe

	.bss
	.p2align 4
	.globl	ctx_seen, ctx_above, ctx_below
ctx_seen:
	.zero	128
ctx_above:
	.zero	64
ctx_below:
	.zero	64

	.section .note.GNU-stack, "", %progbits
