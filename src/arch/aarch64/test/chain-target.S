/* SPDX-License-Identifier: MIT */
/* Test targets for TRAMP_CHAIN: return the static chain register x18, and
   return it plus nine arguments (to see arguments and the stack pass
   through). */
	.text
	.globl	chain_target_reg
	.type	chain_target_reg, %function
chain_target_reg:
	hint	34		/* bti c */
	mov	x0, x18
	ret
	.size	chain_target_reg, . - chain_target_reg

	.globl	chain_target_reg_plus_args
	.type	chain_target_reg_plus_args, %function
chain_target_reg_plus_args:
	hint	34
	add	x0, x0, x18
	add	x0, x0, x1
	add	x0, x0, x2
	add	x0, x0, x3
	add	x0, x0, x4
	add	x0, x0, x5
	add	x0, x0, x6
	add	x0, x0, x7
	ldr	x9, [sp]
	add	x0, x0, x9
	ret
	.size	chain_target_reg_plus_args, . - chain_target_reg_plus_args

/* probe_ret_x0: returns its x0 untouched (a BIND target's data). */
	.globl	probe_ret_x0
	.type	probe_ret_x0, %function
probe_ret_x0:
	hint	34
	ret
	.size	probe_ret_x0, . - probe_ret_x0

	.section .note.GNU-stack, "", %progbits
