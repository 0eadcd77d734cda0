/* SPDX-License-Identifier: MIT */
/*
 * x86_64 unwind facts for the tooling modules: DWARF register numbers, the
 * CFA rule at a function's entry, and the CFI of the kernel module's call
 * stubs (the syscall stubs' is ARCH_SYSCALL_CFA, in arch_backends.h).
 */
#include "internal.h"
#include "debug.h"
#include "../../../kernel/trampfd.h"

#define DW_RSP		7
#define DW_RIP		16	/* the return-address column */
#define DW_CFA_def_cfa		0x0c
#define DW_CFA_offset		0x80

const unsigned arch_elf_machine = 62;	/* EM_X86_64 */
const int arch_cfi_data_align = -8;
const unsigned arch_cfi_ra_column = DW_RIP;
const unsigned arch_cfi_max_reg = DW_RIP;

/* At a function's first instruction: CFA = rsp + 8, return address at
   CFA - 8. */
void arch_cie_rules(struct dbuf *b)
{
	dbuf_u8(b, DW_CFA_def_cfa);
	dbuf_uleb(b, DW_RSP);
	dbuf_uleb(b, 8);
	dbuf_u8(b, DW_CFA_offset | DW_RIP);
	dbuf_uleb(b, 1);
}

/*
 * A TRAMP_KERNEL_CALL stub (kernel/trampfd.h): endbr64, push %rax, %rcx,
 * %rdi, %rsi (one byte each), %r11 (two), then the ioctl; from the
 * instruction after its syscall on, the stack is the target's again,
 * except at the ud2 a failed ioctl ends in.
 */
const struct cfa_step arch_kcall_cfa[] = {
	{ 5, 16 }, { 6, 24 }, { 7, 32 }, { 8, 40 }, { 10, 48 },
	{ TRAMPFD_CALL_RET, 8 }, { TRAMPFD_CALL_TRAP, 48 },
	{ TRAMPFD_CALL_TRAP + 2, 8 },	/* filler, then the next stub */
};

const unsigned arch_kcall_ncfa =
	sizeof(arch_kcall_cfa) / sizeof(arch_kcall_cfa[0]);
