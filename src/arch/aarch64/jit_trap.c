/* SPDX-License-Identifier: MIT */
/*
 * aarch64 side of the JIT half's fault fixups (the filler, brk, is
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
 * the trap was not a brk.  The kernel reports brk with si_code TRAP_BRKPT
 * and the program counter at the instruction itself (exception entry and
 * return are context synchronising, so the retry fetches afresh).
 */
uintptr_t arch_breakpoint_pc(const siginfo_t *si, const void *uc)
{
	const ucontext_t *u = uc;

	if (si->si_code != TRAP_BRKPT)
		return 0;
	return (uintptr_t)u->uc_mcontext.pc;
}

/*
 * Whether the instruction now at pc explains a brk trap by itself: any
 * brk (the filler is one, but so is a debugger's or the program's own).
 * before is unused: instructions are 4 bytes and aligned.
 */
int arch_breakpoint_explained(uintptr_t pc, int before)
{
	uint32_t insn = *(volatile const uint32_t *)pc;

	return (insn & 0xffe0001f) == 0xd4200000;
}

/* Resume the interrupted thread at pc. */
void arch_set_pc(void *uc, uintptr_t pc)
{
	ucontext_t *u = uc;

	u->uc_mcontext.pc = pc;
}
