/* SPDX-License-Identifier: MIT */
/*
 * Register preservation probes: msabi_call() calls code as an ms_abi
 * caller would and reports which callee-saved register changed; targets
 * and a clobberer that touch nothing, or everything, on purpose.
 */
#include <cet.h>

/* Fill a register with its pattern; check it, setting bit in %eax. */
.macro	SETG reg, pat
	movabs	$\pat, \reg
.endm
.macro	CHKG reg, pat, bit
	movabs	$\pat, %r10
	cmp	%r10, \reg
	je	1f
	or	$(1 << \bit), %eax
1:
.endm
.macro	CHKX reg, off, bit
	movdqa	patterns + \off(%rip), %xmm0
	pcmpeqb	\reg, %xmm0
	pmovmskb %xmm0, %r10d
	cmp	$0xffff, %r10d
	je	1f
	or	$(1 << \bit), %eax
1:
.endm

#define P_RBX	0x0b0b0b0b0b0b0b01
#define P_RBP	0x0b0b0b0b0b0b0b02
#define P_RSI	0x0b0b0b0b0b0b0b03
#define P_RDI	0x0b0b0b0b0b0b0b04
#define P_R12	0x0b0b0b0b0b0b0b05
#define P_R13	0x0b0b0b0b0b0b0b06
#define P_R14	0x0b0b0b0b0b0b0b07
#define P_R15	0x0b0b0b0b0b0b0b08

	.text
/*
 * uint32_t msabi_call(void *code, uint64_t arg, uint64_t out[2]): put
 * patterns in every register the Microsoft ABI makes callee-saved (rbx,
 * rbp, rsi, rdi, r12-r15, xmm6-xmm15), call code with arg as the first
 * ms_abi argument (%rcx) and a 32-byte home area, store %rax and the low
 * half of %xmm0 after the call in out[0], out[1], and return the changed
 * registers: bit 0-7 rbx rbp rsi rdi r12 r13 r14 r15, bit 8+i xmm(6+i).
 */
	.globl	msabi_call
	.type	msabi_call, @function
msabi_call:
	_CET_ENDBR
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$56, %rsp		/* aligned: 32 home + out + pad */
	mov	%rdx, 32(%rsp)
	mov	%rdi, %rax
	mov	%rsi, %rcx
	SETG	%rbx, P_RBX
	SETG	%rbp, P_RBP
	SETG	%rsi, P_RSI
	SETG	%rdi, P_RDI
	SETG	%r12, P_R12
	SETG	%r13, P_R13
	SETG	%r14, P_R14
	SETG	%r15, P_R15
	movdqa	patterns + 0(%rip), %xmm6
	movdqa	patterns + 16(%rip), %xmm7
	movdqa	patterns + 32(%rip), %xmm8
	movdqa	patterns + 48(%rip), %xmm9
	movdqa	patterns + 64(%rip), %xmm10
	movdqa	patterns + 80(%rip), %xmm11
	movdqa	patterns + 96(%rip), %xmm12
	movdqa	patterns + 112(%rip), %xmm13
	movdqa	patterns + 128(%rip), %xmm14
	movdqa	patterns + 144(%rip), %xmm15
	call	*%rax
	mov	32(%rsp), %r11
	mov	%rax, 0(%r11)
	movq	%xmm0, 8(%r11)
	xor	%eax, %eax
	CHKG	%rbx, P_RBX, 0
	CHKG	%rbp, P_RBP, 1
	CHKG	%rsi, P_RSI, 2
	CHKG	%rdi, P_RDI, 3
	CHKG	%r12, P_R12, 4
	CHKG	%r13, P_R13, 5
	CHKG	%r14, P_R14, 6
	CHKG	%r15, P_R15, 7
	CHKX	%xmm6, 0, 8
	CHKX	%xmm7, 16, 9
	CHKX	%xmm8, 32, 10
	CHKX	%xmm9, 48, 11
	CHKX	%xmm10, 64, 12
	CHKX	%xmm11, 80, 13
	CHKX	%xmm12, 96, 14
	CHKX	%xmm13, 112, 15
	CHKX	%xmm14, 128, 16
	CHKX	%xmm15, 144, 17
	add	$56, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size	msabi_call, . - msabi_call

/* uint64_t probe_ret_rdi(void): returns %rdi, touches nothing else (a
   BIND target that shows what BIND did). */
	.globl	probe_ret_rdi
	.type	probe_ret_rdi, @function
probe_ret_rdi:
	_CET_ENDBR
	mov	%rdi, %rax
	ret
	.size	probe_ret_rdi, . - probe_ret_rdi

/* uint64_t probe_ret_rsi(void): returns %rsi, touches nothing else. */
	.globl	probe_ret_rsi
	.type	probe_ret_rsi, @function
probe_ret_rsi:
	_CET_ENDBR
	mov	%rsi, %rax
	ret
	.size	probe_ret_rsi, . - probe_ret_rsi

/* void probe_clobber(void): a System V function may change every
   caller-saved register; this one changes all of them (and %xmm6-15,
   %rsi, %rdi, which ms_abi code expects kept). */
	.globl	probe_clobber
	.type	probe_clobber, @function
probe_clobber:
	_CET_ENDBR
	movabs	$0xdeadbeefdeadbeef, %rax
	mov	%rax, %rcx
	mov	%rax, %rdx
	mov	%rax, %rsi
	mov	%rax, %rdi
	mov	%rax, %r8
	mov	%rax, %r9
	mov	%rax, %r10
	mov	%rax, %r11
	movq	%rax, %xmm0
	pshufd	$0, %xmm0, %xmm0
	movdqa	%xmm0, %xmm1
	movdqa	%xmm0, %xmm2
	movdqa	%xmm0, %xmm3
	movdqa	%xmm0, %xmm4
	movdqa	%xmm0, %xmm5
	movdqa	%xmm0, %xmm6
	movdqa	%xmm0, %xmm7
	movdqa	%xmm0, %xmm8
	movdqa	%xmm0, %xmm9
	movdqa	%xmm0, %xmm10
	movdqa	%xmm0, %xmm11
	movdqa	%xmm0, %xmm12
	movdqa	%xmm0, %xmm13
	movdqa	%xmm0, %xmm14
	movdqa	%xmm0, %xmm15
	ret
	.size	probe_clobber, . - probe_clobber

/* uint64_t probe_ret_rax(void): returns %rax as it found it (a context
   pc whose result is the context's %rax). */
	.globl	probe_ret_rax
	.type	probe_ret_rax, @function
probe_ret_rax:
	_CET_ENDBR
	ret
	.size	probe_ret_rax, . - probe_ret_rax

/* long probe_ret42(void): a context pc that only returns 42. */
	.globl	probe_ret42
	.type	probe_ret42, @function
probe_ret42:
	_CET_ENDBR
	mov	$42, %eax
	ret
	.size	probe_ret42, . - probe_ret42

	.section .rodata
	.p2align 4
patterns:
	.quad	0x6666666666666601, 0x6666666666666602
	.quad	0x7777777777777701, 0x7777777777777702
	.quad	0x8888888888888801, 0x8888888888888802
	.quad	0x9999999999999901, 0x9999999999999902
	.quad	0xaaaaaaaaaaaaaa01, 0xaaaaaaaaaaaaaa02
	.quad	0xbbbbbbbbbbbbbb01, 0xbbbbbbbbbbbbbb02
	.quad	0xcccccccccccccc01, 0xcccccccccccccc02
	.quad	0xdddddddddddddd01, 0xdddddddddddddd02
	.quad	0xeeeeeeeeeeeeee01, 0xeeeeeeeeeeeeee02
	.quad	0xffffffffffffff01, 0xffffffffffffff02

	.section .note.GNU-stack, "", %progbits
