/* SPDX-License-Identifier: MIT */
/*
 * Call-path floors for the trampoline figures, in the benchmark's own text:
 * a stub ending in an indirect branch through a data word (the shape every
 * data-page or inline-constant trampoline has), and a direct branch.  Both
 * end in bench_inc (bench_tramp.c).
 */
	.text
	.globl	floor_indirect_stub
	.type	floor_indirect_stub, %function
floor_indirect_stub:
	hint	34		/* bti c */
	adrp	x16, floor_data
	add	x16, x16, :lo12:floor_data
	ldp	x18, x17, [x16]
	br	x17
	.size	floor_indirect_stub, . - floor_indirect_stub

	.globl	floor_direct_stub
	.type	floor_direct_stub, %function
floor_direct_stub:
	hint	34
	b	bench_inc
	.size	floor_direct_stub, . - floor_direct_stub

	.data
	.p2align 4
	.globl	floor_target
floor_data:
	.quad	0
floor_target:
	.quad	bench_inc

	.section .note.GNU-stack, "", %progbits
