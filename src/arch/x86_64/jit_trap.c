/* SPDX-License-Identifier: MIT */
/*
 * x86_64 side of the JIT half's fault fixups (the filler, int3, is
 * ARCH_FILL_WORD in arch.h): telling a stale filler breakpoint from every
 * other SIGTRAP, and rewinding the program counter of a signal context.
 */
#include <signal.h>
#include <ucontext.h>

#include "internal.h"

#define TRAP_BP		3	/* #BP, the breakpoint exception vector */

/*
 * The address of the one-byte int3 that may be behind a SIGTRAP, or 0
 * when the trap cannot have come from one.  The kernel reports a
 * breakpoint exception with si_code SI_KERNEL, trap number 3 in the
 * context and the program counter just after the instruction.  Everything
 * else is someone else's: int1/icebp (F1) and hardware breakpoints
 * (TRAP_BRKPT, vector 1), single-step (TRAP_TRACE), kill() and tgkill()
 * (SI_USER, SI_TKILL), sigqueue() (SI_QUEUE).  The two-byte int $3
 * (CD 03) raises the same exception: arch_breakpoint_explained() tells it
 * apart by the bytes.
 */
uintptr_t arch_breakpoint_pc(const siginfo_t *si, const void *uc)
{
	const ucontext_t *u = uc;

	if (si->si_code != SI_KERNEL ||
	    u->uc_mcontext.gregs[REG_TRAPNO] != TRAP_BP)
		return 0;
	return (uintptr_t)u->uc_mcontext.gregs[REG_RIP] - 1;
}

/*
 * Whether the bytes now in memory explain a breakpoint exception whose
 * program counter is pc + 1 by themselves, with no stale byte involved:
 * an int $3 encoded CD 03 ending there.  before is the byte at pc - 1, or
 * -1 when it cannot be read.
 */
int arch_breakpoint_explained(uintptr_t pc, int before)
{
	return before == 0xcd && *(volatile const unsigned char *)pc == 0x03;
}

/* Resume the interrupted thread at pc. */
void arch_set_pc(void *uc, uintptr_t pc)
{
	ucontext_t *u = uc;

	u->uc_mcontext.gregs[REG_RIP] = (greg_t)pc;
}
