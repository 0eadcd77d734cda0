/* SPDX-License-Identifier: MIT */
/*
 * aarch64 side of signal chaining: a call to a chained handler on a
 * chosen stack (arch_uc_sp is in sigtramp.c).
 */
#include "arch.h"

/*
 * arch_sig_call(fn, sig, si, uc, sp): fn(sig, si, uc) with sp at sp
 * rounded down to 16 bytes (AAPCS64 has no red zone), or on this stack
 * when sp is 0.  x29 keeps the caller's frame across the call and the CFI
 * says so, so an unwinder started in fn walks back through here.
 */
	.text
	.globl	arch_sig_call
	.hidden	arch_sig_call
	.type	arch_sig_call, %function
	.p2align 4
arch_sig_call:
	.cfi_startproc
	BTI_C
#if ARCH_PAC
	hint	25			/* paciasp */
	.cfi_negate_ra_state
#endif
	stp	x29, x30, [sp, #-16]!
	.cfi_def_cfa_offset 16
	.cfi_offset x29, -16
	.cfi_offset x30, -8
	mov	x29, sp
	.cfi_def_cfa x29, 16
	cbz	x4, 1f
	and	x4, x4, #~15
	mov	sp, x4
1:	mov	x9, x0
	mov	w0, w1
	mov	x1, x2
	mov	x2, x3
	blr	x9
	mov	sp, x29
	ldp	x29, x30, [sp], #16
	.cfi_def_cfa sp, 0
	.cfi_restore x29
	.cfi_restore x30
#if ARCH_PAC
	hint	29			/* autiasp */
	.cfi_negate_ra_state
#endif
	ret
	.cfi_endproc
	.size	arch_sig_call, . - arch_sig_call

	GNU_PROPERTY_NOTE
	.section .note.GNU-stack, "", %progbits
