/* SPDX-License-Identifier: MIT */
/*
 * Call-path floors for the trampoline figures, in the benchmark's own text:
 * a stub ending in an indirect jump through a data word (the shape every
 * data-page or inline-constant trampoline has), and a direct jump.  Both
 * end in bench_inc (bench_tramp.c).
 */
#include <cet.h>

	.text
	.globl	floor_indirect_stub
	.type	floor_indirect_stub, @function
floor_indirect_stub:
	_CET_ENDBR
	mov	floor_data(%rip), %r10
	jmp	*floor_target(%rip)
	.size	floor_indirect_stub, . - floor_indirect_stub

	.globl	floor_direct_stub
	.type	floor_direct_stub, @function
floor_direct_stub:
	_CET_ENDBR
	jmp	bench_inc
	.size	floor_direct_stub, . - floor_direct_stub

	.data
	.p2align 4
	.globl	floor_target
floor_data:
	.quad	0
floor_target:
	.quad	bench_inc

	.section .note.GNU-stack, "", %progbits
