/* SPDX-License-Identifier: MIT */
/*
 * riscv64 side of the JIT half's fault fixups (the filler, ebreak, is
 * ARCH_FILL_WORD in arch.h): reading and rewinding the program counter of
 * a signal context.
 */
#include <signal.h>
#include <ucontext.h>

#include "internal.h"

#ifndef TRAP_BRKPT
#define TRAP_BRKPT	1
#endif

/*
 * The address of the breakpoint instruction behind a SIGTRAP, or 0 when
 * the trap was not an ebreak.  Linux reports ebreak with si_code
 * TRAP_BRKPT and the pc (sepc) at the instruction itself; the return from
 * the trap goes through the kernel, and the flush that published the code
 * (riscv_flush_icache, a fence.i on every hart running the process) was
 * done before, so the retry fetches the new instruction.
 */
uintptr_t arch_breakpoint_pc(const siginfo_t *si, const void *uc)
{
	const ucontext_t *u = uc;

	if (si->si_code != TRAP_BRKPT)
		return 0;
	return (uintptr_t)u->uc_mcontext.__gregs[0];
}

/*
 * Whether the instruction now at pc explains an ebreak trap by itself:
 * ebreak or c.ebreak (the filler is one, but so is a debugger's or the
 * program's own).  The low half is read first: it says whether the
 * instruction is 2 or 4 bytes long.  before is unused.
 */
int arch_breakpoint_explained(uintptr_t pc, int before)
{
	const volatile uint16_t *h = (const volatile uint16_t *)pc;
	uint16_t lo = h[0];

	if ((lo & 3) != 3)
		return lo == 0x9002;			/* c.ebreak */
	return lo == 0x0073 && h[1] == 0x0010;		/* ebreak */
}

/* Resume the interrupted thread at pc. */
void arch_set_pc(void *uc, uintptr_t pc)
{
	ucontext_t *u = uc;

	u->uc_mcontext.__gregs[0] = pc;
}
