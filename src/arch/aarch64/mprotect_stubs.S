/* SPDX-License-Identifier: MIT */
/*
 * aarch64 templates of the mprotect baseline (tramp_mprotect.c): one per
 * kind, copied once per trampoline into its table's code half.
 */
#include "arch.h"
#include "arch_backends.h"

/*
 * Each template is ARCH_MP_STRIDE bytes:
 *	bti c
 *	adr	x16, .			x16 = seq of slot i (arch_backends.h)
 *	ubfx	x17, x16, #6, #10	i
 *	sub	x16, x16, x17, lsl #4
 *	sub	x16, x16, x17, lsl #3	stub - 24 * i
 *	add	x16, x16, #ARCH_MP_CODE + SLOT_SEQ
 *	ldr	x17, thunk word		(stub + ARCH_MP_THUNK)
 *	br	x17
 * then brk fill, the thunk word and room for the pair (arch_backends.h).
 * The thunks get exactly what the static stubs give them (stubs.S).  All
 * addressing is relative to the stub, so a copy works at any 64-byte
 * aligned address of a code half.
 */
	.if	ARCH_MP_STRIDE - SLOT_PAIR_SIZE != 24 || ARCH_MP_SLOTS != 1024 \
		|| (ARCH_MP_CODE + SLOT_SEQ) & 0xfff
	.error	"the slot arithmetic of the templates does not match the layout"
	.endif

.macro	TEMPLATE
.Lt\@:	BTI_C
	adr	x16, .Lt\@
	ubfx	x17, x16, #6, #10
	sub	x16, x16, x17, lsl #4
	sub	x16, x16, x17, lsl #3
	add	x16, x16, #(ARCH_MP_CODE + SLOT_SEQ) >> 12, lsl #12
	ldr	x17, .Lt\@ + ARCH_MP_THUNK
	br	x17
	.quad	0
	.rept	(ARCH_MP_PAIR - ARCH_MP_THUNK - 8) / 4
	.inst	ARCH_FILL_WORD
	.endr
	.quad	0, 0
	.if	. - .Lt\@ != ARCH_MP_STRIDE
	.error	"template size does not match ARCH_MP_STRIDE"
	.endif
.endm

	.section .rodata.trampjit_mp_templates, "a"
	.p2align 6
	.globl	arch_mp_templates
	.hidden	arch_mp_templates
	.type	arch_mp_templates, %object
arch_mp_templates:
	TEMPLATE	/* CHAIN */
	TEMPLATE	/* BIND */
	TEMPLATE	/* HANDLER */
	TEMPLATE	/* CONTEXT */
	TEMPLATE	/* BIND with TRAMP_BIND_SRET */
	.size	arch_mp_templates, . - arch_mp_templates

	GNU_PROPERTY_NOTE
	.section .note.GNU-stack, "", %progbits
