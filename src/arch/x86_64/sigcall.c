/* SPDX-License-Identifier: MIT */
/*
 * x86_64 side of signal chaining: the interrupted stack pointer of a
 * signal context, and a call to a chained handler on a chosen stack.
 */
#include <signal.h>
#include <sys/ucontext.h>

#include "internal.h"

uintptr_t arch_uc_sp(const void *uc)
{
	return (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.gregs[REG_RSP];
}

#if defined(__CET__) && (__CET__ & 1)
#define ENDBR	"endbr64\n"
#else
#define ENDBR
#endif

/*
 * arch_sig_call(fn, sig, si, uc, sp): fn(sig, si, uc) with %rsp at sp less
 * the 128-byte red zone, rounded down to 16 bytes, or on this stack when
 * sp is 0.  %rbp keeps the caller's stack pointer across the call and the
 * CFI says so, so an unwinder started in fn (a crash handler printing a
 * backtrace) walks back through here to the interrupted code.  Calls and
 * returns pair up: a shadow stack is undisturbed.
 */
__asm__(
	".pushsection .text\n"
	".globl arch_sig_call\n"
	".hidden arch_sig_call\n"
	".type arch_sig_call, @function\n"
	".p2align 4\n"
	"arch_sig_call:\n"
	".cfi_startproc\n"
	ENDBR
	"push %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbp, -16\n"
	"mov %rsp, %rbp\n"
	".cfi_def_cfa_register %rbp\n"
	"test %r8, %r8\n"
	"jz 1f\n"
	"lea -128(%r8), %rsp\n"
	"and $-16, %rsp\n"
	"1:\n"
	"mov %rdi, %rax\n"
	"mov %esi, %edi\n"
	"mov %rdx, %rsi\n"
	"mov %rcx, %rdx\n"
	"call *%rax\n"
	"mov %rbp, %rsp\n"
	"pop %rbp\n"
	".cfi_def_cfa %rsp, 8\n"
	"ret\n"
	".cfi_endproc\n"
	".size arch_sig_call, .-arch_sig_call\n"
	".popsection\n");
