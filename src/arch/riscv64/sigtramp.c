/* SPDX-License-Identifier: MIT */
/*
 * riscv64 signal-context side of the fault and syscall backends: apply a
 * trampoline's kind to the interrupted registers in a ucontext, whose
 * __gregs are the pc (entry 0) and x1-x31 (entries 1-31).
 */
#include <signal.h>
#include <sys/ucontext.h>

#include "internal.h"
#include "arch_backends.h"

static unsigned long *gregs(const void *uc)
{
	return ((ucontext_t *)uc)->uc_mcontext.__gregs;
}

uintptr_t arch_uc_pc(const void *uc)
{
	return gregs(uc)[0];
}

/* The stub pushed a7 (and a free word) below the caller's stack pointer. */
void arch_uc_syscall_unwind(void *uc)
{
	unsigned long *g = gregs(uc);
	const uintptr_t *sp = (const uintptr_t *)g[TRAMP_REG_SP];

	g[TRAMP_REG_A7] = sp[0];
	g[TRAMP_REG_SP] += 16;
}

void arch_uc_enter(void *uc, unsigned kind, const void *slot,
		   uintptr_t lo, uintptr_t hi)
{
	unsigned long *g = gregs(uc);

	switch (kind) {
	case TRAMP_CHAIN:
		g[TRAMP_REG_CHAIN] = lo;
		g[0] = hi;
		break;
	case TRAMP_BIND:
		for (unsigned i = TRAMP_REG_A7; i > TRAMP_REG_A0; i--)
			g[i] = g[i - 1];
		g[TRAMP_REG_A0] = lo;
		g[0] = hi;
		break;
	case KIND_BIND_SRET:	/* the result pointer a0 stays */
		for (unsigned i = TRAMP_REG_A7; i > TRAMP_REG_A1; i--)
			g[i] = g[i - 1];
		g[TRAMP_REG_A1] = lo;
		g[0] = hi;
		break;
	case TRAMP_HANDLER:
		/* The thunk builds the frame in normal context: cheaper and
		   simpler than copying fa0-fa7 out of the FP state. */
		g[TRAMP_REG_T3] = (uintptr_t)slot + SLOT_SEQ;
		g[0] = (uintptr_t)tramp_handler_thunk;
		break;
	default:
		/* The context thunk, in normal context too: the words a
		   context writes below the stack pointer are where the
		   kernel put this signal's frame (the psABI has no red
		   zone), whose top holds the FP state and the end marker
		   of the extension records that sigreturn reads. */
		g[TRAMP_REG_T3] = (uintptr_t)slot + SLOT_SEQ;
		g[0] = (uintptr_t)tramp_context_thunk;
		break;
	}
}
