/* SPDX-License-Identifier: MIT */
/*
 * x86_64 stub table of the syscall backend (tramp_syscall.c): copied into a
 * sealed memfd and mapped read+execute as the code half of every table.
 */
#include "arch_backends.h"

#ifdef __CET__
#define ENDBR	endbr64
#else
#define ENDBR
#endif

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
1:	ENDBR
	push	%rcx
	push	%rax
	mov	$ARCH_TRAP_NR, %eax
	syscall
2:	.fill	1b + ARCH_SYSCALL_STRIDE - ., 1, 0xcc
	.if	2b - 1b != ARCH_SYSCALL_RET
	.error	"ARCH_SYSCALL_RET does not match the stub"
	.endif
	.endr
	.size	arch_syscall_stubs, . - arch_syscall_stubs

	.section .note.GNU-stack, "", %progbits
