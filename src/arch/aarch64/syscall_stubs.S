/* SPDX-License-Identifier: MIT */
/*
 * aarch64 stub table of the syscall backend (tramp_syscall.c): copied into
 * a sealed memfd and mapped read+execute as the code half of every table.
 */
#include "arch.h"
#include "arch_backends.h"

	.section .rodata.trampjit_syscall_stubs, "a"
	.p2align 16

/*
 * ARCH_SYSCALL_SLOTS identical stubs of ARCH_SYSCALL_STRIDE bytes.  Each
 * saves x8 in a 16-byte push (the stack stays 16-byte aligned), loads the
 * reserved number and traps; the SIGSYS handler pops x8 back and continues
 * as the trampoline.  Nothing runs after the svc: brk fill.  The stub is
 * position independent: one table serves every address.
 */
	.globl	arch_syscall_stubs
	.hidden	arch_syscall_stubs
	.type	arch_syscall_stubs, %object
arch_syscall_stubs:
	.rept	ARCH_SYSCALL_SLOTS
1:	BTI_C
	stp	x8, xzr, [sp, #-16]!
	movz	x8, #(ARCH_TRAP_NR >> 16), lsl #16
	svc	#0
2:
	.rept	(ARCH_SYSCALL_STRIDE - ARCH_SYSCALL_RET) / 4
	.inst	ARCH_FILL_WORD
	.endr
	.if	2b - 1b != ARCH_SYSCALL_RET || . - 1b != ARCH_SYSCALL_STRIDE
	.error	"ARCH_SYSCALL_RET or ARCH_SYSCALL_STRIDE does not match"
	.endif
	.endr
	.size	arch_syscall_stubs, . - arch_syscall_stubs

	GNU_PROPERTY_NOTE
	.section .note.GNU-stack, "", %progbits
