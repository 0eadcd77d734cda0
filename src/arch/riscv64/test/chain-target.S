/* SPDX-License-Identifier: MIT */
/* Test targets for TRAMP_CHAIN: return the static chain register t2, and
   return it plus nine arguments (to see arguments and the stack pass
   through); probes returning a0 and a1. */
	.option	norvc
	.text
	.globl	chain_target_reg
	.type	chain_target_reg, %function
chain_target_reg:
	mv	a0, t2
	ret
	.size	chain_target_reg, . - chain_target_reg

	.globl	chain_target_reg_plus_args
	.type	chain_target_reg_plus_args, %function
chain_target_reg_plus_args:
	add	a0, a0, t2
	add	a0, a0, a1
	add	a0, a0, a2
	add	a0, a0, a3
	add	a0, a0, a4
	add	a0, a0, a5
	add	a0, a0, a6
	add	a0, a0, a7
	ld	t0, 0(sp)
	add	a0, a0, t0
	ret
	.size	chain_target_reg_plus_args, . - chain_target_reg_plus_args

/* probe_ret_a0: returns its a0 untouched (a BIND target's data). */
	.globl	probe_ret_a0
	.type	probe_ret_a0, %function
probe_ret_a0:
	ret
	.size	probe_ret_a0, . - probe_ret_a0

/* probe_ret_a1: returns its a1 (a TRAMP_BIND_SRET target's data). */
	.globl	probe_ret_a1
	.type	probe_ret_a1, %function
probe_ret_a1:
	mv	a0, a1
	ret
	.size	probe_ret_a1, . - probe_ret_a1

	.section .note.GNU-stack, "", %progbits
