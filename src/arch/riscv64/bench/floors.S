/* SPDX-License-Identifier: MIT */
/*
 * Call-path floors for the trampoline figures, in the benchmark's own text:
 * a stub ending in an indirect jump through a data word (the shape every
 * data-page or inline-constant trampoline has), and a direct jump.  Both
 * end in bench_inc (bench_tramp.c).
 */
	.option	norvc
	.text
	.globl	floor_indirect_stub
	.type	floor_indirect_stub, %function
floor_indirect_stub:
	lla	t3, floor_data
	ld	t2, 0(t3)
	ld	t1, 8(t3)
	jr	t1
	.size	floor_indirect_stub, . - floor_indirect_stub

	.globl	floor_direct_stub
	.type	floor_direct_stub, %function
floor_direct_stub:
	tail	bench_inc
	.size	floor_direct_stub, . - floor_direct_stub

	.data
	.p2align 4
	.globl	floor_target
floor_data:
	.quad	0
floor_target:
	.quad	bench_inc

	.section .note.GNU-stack, "", %progbits
