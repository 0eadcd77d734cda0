/* SPDX-License-Identifier: MIT */
/*
 * aarch64 constants of the fault, syscall and mprotect backends, shared by
 * their stub files (.S) and C; arch/backends.h declares the rest.
 * Every code half is 64 KiB (the largest arm64 page) and every data half a
 * multiple of it.
 */
#ifndef TRAMPJIT_ARCH_BACKENDS_H
#define TRAMPJIT_ARCH_BACKENDS_H

/*
 * TRAMP_FAULT: trampoline addresses are ARCH_FAULT_STRIDE apart in a
 * PROT_NONE code half; nothing is ever mapped there.
 */
#define ARCH_FAULT_STRIDE	16
#define ARCH_FAULT_SLOTS	4096

/*
 * TRAMP_SYSCALL: stub i (ARCH_SYSCALL_STRIDE bytes) is
 *	bti c; stp x8, xzr, [sp, #-16]!; movz x8, #0x7a3b, lsl #16; svc #0
 * The seccomp filter turns that syscall number into SIGSYS, whose
 * si_call_addr is stub + ARCH_SYSCALL_RET.  x8 is saved because it carries
 * the syscall number and is also the indirect result register; the kernel
 * rolls x0 back to its value before the svc when seccomp traps.
 */
#define ARCH_SYSCALL_STRIDE	32
#define ARCH_SYSCALL_SLOTS	2048
#define ARCH_SYSCALL_CODE	(ARCH_SYSCALL_SLOTS * ARCH_SYSCALL_STRIDE)
#define ARCH_SYSCALL_RET	16	/* bytes of stub up to after svc */
#define ARCH_SYSCALL_PUSH	4	/* offset of the stp */
/* Its CFI steps (struct cfa_step, debug.h): CFA = sp + 16 after the
   push, until the next stub.  The other stubs never touch sp or x30. */
#define ARCH_SYSCALL_CFA	{ ARCH_SYSCALL_PUSH + 4, 16 }, \
				{ ARCH_SYSCALL_STRIDE, 0 }
#define ARCH_TRAP_NR		0x7a3b0000

/*
 * TRAMP_MPROTECT: every trampoline is a private copy of a 64-byte template
 * (the same for every kind) with the address of its kind's thunk inline at
 * ARCH_MP_THUNK.  The pair stays in the slot, read with the slot protocol
 * of arch.h: an inline pair would need a 16-byte single-copy-atomic load
 * to be seen whole across the page swap of a retarget, which ARMv8.0
 * lacks.  The template still has room for a copy of the pair at
 * ARCH_MP_PAIR (written by the backend, read by nothing).
 * 1024 stubs = 64 KiB of code + 40 KiB of slots.  Slot i is at
 * stub + ARCH_MP_CODE - i * (ARCH_MP_STRIDE - SLOT_PAIR_SIZE), where i is
 * bits 6-15 of the stub's address (the code half is 64 KiB aligned).
 */
#define ARCH_MP_STRIDE		64
#define ARCH_MP_SLOTS		1024
#define ARCH_MP_CODE		(ARCH_MP_SLOTS * ARCH_MP_STRIDE)
#define ARCH_MP_THUNK		32
#define ARCH_MP_PAIR		48
/* Kinds whose stubs get the thunk word: all. */
#define ARCH_MP_THUNK_KINDS	0x1f

#ifndef __ASSEMBLER__
#include "arch/backends.h"
#endif

#endif
