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
 *	adr	x16, seq of slot	(stub + ARCH_MP_CODE + SLOT_SEQ)
 *	ldr	x17, thunk word		(stub + ARCH_MP_THUNK)
 *	br	x17
 * then brk fill, the thunk word and room for the pair (arch_backends.h).
 * The thunks get exactly what the static stubs give them (stubs.S).  All
 * addressing is relative to the stub, so a copy works at any 64-byte
 * aligned address of a code half.
 */
.macro	TEMPLATE
.Lt\@:	BTI_C
	adr	x16, .Lt\@ + ARCH_MP_CODE + SLOT_SEQ
	ldr	x17, .Lt\@ + ARCH_MP_THUNK
	br	x17
	.rept	(ARCH_MP_THUNK - 16) / 4
	.inst	ARCH_FILL_WORD
	.endr
	.quad	0
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
	.size	arch_mp_templates, . - arch_mp_templates

	GNU_PROPERTY_NOTE
	.section .note.GNU-stack, "", %progbits
