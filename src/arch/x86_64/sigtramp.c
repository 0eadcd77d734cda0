/* SPDX-License-Identifier: MIT */
/*
 * x86_64 signal-context side of the fault and syscall backends: apply a
 * trampoline's kind to the interrupted registers in a ucontext.
 */
#include <signal.h>
#include <sys/ucontext.h>

#include "internal.h"
#include "arch_backends.h"

/* gregs index of each TRAMP_REG_* register. */
static const unsigned char greg_of[TRAMP_NREGS] = {
	[TRAMP_REG_RAX] = REG_RAX, [TRAMP_REG_RBX] = REG_RBX,
	[TRAMP_REG_RCX] = REG_RCX, [TRAMP_REG_RDX] = REG_RDX,
	[TRAMP_REG_RSI] = REG_RSI, [TRAMP_REG_RDI] = REG_RDI,
	[TRAMP_REG_RBP] = REG_RBP, [TRAMP_REG_RSP] = REG_RSP,
	[TRAMP_REG_R8] = REG_R8, [TRAMP_REG_R9] = REG_R9,
	[TRAMP_REG_R10] = REG_R10, [TRAMP_REG_R11] = REG_R11,
	[TRAMP_REG_R12] = REG_R12, [TRAMP_REG_R13] = REG_R13,
	[TRAMP_REG_R14] = REG_R14, [TRAMP_REG_R15] = REG_R15,
};

static greg_t *gregs(const void *uc)
{
	return ((ucontext_t *)uc)->uc_mcontext.gregs;
}

uintptr_t arch_uc_pc(const void *uc)
{
	return (uintptr_t)gregs(uc)[REG_RIP];
}

/* The stub pushed %rcx, then %rax, below the caller's return address. */
void arch_uc_syscall_unwind(void *uc)
{
	greg_t *g = gregs(uc);
	const uintptr_t *sp = (const uintptr_t *)g[REG_RSP];

	g[REG_RAX] = (greg_t)sp[0];
	g[REG_RCX] = (greg_t)sp[1];
	g[REG_RSP] += 16;
}

/* TRAMP_CONTEXT: what the trampfd kernel code did, on the ucontext. */
static void enter_context(greg_t *g, const struct tramp_context *c,
			  uintptr_t pc)
{
	uintptr_t img[TRAMP_NREGS];

	for (unsigned i = 0; i < TRAMP_NREGS; i++)
		img[i] = (uintptr_t)g[greg_of[i]];
	context_image(img, c);
	for (unsigned i = 0; i < TRAMP_NREGS; i++)
		g[greg_of[i]] = (greg_t)img[i];
	g[REG_RIP] = (greg_t)pc;
}

void arch_uc_enter(void *uc, unsigned kind, const void *slot,
		   uintptr_t lo, uintptr_t hi)
{
	greg_t *g = gregs(uc);

	switch (kind) {
	case TRAMP_CHAIN:
		g[REG_R10] = (greg_t)lo;
		g[REG_RIP] = (greg_t)hi;
		break;
	case TRAMP_BIND:
		g[REG_R9] = g[REG_R8];
		g[REG_R8] = g[REG_RCX];
		g[REG_RCX] = g[REG_RDX];
		g[REG_RDX] = g[REG_RSI];
		g[REG_RSI] = g[REG_RDI];
		g[REG_RDI] = (greg_t)lo;
		g[REG_RIP] = (greg_t)hi;
		break;
	case KIND_BIND_SRET:
		g[REG_R9] = g[REG_R8];
		g[REG_R8] = g[REG_RCX];
		g[REG_RCX] = g[REG_RDX];
		g[REG_RDX] = g[REG_RSI];
		g[REG_RSI] = (greg_t)lo;
		g[REG_RIP] = (greg_t)hi;
		break;
	case TRAMP_HANDLER:
		/* The thunk builds the frame in normal context: cheaper and
		   simpler than copying vector registers out of the fpstate,
		   and the frame, its x87 and vector returns and the registers
		   it keeps are those of the static backend by construction. */
		g[REG_R11] = (greg_t)(uintptr_t)slot;
		g[REG_RIP] = (greg_t)(uintptr_t)tramp_handler_thunk;
		break;
	default:
		enter_context(g, (const struct tramp_context *)lo, hi);
		break;
	}
}
