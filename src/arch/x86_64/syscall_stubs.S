/* SPDX-License-Identifier: MIT */
/*
 * x86_64 stub table of the syscall backend (tramp_syscall.c): copied into a
 * sealed memfd and mapped read+execute as the code half of every table.
 */
#include <cet.h>
#include "arch_backends.h"

	.section .rodata.trampjit_syscall_stubs, "a"
	.p2align 16

/*
 * ARCH_SYSCALL_SLOTS identical stubs of ARCH_SYSCALL_STRIDE bytes.  Each
 * saves %rcx and %rax (the syscall instruction overwrites %rcx and %r11,
 * %rax carries the varargs vector count) below the return address, loads
 * the reserved number and traps; the SIGSYS handler pops both words and
 * continues as the trampoline.  Nothing runs after the syscall: int3 fill.
 * The stub is position independent: one table serves every address.
 */
	.globl	arch_syscall_stubs
	.hidden	arch_syscall_stubs
	.type	arch_syscall_stubs, @object
arch_syscall_stubs:
	.rept	ARCH_SYSCALL_SLOTS
1:	_CET_ENDBR
	push	%rcx
	push	%rax
	mov	$ARCH_TRAP_NR, %eax
	syscall
2:	.if	2b - 1b != ARCH_SYSCALL_RET
	.error	"ARCH_SYSCALL_RET does not match the stub"
	.endif
	.if	2b - 1b > ARCH_SYSCALL_STRIDE
	.error	"a stub exceeds ARCH_SYSCALL_STRIDE"
	.endif
	.fill	1b + ARCH_SYSCALL_STRIDE - ., 1, 0xcc
	.endr
	.if	. - arch_syscall_stubs != ARCH_SYSCALL_CODE
	.error	"the stub table is not ARCH_SYSCALL_CODE bytes"
	.endif
	.size	arch_syscall_stubs, . - arch_syscall_stubs

	.section .note.GNU-stack, "", %progbits
