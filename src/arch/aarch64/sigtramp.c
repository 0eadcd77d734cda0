/* SPDX-License-Identifier: MIT */
/*
 * aarch64 signal-context side of the fault and syscall backends: apply a
 * trampoline's kind to the interrupted registers in a ucontext.
 */
#include <signal.h>
#include <sys/ucontext.h>

#include "internal.h"
#include "arch_backends.h"

/* PSTATE.BTYPE, and the value a BR x16/x17 gives it. */
#define PSTATE_BTYPE		(3ULL << 10)
#define PSTATE_BTYPE_BR_IP	(1ULL << 10)

static mcontext_t *mc(const void *uc)
{
	return &((ucontext_t *)uc)->uc_mcontext;
}

uintptr_t arch_uc_pc(const void *uc)
{
	return (uintptr_t)mc(uc)->pc;
}

uintptr_t arch_uc_sp(const void *uc)
{
	return (uintptr_t)mc(uc)->sp;
}

/* The stub pushed x8 (and a zero word) below the caller's stack pointer. */
void arch_uc_syscall_unwind(void *uc)
{
	mcontext_t *m = mc(uc);
	const uintptr_t *sp = (const uintptr_t *)m->sp;

	m->regs[8] = sp[0];
	m->sp += 16;
}

/* TRAMP_CONTEXT: what the trampfd kernel code did, on the ucontext. */
static void enter_context(mcontext_t *m, const struct tramp_context *c,
			  uintptr_t pc)
{
	uintptr_t img[TRAMP_NREGS];

	for (unsigned i = 0; i < 31; i++)
		img[i] = m->regs[i];
	img[TRAMP_REG_SP] = m->sp;
	context_image(img, c);
	for (unsigned i = 0; i < 31; i++)
		m->regs[i] = img[i];
	m->sp = img[TRAMP_REG_SP];
	m->pc = pc;
}

void arch_uc_enter(void *uc, unsigned kind, const void *slot,
		   uintptr_t lo, uintptr_t hi)
{
	mcontext_t *m = mc(uc);

	switch (kind) {
	case TRAMP_CHAIN:
		m->regs[18] = lo;
		m->pc = hi;
		break;
	case TRAMP_BIND:
	case KIND_BIND_SRET:	/* the result pointer is x8: not moved */
		for (unsigned i = 7; i > 0; i--)
			m->regs[i] = m->regs[i - 1];
		m->regs[0] = lo;
		m->pc = hi;
		break;
	case TRAMP_HANDLER:
		/* The thunk builds the frame in normal context: cheaper and
		   simpler than copying q0-q7 out of the fpsimd record. */
		m->regs[16] = (uintptr_t)slot + SLOT_SEQ;
		m->pc = (uintptr_t)tramp_handler_thunk;
		break;
	default:
		enter_context(m, (const struct tramp_context *)lo, hi);
		break;
	}
	/*
	 * Under BTI the target is entered as the static stubs enter it,
	 * with BR x17: BTYPE 01, so it must start with a landing pad on
	 * every backend.  Left alone, BTYPE would be whatever raised the
	 * signal left: 0 after the syscall backend's svc, and no landing
	 * pad checked at all.
	 */
	if (arch_code_prot())
		m->pstate = (m->pstate & ~PSTATE_BTYPE) | PSTATE_BTYPE_BR_IP;
}
