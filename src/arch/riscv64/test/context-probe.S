/* SPDX-License-Identifier: MIT */
/*
 * ctx_probe: the pc of context tests.  Records x1-x31 (by register number,
 * the TRAMP_REG_* index; t1 and t3, which a context may not set, as 0)
 * in ctx_seen, the 8 words at and above the stack pointer in ctx_above and
 * the 8 words below it in ctx_below, then calls ctx_done() (which
 * longjmps back into the test) on an aligned stack.  gp is reloaded for
 * the C code (a context may not set gp or tp, but the caller's C code
 * expects __global_pointer$ there).
 */
	.option	norvc
	.option	norelax
	.text
	.globl	ctx_probe
	.type	ctx_probe, %function
ctx_probe:
	lla	t3, ctx_seen
	.irp	r, 1,3,4,5,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,29,30,31
	sd	x\r, 8 * \r(t3)
	.endr
	sd	zero, 0(t3)
	sd	zero, 8 * 6(t3)
	sd	zero, 8 * 28(t3)
	sd	sp, 16(t3)
	lla	t3, ctx_above
	.set	i, 0
	.rept	8
	ld	t1, i(sp)
	sd	t1, i(t3)
	.set	i, i + 8
	.endr
	lla	t3, ctx_below
	.set	i, 0
	.rept	8
	ld	t1, i - 64(sp)
	sd	t1, i(t3)
	.set	i, i + 8
	.endr
	lla	gp, __global_pointer$
	andi	sp, sp, -16
	call	ctx_done
	ebreak
	.size	ctx_probe, . - ctx_probe

	.bss
	.p2align 4
	.globl	ctx_seen, ctx_above, ctx_below
ctx_seen:
	.zero	256
ctx_above:
	.zero	64
ctx_below:
	.zero	64

	.section .note.GNU-stack, "", %progbits
