/* SPDX-License-Identifier: MIT */
/*
 * riscv64 unwind facts for the tooling modules: DWARF register numbers, the
 * CFA rule at a function's entry, and the CFI of each backend's stubs.
 */
#include "internal.h"
#include "arch_backends.h"
#include "debug.h"

#define DW_SP		2
#define DW_RA		1	/* the return-address column */
#define DW_CFA_def_cfa		0x0c

const unsigned arch_elf_machine = 243;	/* EM_RISCV */
const int arch_cfi_data_align = -8;
const unsigned arch_cfi_ra_column = DW_RA;
const unsigned arch_cfi_max_reg = 63;	/* f31 */

/* At a function's first instruction: CFA = sp, the return address is in
   ra (no rule: the unwinder reads the register). */
void arch_cie_rules(struct dbuf *b)
{
	dbuf_u8(b, DW_CFA_def_cfa);
	dbuf_uleb(b, DW_SP);
	dbuf_uleb(b, 0);
}

/*
 * Static, mprotect and fault stubs never touch the stack or ra, so the
 * CIE rule holds at every byte.  A syscall stub pushes 16 bytes with its
 * first instruction and traps with them on the stack (syscall_stubs.S):
 * CFA = sp + 16 after it, until the next stub.
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
