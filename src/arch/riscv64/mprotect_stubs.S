/* SPDX-License-Identifier: MIT */
/*
 * riscv64 templates of the mprotect baseline (tramp_mprotect.c): one per
 * kind, copied once per trampoline into its table's code half.
 */
#include "arch.h"
#include "arch_backends.h"

/*
 * Each template is ARCH_MP_STRIDE bytes:
 *	auipc	t3, 0			t3 = stub
 *	ld	t1, ARCH_MP_THUNK(t3)	thunk word
 *	slli	t4, t3, 48
 *	srli	t4, t4, 51		8 * i (i: bits 6-15 of the stub)
 *	sub	t3, t3, t4
 *	slli	t4, t4, 1
 *	sub	t3, t3, t4		stub - 24 * i
 *	lui	t4, ARCH_MP_CODE >> 12
 *	add	t3, t3, t4		seq of slot i (arch_backends.h)
 *	jr	t1
 * then the thunk word and room for the pair (arch_backends.h).  The thunks
 * get what the static stubs give them (stubs.S), and t4 is scratch of
 * every thunk.  All addressing is relative to the stub, so a copy works at
 * any 64-byte aligned address of a code half.
 */
	.if	ARCH_MP_STRIDE - SLOT_PAIR_SIZE != 24 || ARCH_MP_SLOTS != 1024 \
		|| ARCH_MP_CODE != 0x10000 || SLOT_SEQ != 0
	.error	"the slot arithmetic of the templates does not match the layout"
	.endif

.macro	TEMPLATE
.Lt\@:	auipc	t3, 0
	ld	t1, ARCH_MP_THUNK(t3)
	slli	t4, t3, 48
	srli	t4, t4, 51
	sub	t3, t3, t4
	slli	t4, t4, 1
	sub	t3, t3, t4
	lui	t4, ARCH_MP_CODE >> 12
	add	t3, t3, t4
	jr	t1
	.if	. - .Lt\@ != ARCH_MP_THUNK
	.error	"template code does not end at ARCH_MP_THUNK"
	.endif
	.quad	0
	.quad	0, 0
	.if	. - .Lt\@ != ARCH_MP_STRIDE || ARCH_MP_PAIR != ARCH_MP_THUNK + 8
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

	.section .note.GNU-stack, "", %progbits
