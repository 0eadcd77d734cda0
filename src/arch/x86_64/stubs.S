/* SPDX-License-Identifier: MIT */
/*
 * x86_64 static stub tables.  They are never executed where they are
 * assembled: the library copies them once into a sealed memfd and maps that
 * read+execute as the code half of every table (see tramp_static.c).
 */
#include "arch.h"

#ifdef __CET__
#define ENDBR	endbr64
#else
#define ENDBR
#endif

	.section .rodata.trampjit_stubs, "a"
	.p2align 16

/*
 * CHAIN table: ARCH_TABLE_SLOTS stubs of ARCH_CHAIN_STRIDE bytes.
 * Stub i loads the pair of slot i (code + ARCH_CHAIN_CODE + 16 * i) with one
 * 16-byte load, puts the data word in %r10 (the static chain) and jumps to
 * the target word.  Scratch: %r11, %xmm15 (neither carries an argument).
 * The target sees the caller's arguments, stack and return address.
 */
	.globl	arch_chain_stubs
	.hidden	arch_chain_stubs
	.type	arch_chain_stubs, @object
arch_chain_stubs:
	.set	i, 0
	.rept	ARCH_TABLE_SLOTS
	ENDBR
	movdqa	(arch_chain_stubs + ARCH_CHAIN_CODE + SLOT_PAIR_SIZE * i)(%rip), %xmm15
	movq	%xmm15, %r10
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, %r11
	jmp	*%r11
	.fill	arch_chain_stubs + ARCH_CHAIN_STRIDE * (i + 1) - ., 1, 0xcc
	.set	i, i + 1
	.endr
	.size	arch_chain_stubs, . - arch_chain_stubs

/*
 * BIND table: as CHAIN, but the data word becomes the first integer
 * argument and the five others shift up one register (%rdi..%r8 into
 * %rsi..%r9; the original %r9 is dropped, hence the N-1 limit).  Vector
 * arguments, %rax (varargs count), the stack and the return address are
 * untouched, so the target returns straight to the caller.
 */
	.p2align 16
	.globl	arch_bind_stubs
	.hidden	arch_bind_stubs
	.type	arch_bind_stubs, @object
arch_bind_stubs:
	.set	i, 0
	.rept	ARCH_TABLE_SLOTS
	ENDBR
	movdqa	(arch_bind_stubs + ARCH_BIND_CODE + SLOT_PAIR_SIZE * i)(%rip), %xmm15
	mov	%r8, %r9
	mov	%rcx, %r8
	mov	%rdx, %rcx
	mov	%rsi, %rdx
	mov	%rdi, %rsi
	movq	%xmm15, %rdi
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, %r11
	jmp	*%r11
	.fill	arch_bind_stubs + ARCH_BIND_STRIDE * (i + 1) - ., 1, 0xcc
	.set	i, i + 1
	.endr
	.size	arch_bind_stubs, . - arch_bind_stubs

/*
 * Thunk table (HANDLER, CONTEXT): stub i puts the address of its 32-byte
 * slot in %r11 and jumps to the thunk whose address the slot holds at
 * SLOT_THUNK_OFF.  Nothing else is touched.
 */
	.p2align 16
	.globl	arch_thunk_stubs
	.hidden	arch_thunk_stubs
	.type	arch_thunk_stubs, @object
arch_thunk_stubs:
	.set	i, 0
	.rept	ARCH_TABLE_SLOTS
	ENDBR
	lea	(arch_thunk_stubs + ARCH_THUNK_CODE + SLOT_THUNK_SIZE * i)(%rip), %r11
	jmp	*SLOT_THUNK_OFF(%r11)
	.fill	arch_thunk_stubs + ARCH_THUNK_STRIDE * (i + 1) - ., 1, 0xcc
	.set	i, i + 1
	.endr
	.size	arch_thunk_stubs, . - arch_thunk_stubs

	.section .note.GNU-stack, "", %progbits
