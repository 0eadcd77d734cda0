/* SPDX-License-Identifier: MIT */
/*
 * x86_64 templates of the mprotect baseline (tramp_mprotect.c): one per
 * kind, copied once per trampoline into its table's code half.
 */
#include "arch_backends.h"

#ifdef __CET__
#define ENDBR	endbr64
#else
#define ENDBR
#endif

/*
 * Each template is ARCH_MP_STRIDE bytes: code, int3 fill, the thunk word
 * at ARCH_MP_THUNK (HANDLER, CONTEXT only; CHAIN and BIND have code
 * there) and the pair {data, target} at
 * ARCH_MP_PAIR, read with one 16-byte load so that a page swap (how the
 * backend changes constants) can never be seen half done.  All addressing
 * is relative to the stub, so a copy works at any 64-byte aligned address.
 * Scratch: %r11, %xmm15, as in the static stubs; the targets may assume
 * exactly what the static stubs give them (stubs.S, thunks.S).
 */

	.section .rodata.trampjit_mp_templates, "a"
	.p2align 6
	.globl	arch_mp_templates
	.hidden	arch_mp_templates
	.type	arch_mp_templates, @object
arch_mp_templates:
/* CHAIN: %r10 = data; jump to target. */
.Lchain:
	ENDBR
	movdqa	.Lchain + ARCH_MP_PAIR(%rip), %xmm15
	movq	%xmm15, %r10
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, %r11
	jmp	*%r11
	.fill	.Lchain + ARCH_MP_PAIR - ., 1, 0xcc
	.quad	0, 0

/* BIND: shift %rdi..%r8 into %rsi..%r9, %rdi = data; jump to target. */
.Lbind:
	ENDBR
	movdqa	.Lbind + ARCH_MP_PAIR(%rip), %xmm15
	mov	%r8, %r9
	mov	%rcx, %r8
	mov	%rdx, %rcx
	mov	%rsi, %rdx
	mov	%rdi, %rsi
	movq	%xmm15, %rdi
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, %r11
	jmp	*%r11
	.fill	.Lbind + ARCH_MP_PAIR - ., 1, 0xcc
	.quad	0, 0

/* HANDLER, CONTEXT: %r11 = the inline pair, which the thunk reads as its
   slot; jump to the thunk word. */
.Lhandler:
	ENDBR
	lea	.Lhandler + ARCH_MP_PAIR(%rip), %r11
	jmp	*.Lhandler + ARCH_MP_THUNK(%rip)
	.fill	.Lhandler + ARCH_MP_THUNK - ., 1, 0xcc
	.quad	0
	.quad	0, 0
.Lcontext:
	ENDBR
	lea	.Lcontext + ARCH_MP_PAIR(%rip), %r11
	jmp	*.Lcontext + ARCH_MP_THUNK(%rip)
	.fill	.Lcontext + ARCH_MP_THUNK - ., 1, 0xcc
	.quad	0
	.quad	0, 0
	.size	arch_mp_templates, . - arch_mp_templates

	.section .note.GNU-stack, "", %progbits
