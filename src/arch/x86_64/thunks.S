/* SPDX-License-Identifier: MIT */
/*
 * x86_64 thunks shared by every trampoline of a kind, in the library's own
 * text (so they have symbols and CFI for free).  Thunk stubs enter them
 * with %r11 = the trampoline's slot and the caller's return address on top
 * of the stack.
 */
#include "arch.h"

#ifdef __CET__
#define ENDBR	endbr64
#else
#define ENDBR
#endif

	.text

/*
 * tramp_chain_thunk: load the slot's pair with one 16-byte access, data
 * into %r10 (the static chain), jump to the target.  Scratch: %r11 and
 * %xmm15, which carry no argument.  Arguments, stack and return address
 * are the caller's.
 */
	.globl	tramp_chain_thunk
	.hidden	tramp_chain_thunk
	.type	tramp_chain_thunk, @function
tramp_chain_thunk:
	.cfi_startproc
	ENDBR
	movdqa	(%r11), %xmm15
	movq	%xmm15, %r10
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, %r11
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
	ENDBR
	movdqa	(%r11), %xmm15
	mov	%r8, %r9
	mov	%rcx, %r8
	mov	%rdx, %rcx
	mov	%rsi, %rdx
	mov	%rdi, %rsi
	movq	%xmm15, %rdi
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, %r11
	jmp	*%r11
	.cfi_endproc
	.size	tramp_bind_thunk, . - tramp_bind_thunk

/*
 * tramp_handler_thunk: build a struct tramp_frame (layout in arch.h) on the
 * stack, call handler(frame, data) with the pair of the slot, then return
 * rax/rdx/xmm0/xmm1 from the frame to the caller.  The slot is not read
 * after the call, so the handler may destroy its own trampoline.
 */
	.globl	tramp_handler_thunk
	.hidden	tramp_handler_thunk
	.type	tramp_handler_thunk, @function
tramp_handler_thunk:
	.cfi_startproc
	ENDBR
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
	pxor	%xmm0, %xmm0
	movaps	%xmm0, FRAME_RET(%rsp)
	movaps	%xmm0, FRAME_VRET(%rsp)
	movaps	%xmm0, FRAME_VRET + 16(%rsp)
	movdqa	(%r11), %xmm15
	movq	%xmm15, %rsi
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, %rax
	mov	%rsp, %rdi
	call	*%rax
	mov	FRAME_RET(%rsp), %rax
	mov	FRAME_RET + 8(%rsp), %rdx
	movq	FRAME_VRET(%rsp), %xmm0
	movq	FRAME_VRET + 16(%rsp), %xmm1
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	tramp_handler_thunk, . - tramp_handler_thunk

/* Save every general register into the image at %rsp (TRAMP_REG_* order;
   the RSP entry is filled by the caller of the macro). */
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
 * tramp_context_thunk: the slot holds {context, pc}.  Save all registers
 * in an image CTX_FRAME bytes below the call's stack pointer, let
 * arch_context_apply() edit it (and write the stack words and the pc
 * below the final stack pointer), then load every register from the image,
 * the stack pointer last, and jump through the pc word it left in the red
 * zone.  Nothing but the image and the red zone is touched.
 */
	.globl	tramp_context_thunk
	.hidden	tramp_context_thunk
	.type	tramp_context_thunk, @function
tramp_context_thunk:
	.cfi_startproc
	ENDBR
	sub	$CTX_FRAME, %rsp
	.cfi_adjust_cfa_offset CTX_FRAME
	SAVE_IMAGE
	movdqa	(%r11), %xmm15
	movq	%xmm15, %rsi
	punpckhqdq %xmm15, %xmm15
	movq	%xmm15, %rdx
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
	ENDBR
	sub	$CTX_FRAME, %rsp
	.cfi_adjust_cfa_offset CTX_FRAME
	SAVE_IMAGE
	mov	%rsi, %rdx
	mov	%rdi, %rsi
context_common:
	mov	%rsp, %rdi
	call	arch_context_apply
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
