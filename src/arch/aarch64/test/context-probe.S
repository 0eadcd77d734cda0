/* SPDX-License-Identifier: MIT */
/*
 * ctx_probe: the pc of context tests.  Records x0-x30 and sp (by
 * TRAMP_REG_* index; x16 and x17, which a context may not set, as found)
 * in ctx_seen, the 8 words at and above the stack pointer in ctx_above and
 * the 8 words below it in ctx_below, then calls ctx_done() (which
 * longjmps back into the test) on an aligned stack.
 */
	.text
	.globl	ctx_probe
	.type	ctx_probe, %function
ctx_probe:
	hint	34		/* bti c */
	adrp	x16, ctx_seen
	add	x16, x16, :lo12:ctx_seen
	stp	x0, x1, [x16, #0]
	stp	x2, x3, [x16, #16]
	stp	x4, x5, [x16, #32]
	stp	x6, x7, [x16, #48]
	stp	x8, x9, [x16, #64]
	stp	x10, x11, [x16, #80]
	stp	x12, x13, [x16, #96]
	stp	x14, x15, [x16, #112]
	stp	xzr, xzr, [x16, #128]
	stp	x18, x19, [x16, #144]
	stp	x20, x21, [x16, #160]
	stp	x22, x23, [x16, #176]
	stp	x24, x25, [x16, #192]
	stp	x26, x27, [x16, #208]
	stp	x28, x29, [x16, #224]
	mov	x17, sp
	stp	x30, x17, [x16, #240]
	adrp	x16, ctx_above
	add	x16, x16, :lo12:ctx_above
	mov	x17, sp
	.set	i, 0
	.rept	8
	ldr	x0, [x17, #i]
	str	x0, [x16, #i]
	.set	i, i + 8
	.endr
	adrp	x16, ctx_below
	add	x16, x16, :lo12:ctx_below
	sub	x17, x17, #64
	.set	i, 0
	.rept	8
	ldr	x0, [x17, #i]
	str	x0, [x16, #i]
	.set	i, i + 8
	.endr
	mov	x17, sp
	and	x17, x17, #~15
	mov	sp, x17
	bl	ctx_done
	brk	#1
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
