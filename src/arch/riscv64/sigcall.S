/* SPDX-License-Identifier: MIT */
/*
 * riscv64 side of signal chaining: a call to a chained handler on a
 * chosen stack (arch_uc_sp is in sigtramp.c).
 */
#include "arch.h"

/*
 * arch_sig_call(fn, sig, si, uc, sp): fn(sig, si, uc) with sp at sp
 * rounded down to 16 bytes (the psABI has no red zone), or on this stack
 * when sp is 0.  s0 keeps the caller's frame across the call and the CFI
 * says so, so an unwinder started in fn walks back through here.
 */
	.text
	.globl	arch_sig_call
	.hidden	arch_sig_call
	.type	arch_sig_call, %function
	.p2align 4
arch_sig_call:
	.cfi_startproc
	addi	sp, sp, -16
	.cfi_def_cfa_offset 16
	sd	ra, 8(sp)
	sd	s0, 0(sp)
	.cfi_offset ra, -8
	.cfi_offset s0, -16
	addi	s0, sp, 16
	.cfi_def_cfa s0, 0
	beqz	a4, 1f
	andi	sp, a4, -16
1:	mv	t1, a0
	sext.w	a0, a1
	mv	a1, a2
	mv	a2, a3
	jalr	t1
	addi	sp, s0, -16
	.cfi_def_cfa sp, 16
	ld	ra, 8(sp)
	ld	s0, 0(sp)
	.cfi_restore ra
	.cfi_restore s0
	addi	sp, sp, 16
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	arch_sig_call, . - arch_sig_call

	.section .note.GNU-stack, "", %progbits
