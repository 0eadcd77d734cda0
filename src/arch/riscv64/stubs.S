/* SPDX-License-Identifier: MIT */
/*
 * riscv64 static stub table.  It is never executed where it is assembled:
 * the library copies it once into a sealed memfd and maps that read+execute
 * as the code half of every table (see tramp_static.c).
 */
#include "arch.h"

	.section .rodata.trampjit_stubs, "a"
	.p2align 16

/*
 * ARCH_TABLE_SLOTS stubs of ARCH_STUB_STRIDE bytes:
 *	auipc	t3, seq of slot i	(code + ARCH_STUB_CODE + 40 * i)
 *	addi	t3, t3, ...
 *	auipc	t1, header word		(first word of the last slot)
 *	ld	t1, ...(t1)
 *	jr	t1			(to the thunk of the table's kind)
 * then ebreak filler.  Scratch: t1 and t3, the registers a PLT entry
 * clobbers, so t0 and t2 (the static chain) pass through.  The stack, ra
 * and every argument register are the caller's.
 */
	.globl	arch_stubs
	.hidden	arch_stubs
	.type	arch_stubs, %object
arch_stubs:
	.set	i, 0
	.rept	ARCH_TABLE_SLOTS
1:	auipc	t3, %pcrel_hi(arch_stubs + ARCH_STUB_CODE + SLOT_PAIR_SIZE * i + SLOT_SEQ)
	addi	t3, t3, %pcrel_lo(1b)
2:	auipc	t1, %pcrel_hi(arch_stubs + ARCH_STUB_CODE + SLOT_PAIR_SIZE * ARCH_HDR_SLOT)
	ld	t1, %pcrel_lo(2b)(t1)
	jr	t1
	.rept	(ARCH_STUB_STRIDE - 20) / 4
	.4byte	ARCH_FILL_WORD
	.endr
	.if	. - 1b != ARCH_STUB_STRIDE
	.error	"stub size does not match ARCH_STUB_STRIDE"
	.endif
	.set	i, i + 1
	.endr
	.size	arch_stubs, . - arch_stubs

	.section .note.GNU-stack, "", %progbits
