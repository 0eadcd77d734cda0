/* SPDX-License-Identifier: MIT */
/*
 * x86_64 unwind facts for the tooling modules: DWARF register numbers, the
 * CFA rule at a function's entry, and the CFI of each backend's stubs.
 */
#include "internal.h"
#include "arch_backends.h"
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
 * Static, mprotect and fault stubs never touch the stack (fault stubs are
 * not even executed: the PROT_NONE fault reports their entry), so the CIE
 * rule holds at every byte.  A syscall stub (endbr64 or nothing first)
 * pushes %rcx then %rax and traps with both on the stack
 * (syscall_stubs.S): CFA = rsp + 16 after the first push, rsp + 24 after
 * the second, until the next stub.
 */
#define SYSCALL_ENTRY	(ARCH_SYSCALL_RET - 9)
static const struct cfa_step syscall_cfa[] = {
	{ SYSCALL_ENTRY + 1, 16 },	/* after push %rcx */
	{ SYSCALL_ENTRY + 2, 24 },	/* after push %rax */
	{ ARCH_SYSCALL_STRIDE, 8 },	/* the next stub */
};

/*
 * A TRAMP_KERNEL_CALL stub (kernel/trampfd.h): endbr64, push %rax, %rcx,
 * %rdi, %rsi (one byte each), %r11 (two), then the ioctl; from the
 * instruction after its syscall on, the stack is the target's again,
 * except at the ud2 a failed ioctl ends in.
 */
static const struct cfa_step kcall_cfa[] = {
	{ 5, 16 }, { 6, 24 }, { 7, 32 }, { 8, 40 }, { 10, 48 },
	{ TRAMPFD_CALL_RET, 8 }, { TRAMPFD_CALL_TRAP, 48 },
	{ TRAMPFD_CALL_TRAP + 2, 8 },	/* filler, then the next stub */
};

#define N(a)	(sizeof(a) / sizeof((a)[0]))

const struct cfa_step *arch_stub_cfa(unsigned backend, unsigned *n)
{
	if (backend == TRAMP_SYSCALL) {
		*n = N(syscall_cfa);
		return syscall_cfa;
	}
	if (backend == BK_KERNEL_CALL) {
		*n = N(kcall_cfa);
		return kcall_cfa;
	}
	return NULL;
}
