/* SPDX-License-Identifier: MIT */
/*
 * aarch64 static stub table.  It is never executed where it is assembled:
 * the library copies it once into a sealed memfd and maps that read+execute
 * as the code half of every table (see tramp_static.c).
 */
#include "arch.h"

	.section .rodata.trampjit_stubs, "a"
	.p2align 16

/*
 * ARCH_TABLE_SLOTS stubs of ARCH_STUB_STRIDE bytes:
 *	bti c
 *	adr	x16, seq of slot i	(code + ARCH_STUB_CODE + 64 * i + 8)
 *	ldr	x17, header word	(first word of the last slot)
 *	br	x17			(to the thunk of the table's kind)
 * then brk filler.  Scratch: x16, x17 (IP0/IP1, the registers the ABI
 * gives veneers), so BR x17 lands on the thunk's "bti c".  The stack, x30
 * and every argument register are the caller's.
 */
	.globl	arch_stubs
	.hidden	arch_stubs
	.type	arch_stubs, %object
arch_stubs:
	.set	i, 0
	.rept	ARCH_TABLE_SLOTS
1:	BTI_C
	adr	x16, arch_stubs + ARCH_STUB_CODE + SLOT_PAIR_SIZE * i + SLOT_SEQ
	ldr	x17, arch_stubs + ARCH_STUB_CODE + SLOT_PAIR_SIZE * ARCH_HDR_SLOT
	br	x17
	.rept	(ARCH_STUB_STRIDE - 16) / 4
	.inst	ARCH_FILL_WORD
	.endr
	.if	. - 1b != ARCH_STUB_STRIDE
	.error	"stub size does not match ARCH_STUB_STRIDE"
	.endif
	.set	i, i + 1
	.endr
	.size	arch_stubs, . - arch_stubs

	GNU_PROPERTY_NOTE
	.section .note.GNU-stack, "", %progbits
