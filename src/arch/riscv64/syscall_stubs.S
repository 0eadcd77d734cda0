/* SPDX-License-Identifier: MIT */
/*
 * riscv64 stub table of the syscall backend (tramp_syscall.c): copied into
 * a sealed memfd and mapped read+execute as the code half of every table.
 */
#include "arch.h"
#include "arch_backends.h"

	.section .rodata.trampjit_syscall_stubs, "a"
	.p2align 16

/*
 * ARCH_SYSCALL_SLOTS identical stubs of ARCH_SYSCALL_STRIDE bytes.  Each
 * saves a7 in a 16-byte push (the stack stays 16-byte aligned), loads the
 * reserved number and traps; the SIGSYS handler pops a7 back and continues
 * as the trampoline.  Nothing runs after the ecall: ebreak fill.  The stub
 * is position independent: one table serves every address.
 */
	.globl	arch_syscall_stubs
	.hidden	arch_syscall_stubs
	.type	arch_syscall_stubs, %object
arch_syscall_stubs:
	.rept	ARCH_SYSCALL_SLOTS
1:	addi	sp, sp, -16
	sd	a7, 0(sp)
	lui	a7, ARCH_TRAP_NR >> 12
	ecall
2:
	.rept	(ARCH_SYSCALL_STRIDE - ARCH_SYSCALL_RET) / 4
	.4byte	ARCH_FILL_WORD
	.endr
	.if	2b - 1b != ARCH_SYSCALL_RET || . - 1b != ARCH_SYSCALL_STRIDE
	.error	"ARCH_SYSCALL_RET or ARCH_SYSCALL_STRIDE does not match"
	.endif
	.endr
	.size	arch_syscall_stubs, . - arch_syscall_stubs

	.section .note.GNU-stack, "", %progbits
