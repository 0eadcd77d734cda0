/* SPDX-License-Identifier: MIT */
/*
 * x86_64 thunks shared by every trampoline of a kind, in the library's own
 * text (so they have symbols and CFI for free).  Thunk stubs enter them
 * with %r11 = the trampoline's slot and the caller's return address on top
 * of the stack.
 *
 * Registers: besides what its kind defines (chain: %r10; bind: the integer
 * argument registers; context: the registers of its mask), a thunk changes
 * only %r11, which is scratch under the System V and the Microsoft ABI.
 * Every vector register, the x87 stack and every other general register
 * reach the target (or, for HANDLER, the caller) as the caller left them,
 * so ms_abi callers keep %rsi, %rdi and %xmm6-%xmm15.  No thunk calls C
 * code between saving and restoring state, so none of this depends on how
 * the C parts of the library are compiled.
 */
#include <cet.h>
#include "arch.h"

	.text

/*
 * Load the slot's pair {data, target} at (%r11) with one 16-byte access
 * (single-copy atomic on every CPU with AVX, as both vendors document), so
 * that a concurrent retarget is seen whole or not at all.  %xmm15 carries
 * it and is put back from the red zone below the return address (the
 * callee's under both ABIs; signal frames skip it).  Clobbers %r11.
 */
.macro	LOAD_PAIR lo, hi
	movups	%xmm15, -24(%rsp)
	movdqa	(%r11), %xmm15
	movq	%xmm15, \lo
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, \hi
	movups	-24(%rsp), %xmm15
.endm

/*
 * tramp_chain_thunk: data into %r10 (the static chain), jump to the target.
 * Arguments, stack and return address are the caller's.
 */
	.globl	tramp_chain_thunk
	.hidden	tramp_chain_thunk
	.type	tramp_chain_thunk, @function
tramp_chain_thunk:
	.cfi_startproc
	_CET_ENDBR
	LOAD_PAIR %r10, %r11
	jmp	*%r11
	.cfi_endproc
	.size	tramp_chain_thunk, . - tramp_chain_thunk

/*
 * tramp_bind_thunk: as chain, but the data word becomes the first integer
 * argument and the five others shift up one register (%rdi..%r8 into
 * %rsi..%r9; the original %r9 is dropped, hence the N-1 limit).  Vector
 * arguments, %rax (varargs count), the stack and the return address are
 * untouched, so the target returns straight to the caller.
 */
	.globl	tramp_bind_thunk
	.hidden	tramp_bind_thunk
	.type	tramp_bind_thunk, @function
tramp_bind_thunk:
	.cfi_startproc
	_CET_ENDBR
	mov	%r8, %r9
	mov	%rcx, %r8
	mov	%rdx, %rcx
	mov	%rsi, %rdx
	mov	%rdi, %rsi
	LOAD_PAIR %rdi, %r11
	jmp	*%r11
	.cfi_endproc
	.size	tramp_bind_thunk, . - tramp_bind_thunk

/*
 * tramp_bind_sret_thunk: TRAMP_BIND with TRAMP_BIND_SRET, for targets that
 * return a struct in memory: %rdi (the hidden result pointer) stays, data
 * becomes the second integer argument, %rsi..%r8 shift into %rdx..%r9.
 */
	.globl	tramp_bind_sret_thunk
	.hidden	tramp_bind_sret_thunk
	.type	tramp_bind_sret_thunk, @function
tramp_bind_sret_thunk:
	.cfi_startproc
	_CET_ENDBR
	mov	%r8, %r9
	mov	%rcx, %r8
	mov	%rdx, %rcx
	mov	%rsi, %rdx
	LOAD_PAIR %rsi, %r11
	jmp	*%r11
	.cfi_endproc
	.size	tramp_bind_sret_thunk, . - tramp_bind_sret_thunk

/*
 * tramp_handler_thunk: build a struct tramp_frame (layout in arch.h) on the
 * stack, call handler(frame, data) with the pair of the slot, then return
 * rax/rdx/xmm0/xmm1 (16 bytes each) and, if the handler asked for it, one
 * or two x87 values from the frame to the caller.  %rdi, %rsi and
 * %xmm6-%xmm15, which the (System V) handler may change, are put back.
 * The slot is not read after the call, so the handler may destroy its own
 * trampoline.
 */
	.globl	tramp_handler_thunk
	.hidden	tramp_handler_thunk
	.type	tramp_handler_thunk, @function
tramp_handler_thunk:
	.cfi_startproc
	_CET_ENDBR
	push	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	sub	$FRAME_SIZE, %rsp
	mov	%rdi, FRAME_GPR + 0(%rsp)
	mov	%rsi, FRAME_GPR + 8(%rsp)
	mov	%rdx, FRAME_GPR + 16(%rsp)
	mov	%rcx, FRAME_GPR + 24(%rsp)
	mov	%r8, FRAME_GPR + 32(%rsp)
	mov	%r9, FRAME_GPR + 40(%rsp)
	mov	%rax, FRAME_AL(%rsp)
	lea	16(%rbp), %rax
	mov	%rax, FRAME_STACK(%rsp)
	movaps	%xmm0, FRAME_XMM + 0(%rsp)
	movaps	%xmm1, FRAME_XMM + 16(%rsp)
	movaps	%xmm2, FRAME_XMM + 32(%rsp)
	movaps	%xmm3, FRAME_XMM + 48(%rsp)
	movaps	%xmm4, FRAME_XMM + 64(%rsp)
	movaps	%xmm5, FRAME_XMM + 80(%rsp)
	movaps	%xmm6, FRAME_XMM + 96(%rsp)
	movaps	%xmm7, FRAME_XMM + 112(%rsp)
	movaps	%xmm8, FRAME_SAVED + 0(%rsp)
	movaps	%xmm9, FRAME_SAVED + 16(%rsp)
	movaps	%xmm10, FRAME_SAVED + 32(%rsp)
	movaps	%xmm11, FRAME_SAVED + 48(%rsp)
	movaps	%xmm12, FRAME_SAVED + 64(%rsp)
	movaps	%xmm13, FRAME_SAVED + 80(%rsp)
	movaps	%xmm14, FRAME_SAVED + 96(%rsp)
	movaps	%xmm15, FRAME_SAVED + 112(%rsp)
	pxor	%xmm0, %xmm0
	movaps	%xmm0, FRAME_RET(%rsp)
	movaps	%xmm0, FRAME_VRET(%rsp)
	movaps	%xmm0, FRAME_VRET + 16(%rsp)
	movl	$0, FRAME_NX87(%rsp)
	movdqa	(%r11), %xmm15
	movq	%xmm15, %rsi
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, %rax
	mov	%rsp, %rdi
	call	*%rax
	mov	FRAME_NX87(%rsp), %ecx
	test	%ecx, %ecx
	jnz	2f
1:	mov	FRAME_GPR + 0(%rsp), %rdi
	mov	FRAME_GPR + 8(%rsp), %rsi
	mov	FRAME_RET(%rsp), %rax
	mov	FRAME_RET + 8(%rsp), %rdx
	movaps	FRAME_VRET(%rsp), %xmm0
	movaps	FRAME_VRET + 16(%rsp), %xmm1
	movaps	FRAME_XMM + 96(%rsp), %xmm6
	movaps	FRAME_XMM + 112(%rsp), %xmm7
	movaps	FRAME_SAVED + 0(%rsp), %xmm8
	movaps	FRAME_SAVED + 16(%rsp), %xmm9
	movaps	FRAME_SAVED + 32(%rsp), %xmm10
	movaps	FRAME_SAVED + 48(%rsp), %xmm11
	movaps	FRAME_SAVED + 64(%rsp), %xmm12
	movaps	FRAME_SAVED + 80(%rsp), %xmm13
	movaps	FRAME_SAVED + 96(%rsp), %xmm14
	movaps	FRAME_SAVED + 112(%rsp), %xmm15
	leave
	.cfi_remember_state
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_restore_state
	/* long double (st0) or complex long double (st0, st1) return: the
	   ABI's x87 stack is empty at the call, so at most two loads. */
2:	cmp	$1, %ecx
	je	3f
	fldt	FRAME_X87 + 16(%rsp)
3:	fldt	FRAME_X87(%rsp)
	jmp	1b
	.cfi_endproc
	.size	tramp_handler_thunk, . - tramp_handler_thunk

/* Save every general register into the image at %rsp (TRAMP_REG_* order),
   with S0, the stack pointer of the call, as the RSP entry. */
.macro	SAVE_IMAGE
	mov	%rax, 0(%rsp)
	mov	%rbx, 8(%rsp)
	mov	%rcx, 16(%rsp)
	mov	%rdx, 24(%rsp)
	mov	%rsi, 32(%rsp)
	mov	%rdi, 40(%rsp)
	mov	%rbp, 48(%rsp)
	mov	%r8, 64(%rsp)
	mov	%r9, 72(%rsp)
	mov	%r10, 80(%rsp)
	mov	%r11, 88(%rsp)
	mov	%r12, 96(%rsp)
	mov	%r13, 104(%rsp)
	mov	%r14, 112(%rsp)
	mov	%r15, 120(%rsp)
	lea	CTX_FRAME(%rsp), %rax
	mov	%rax, 56(%rsp)
.endm

/*
 * tramp_context_thunk: the slot holds {context, pc}.  The context word never
 * changes while the trampoline lives (tramp_retarget only changes pc), so
 * two 8-byte loads see a consistent pair.  Save all registers in an image
 * CTX_FRAME bytes below the call's stack pointer, apply the context (in
 * context_common), then load every register from the image, the stack
 * pointer last, and jump through the pc word left in the red zone.
 * Nothing but the image and the red zone is touched; no vector or x87
 * register is used.
 */
	.globl	tramp_context_thunk
	.hidden	tramp_context_thunk
	.type	tramp_context_thunk, @function
tramp_context_thunk:
	.cfi_startproc
	_CET_ENDBR
	sub	$CTX_FRAME, %rsp
	.cfi_adjust_cfa_offset CTX_FRAME
	SAVE_IMAGE
	mov	0(%r11), %rsi
	mov	8(%r11), %rdx
	jmp	context_common
	.cfi_endproc
	.size	tramp_context_thunk, . - tramp_context_thunk

/*
 * arch_context_jump(ctx, pc): the same from C (tramp_jump), with the stack
 * pointer of this call as the one the context is applied to.
 */
	.globl	arch_context_jump
	.hidden	arch_context_jump
	.type	arch_context_jump, @function
arch_context_jump:
	.cfi_startproc
	_CET_ENDBR
	sub	$CTX_FRAME, %rsp
	.cfi_adjust_cfa_offset CTX_FRAME
	SAVE_IMAGE
	mov	%rsi, %rdx
	mov	%rdi, %rsi
	/*
	 * %rsi = context, %rdx = pc, every register saved: all are scratch.
	 * What arch_context_image() (arch.c) does for the signal backends:
	 * stack[i] to S0 - 8 * (i + 1); final stack pointer S0, or below the
	 * last word with TRAMP_CONTEXT_MOVE_SP; masked registers (never the
	 * stack pointer) from regs[].
	 */
context_common:
	mov	56(%rsp), %rdi			/* S0 */
	mov	CTX_NSTACK(%rsi), %ecx
	xor	%eax, %eax
	jmp	2f
1:	mov	CTX_STACK(%rsi, %rax, 8), %r8
	inc	%rax
	mov	%rax, %r9
	neg	%r9
	mov	%r8, (%rdi, %r9, 8)
2:	cmp	%rcx, %rax
	jb	1b
	testl	$CTX_MOVE_SP, CTX_FLAGS(%rsi)
	jz	3f
	shl	$3, %rcx
	sub	%rcx, %rdi
3:	mov	%rdi, 56(%rsp)
	mov	%rdx, -CTX_PC_BELOW(%rdi)
	mov	CTX_MASK(%rsi), %r8
	btr	$7, %r8				/* TRAMP_REG_RSP */
	jmp	5f
4:	bsf	%r8, %rax
	mov	CTX_REGS(%rsi, %rax, 8), %r9
	mov	%r9, (%rsp, %rax, 8)
	lea	-1(%r8), %r9
	and	%r9, %r8
5:	test	%r8, %r8
	jnz	4b
	mov	0(%rsp), %rax
	mov	8(%rsp), %rbx
	mov	16(%rsp), %rcx
	mov	24(%rsp), %rdx
	mov	32(%rsp), %rsi
	mov	40(%rsp), %rdi
	mov	48(%rsp), %rbp
	mov	64(%rsp), %r8
	mov	72(%rsp), %r9
	mov	80(%rsp), %r10
	mov	88(%rsp), %r11
	mov	96(%rsp), %r12
	mov	104(%rsp), %r13
	mov	112(%rsp), %r14
	mov	120(%rsp), %r15
	mov	56(%rsp), %rsp
	/* The stack is the context's now: where the caller's return address
	   lies depends on its pushes, so unwinders must stop here. */
	.cfi_undefined rip
	jmp	*-CTX_PC_BELOW(%rsp)
	.cfi_endproc
	.size	arch_context_jump, . - arch_context_jump

	.section .note.GNU-stack, "", %progbits
