/* SPDX-License-Identifier: MIT */
/*
 * x86_64 static stub table.  It is never executed where it is assembled:
 * the library copies it once into a sealed memfd and maps that read+execute
 * as the code half of every table (see tramp_static.c).
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
 * ARCH_TABLE_SLOTS stubs of ARCH_STUB_STRIDE bytes.  Stub i puts the
 * address of its slot (code + ARCH_STUB_CODE + 16 * i) in %r11 and jumps
 * through the table header (the first word of the last slot) to the thunk
 * of the table's kind (thunks.S).  Scratch: %r11 only.  No stack access:
 * at every instruction the caller's return address is on top of the stack.
 */
	.globl	arch_stubs
	.hidden	arch_stubs
	.type	arch_stubs, @object
arch_stubs:
	.set	i, 0
	.rept	ARCH_TABLE_SLOTS
	ENDBR
	lea	(arch_stubs + ARCH_STUB_CODE + SLOT_PAIR_SIZE * i)(%rip), %r11
	jmp	*(arch_stubs + ARCH_STUB_CODE + SLOT_PAIR_SIZE * ARCH_HDR_SLOT)(%rip)
	.fill	arch_stubs + ARCH_STUB_STRIDE * (i + 1) - ., 1, 0xcc
	.set	i, i + 1
	.endr
	.size	arch_stubs, . - arch_stubs

	.section .note.GNU-stack, "", %progbits
