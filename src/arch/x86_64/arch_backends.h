/* SPDX-License-Identifier: MIT */
/*
 * x86_64 constants of the fault, syscall and mprotect backends, shared by
 * their stub files (.S) and C; arch/backends.h declares the rest.
 */
#ifndef TRAMPJIT_ARCH_BACKENDS_H
#define TRAMPJIT_ARCH_BACKENDS_H

/*
 * TRAMP_FAULT: trampoline addresses are ARCH_FAULT_STRIDE apart in a
 * PROT_NONE code half; nothing is ever mapped there.
 */
#define ARCH_FAULT_STRIDE	16
#define ARCH_FAULT_SLOTS	8192	/* 128 KiB of addresses + 128 KiB slots */

/*
 * TRAMP_SYSCALL: stub i (ARCH_SYSCALL_STRIDE bytes) is
 *	push %rcx; push %rax; mov $ARCH_TRAP_NR, %eax; syscall
 * The seccomp filter turns that syscall number into SIGSYS, whose
 * si_call_addr is stub + ARCH_SYSCALL_RET.  %rcx is saved because the
 * syscall instruction overwrites it (and %r11) and it carries the fourth
 * argument.  The number has no x32 bit and is far above any real syscall.
 */
#define ARCH_SYSCALL_STRIDE	16
#define ARCH_SYSCALL_SLOTS	8192
#define ARCH_SYSCALL_CODE	(ARCH_SYSCALL_SLOTS * ARCH_SYSCALL_STRIDE)
#if defined(__CET__) && (__CET__ & 1)
#define ARCH_SYSCALL_RET	13	/* bytes of stub up to after syscall */
#else
#define ARCH_SYSCALL_RET	9
#endif
#define ARCH_TRAP_NR		0x2a7a3b1
/* Its CFI steps (struct cfa_step, debug.h): CFA = rsp + 16 after push
   %rcx, + 24 after push %rax, until the next stub.  The other stubs never
   touch the stack (fault stubs are not even executed). */
#define ARCH_SYSCALL_CFA	{ ARCH_SYSCALL_RET - 8, 16 }, \
				{ ARCH_SYSCALL_RET - 7, 24 }, \
				{ ARCH_SYSCALL_STRIDE, 8 }

/*
 * TRAMP_MPROTECT: every trampoline is a private copy of a 128-byte template
 * with its pair as inline constants at ARCH_MP_PAIR (one 16-byte aligned
 * load reads both words) and, for HANDLER and CONTEXT, the thunk address
 * at ARCH_MP_THUNK.  BIND keeping %xmm15 needs 58 bytes of code, hence 128
 * rather than 64.  1536 stubs = 192 KiB of code + 24 KiB of slots.
 */
#define ARCH_MP_STRIDE		128
#define ARCH_MP_SLOTS		1536
#define ARCH_MP_THUNK		104
#define ARCH_MP_PAIR		112
/* Kinds whose stubs get the thunk word (bits by enum tramp_kind). */
#define ARCH_MP_THUNK_KINDS	0xc

#ifndef __ASSEMBLER__
#include "arch/backends.h"
#endif

#endif
