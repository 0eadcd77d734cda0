/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_FAULT: trampfd emulated in user space, and the trampoline entry the
 * syscall backend shares.
 *
 * Mechanism: a table's code half is left as the arena made it, PROT_NONE;
 * trampoline i is simply the address base + 16 * i.  A call faults on the
 * instruction fetch; the SIGSEGV handler sees si_addr == the interrupted
 * PC, finds the live slot in O(1) (tramp_slot_at) and does on the ucontext
 * exactly what the trampfd patches did in the kernel: set registers, push
 * stack words, set the PC; then sigreturn continues at the target.  For
 * TRAMP_HANDLER it only points the PC at the shared handler thunk with
 * %r11 = slot, so the frame is built in normal context.
 *
 * Trade-offs: no executable byte is ever created or mapped, so it works
 * under any W^X policy and the code can never be read (no gadgets); but
 * every call costs a full signal delivery and sigreturn (microseconds, a
 * thousand times a static stub), and it needs a process-wide SIGSEGV
 * handler, installed on first use, that chains every fault that is not a
 * trampoline call to the previous disposition as the kernel would deliver
 * it (sigchain.c).  A program that installs its own SIGSEGV handler
 * afterwards must chain to ours (as it would for any runtime's, e.g. a
 * JVM's).  A call made while SIGSEGV is blocked kills the process: the
 * kernel takes the default action for a fault it cannot deliver.  Use it
 * to compare with trampfd, for very rarely called trampolines, or where
 * not even a read-only executable mapping may be added.
 */
#include <signal.h>

#include "internal.h"
#include "arch_backends.h"

static struct sigchain chain;	/* the SIGSEGV action before ours */

/*
 * If pc is the entry of a live trampoline of backend b, redirect uc as
 * that trampoline and return 1; otherwise 0.  A syscall stub has pushed
 * two words by then: they are popped back into their registers first.
 * Async-signal-safe: one O(1) lookup, one atomic pair load.
 */
int fault_enter(void *uc, const void *pc, enum tramp_backend b)
{
	struct table *tb;
	uintptr_t lo, hi;
	void *slot = tramp_slot_at(pc, &tb);

	if (!slot || tb->backend != b)
		return 0;
	arch_load_pair(slot, &lo, &hi);
	if (!hi)
		return 0;	/* destroyed meanwhile: a call to freed code */
	if (b == TRAMP_SYSCALL)
		arch_uc_syscall_unwind(uc);
	arch_uc_enter(uc, tb->kind, slot, lo, hi);
	return 1;
}

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	int err = errno;

	if (si->si_code <= 0 || si->si_addr != (void *)arch_uc_pc(uc) ||
	    !fault_enter(uc, si->si_addr, TRAMP_FAULT))
		sigchain_deliver(&chain, sig, si, uc);
	errno = err;
}

static int fault_setup(void)
{
	return sigchain_install(&chain, SIGSEGV, segv_handler);
}

static void fault_geometry(struct table *tb)
{
	tb->nslots = ARCH_FAULT_SLOTS;
	tb->code_stride = ARCH_FAULT_STRIDE;
	tb->code_size = (size_t)tb->nslots * tb->code_stride;
}

/* The code half stays PROT_NONE: that is the whole mechanism. */
static int fault_map_code(struct table *tb)
{
	return 0;
}

const struct backend_ops backend_fault = {
	.setup = fault_setup,
	.geometry = fault_geometry,
	.map_code = fault_map_code,
};
