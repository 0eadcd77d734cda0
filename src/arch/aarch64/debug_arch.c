/* SPDX-License-Identifier: MIT */
/*
 * aarch64 unwind facts for the tooling modules: DWARF register numbers, the
 * CFA rule at a function's entry, and the CFI of each backend's stubs.
 */
#include "internal.h"
#include "arch_backends.h"
#include "debug.h"

#define DW_SP		31
#define DW_X30		30	/* the return-address column */
#define DW_CFA_def_cfa		0x0c

const unsigned arch_elf_machine = 183;	/* EM_AARCH64 */
const int arch_cfi_data_align = -8;
const unsigned arch_cfi_ra_column = DW_X30;
const unsigned arch_cfi_max_reg = 95;	/* v31 */

/* At a function's first instruction: CFA = sp, the return address is in
   x30 (no rule: the unwinder reads the register). */
void arch_cie_rules(struct dbuf *b)
{
	dbuf_u8(b, DW_CFA_def_cfa);
	dbuf_uleb(b, DW_SP);
	dbuf_uleb(b, 0);
}

/*
 * Static, mprotect and fault stubs never touch the stack or x30, so the
 * CIE rule holds at every byte.  A syscall stub pushes 16 bytes and traps
 * with them on the stack (syscall_stubs.S): CFA = sp + 16 after the push,
 * until the next stub.
 */
static const struct cfa_step syscall_cfa[] = {
	{ ARCH_SYSCALL_PUSH + 4, 16 },	/* after the push */
	{ ARCH_SYSCALL_STRIDE, 0 },	/* the next stub */
};

const struct cfa_step *arch_stub_cfa(unsigned backend, unsigned *n)
{
	if (backend != TRAMP_SYSCALL)
		return NULL;
	*n = sizeof(syscall_cfa) / sizeof(syscall_cfa[0]);
	return syscall_cfa;
}
