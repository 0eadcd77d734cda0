/* SPDX-License-Identifier: MIT */
/*
 * x86_64 templates of the mprotect baseline (tramp_mprotect.c): one per
 * table kind, copied once per trampoline into its table's code half.
 */
#include <cet.h>
#include "arch_backends.h"

/*
 * Each template is ARCH_MP_STRIDE bytes: code, int3 fill, the thunk word
 * at ARCH_MP_THUNK (HANDLER, CONTEXT only; the others have code there)
 * and the pair {data, target} at ARCH_MP_PAIR, read with one 16-byte load
 * so that a page swap (how the backend changes constants) can never be
 * seen half done.  All addressing is relative to the stub, so a copy
 * works at any ARCH_MP_STRIDE aligned address.  Registers are those of
 * the static trampolines (thunks.S): %r11 is scratch, %xmm15 carries the
 * pair and is put back from the red zone.  Order: enum tramp_kind, then
 * BIND with TRAMP_BIND_SRET.
 */

/* Load the inline pair of template t into lo and hi. */
.macro	INLINE_PAIR t, lo, hi
	movups	%xmm15, -24(%rsp)
	movdqa	\t + ARCH_MP_PAIR(%rip), %xmm15
	movq	%xmm15, \lo
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, \hi
	movups	-24(%rsp), %xmm15
.endm

/* Close template t: int3 up to the pair (checking the code fits), and a
   zero pair; with thunk, a zero thunk word before it. */
.macro	TAIL t, thunk=0
	.if	\thunk
	.if	. - \t > ARCH_MP_THUNK
	.error	"mprotect template exceeds ARCH_MP_THUNK"
	.endif
	.fill	\t + ARCH_MP_THUNK - ., 1, 0xcc
	.quad	0
	.endif
	.if	. - \t > ARCH_MP_PAIR
	.error	"mprotect template exceeds ARCH_MP_PAIR"
	.endif
	.fill	\t + ARCH_MP_PAIR - ., 1, 0xcc
	.quad	0, 0
	.if	. - \t != ARCH_MP_STRIDE
	.error	"mprotect template is not ARCH_MP_STRIDE bytes"
	.endif
.endm

	.section .rodata.trampjit_mp_templates, "a"
	.p2align 7
	.globl	arch_mp_templates
	.hidden	arch_mp_templates
	.type	arch_mp_templates, @object
arch_mp_templates:
/* CHAIN: %r10 = data; jump to target. */
.Lchain:
	_CET_ENDBR
	INLINE_PAIR .Lchain, %r10, %r11
	jmp	*%r11
	TAIL	.Lchain

/* BIND: shift %rdi..%r8 into %rsi..%r9, %rdi = data; jump to target. */
.Lbind:
	_CET_ENDBR
	mov	%r8, %r9
	mov	%rcx, %r8
	mov	%rdx, %rcx
	mov	%rsi, %rdx
	mov	%rdi, %rsi
	INLINE_PAIR .Lbind, %rdi, %r11
	jmp	*%r11
	TAIL	.Lbind

/* HANDLER, CONTEXT: %r11 = the inline pair, which the thunk reads as its
   slot; jump to the thunk word. */
.Lhandler:
	_CET_ENDBR
	lea	.Lhandler + ARCH_MP_PAIR(%rip), %r11
	jmp	*.Lhandler + ARCH_MP_THUNK(%rip)
	TAIL	.Lhandler, 1
.Lcontext:
	_CET_ENDBR
	lea	.Lcontext + ARCH_MP_PAIR(%rip), %r11
	jmp	*.Lcontext + ARCH_MP_THUNK(%rip)
	TAIL	.Lcontext, 1

/* BIND with TRAMP_BIND_SRET: %rdi stays, shift %rsi..%r8 into %rdx..%r9,
   %rsi = data; jump to target. */
.Lbind_sret:
	_CET_ENDBR
	mov	%r8, %r9
	mov	%rcx, %r8
	mov	%rdx, %rcx
	mov	%rsi, %rdx
	INLINE_PAIR .Lbind_sret, %rsi, %r11
	jmp	*%r11
	TAIL	.Lbind_sret
	.size	arch_mp_templates, . - arch_mp_templates

	.section .note.GNU-stack, "", %progbits
