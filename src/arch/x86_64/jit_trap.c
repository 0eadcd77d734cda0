/* SPDX-License-Identifier: MIT */
/*
 * x86_64 side of the JIT half's fault fixups (the filler, int3, is
 * ARCH_FILL_WORD in arch.h): reading and rewinding the program counter of a signal context.
 */
#include <signal.h>
#include <ucontext.h>

#include "internal.h"

/*
 * The address of the breakpoint instruction behind a SIGTRAP, or 0 when
 * the trap was not an int3.  The kernel reports int3 with si_code
 * SI_KERNEL and the program counter just after the one-byte instruction.
 */
uintptr_t arch_breakpoint_pc(const siginfo_t *si, const void *uc)
{
	const ucontext_t *u = uc;

	if (si->si_code != SI_KERNEL)
		return 0;
	return (uintptr_t)u->uc_mcontext.gregs[REG_RIP] - 1;
}

/* Resume the interrupted thread at pc. */
void arch_set_pc(void *uc, uintptr_t pc)
{
	ucontext_t *u = uc;

	u->uc_mcontext.gregs[REG_RIP] = (greg_t)pc;
}
