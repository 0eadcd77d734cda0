/* SPDX-License-Identifier: MIT */
/*
 * What every architecture's backend files give the fault, syscall and
 * mprotect backends: the stub tables and the signal-context helpers.
 * Included by each src/arch/<arch>/arch_backends.h after its constants.
 */
#ifndef TRAMPJIT_ARCH_BACKENDS_COMMON_H
#define TRAMPJIT_ARCH_BACKENDS_COMMON_H

#include <stdint.h>

/* Templates of the mprotect backend (mprotect_stubs.S), ARCH_MP_STRIDE
   bytes each, by enum tramp_kind; the syscall stub table (syscall_stubs.S). */
extern const char arch_mp_templates[][ARCH_MP_STRIDE];
extern const char arch_syscall_stubs[];

/*
 * Signal-context helpers (sigtramp.c); all async-signal-safe.
 * uc is the third argument of an SA_SIGINFO handler.
 */
/* The interrupted program counter. */
uintptr_t arch_uc_pc(const void *uc);
/* Undo the push(es) of a syscall stub so that uc is at its entry again. */
void arch_uc_syscall_unwind(void *uc);
/* Make uc continue as the trampoline of kind with pair {lo, hi} at slot
   would have, from its entry. */
void arch_uc_enter(void *uc, unsigned kind, const void *slot,
		   uintptr_t lo, uintptr_t hi);

#endif
