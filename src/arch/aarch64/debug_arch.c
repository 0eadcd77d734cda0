/* SPDX-License-Identifier: MIT */
/*
 * aarch64 unwind facts for the tooling modules: DWARF register numbers, the
 * CFA rule at a function's entry (the syscall stubs' CFI steps are
 * ARCH_SYSCALL_CFA, in arch_backends.h).
 */
#include "internal.h"
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

