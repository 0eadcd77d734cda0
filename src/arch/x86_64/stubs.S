/* SPDX-License-Identifier: MIT */
/*
 * x86_64 static stub table.  It is never executed where it is assembled:
 * the library copies it once into a sealed memfd and maps that read+execute
 * as the code half of every table (see tramp_static.c).
 */
#include <cet.h>
#include "arch.h"

	.section .rodata.trampjit_stubs, "a"
	.p2align 16

/*
 * ARCH_TABLE_SLOTS stubs of ARCH_STUB_STRIDE bytes.  Stub i puts the
 * address of its slot (code + ARCH_STUB_CODE + 16 * i) in %r11 and jumps
 * through the table header (the first word of the last slot) to the thunk
 * of the table's kind (thunks.S).  Scratch: %r11 only.  No stack access:
 * at every instruction the caller's return address is on top of the stack.
 *
 * With indirect branch tracking a stub is endbr64 (4 bytes), the lea (7)
 * and a direct jump (5, encoded by hand so that its size is known to the
 * checks) to the last stub, the header jump (6), which would not fit after
 * the first two.  The last stub belongs to the header slot:
 * no trampoline has it.  Every stub is checked to fit its stride.
 */
	.globl	arch_stubs
	.hidden	arch_stubs
	.type	arch_stubs, @object
arch_stubs:
	.set	i, 0
	.rept	ARCH_TABLE_SLOTS
1:
	.if	ARCH_IBT && i == ARCH_HDR_SLOT
	jmp	*(arch_stubs + ARCH_STUB_CODE + SLOT_PAIR_SIZE * ARCH_HDR_SLOT)(%rip)
	.elseif	ARCH_IBT
	endbr64
	lea	(arch_stubs + ARCH_STUB_CODE + SLOT_PAIR_SIZE * i)(%rip), %r11
	.byte	0xe9			/* jmp rel32, never relaxed */
	.long	arch_stubs + ARCH_STUB_STRIDE * ARCH_HDR_SLOT - (. + 4)
	.else
	lea	(arch_stubs + ARCH_STUB_CODE + SLOT_PAIR_SIZE * i)(%rip), %r11
	jmp	*(arch_stubs + ARCH_STUB_CODE + SLOT_PAIR_SIZE * ARCH_HDR_SLOT)(%rip)
	.endif
	.if	. - 1b > ARCH_STUB_STRIDE
	.error	"a stub exceeds ARCH_STUB_STRIDE"
	.endif
	.fill	arch_stubs + ARCH_STUB_STRIDE * (i + 1) - ., 1, 0xcc
	.set	i, i + 1
	.endr
	.if	. - arch_stubs != ARCH_STUB_CODE
	.error	"the stub table is not ARCH_STUB_CODE bytes"
	.endif
	.size	arch_stubs, . - arch_stubs

	.section .note.GNU-stack, "", %progbits
