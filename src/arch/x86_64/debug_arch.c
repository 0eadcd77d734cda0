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
 * rule holds at every byte.  A syscall stub pushes %rcx then %rax and
 * traps with both on the stack (syscall_stubs.S): CFA = rsp + 16 after the
 * first push, rsp + 24 after the second, until the next stub.
 */
/*
 * A TRAMP_KERNEL_CALL stub (kernel/trampfd.h): endbr64, push %rax, %rcx,
 * %rdi, %rsi (one byte each), %r11 (two), then the ioctl; from the
 * instruction after its syscall on, the stack is the target's again,
 * except at the ud2 a failed ioctl ends in.  {offset in the stub, CFA
 * offset from there}.
 */
static const unsigned char kcall_cfa[][2] = {
	{ 5, 16 }, { 6, 24 }, { 7, 32 }, { 8, 40 }, { 10, 48 },
	{ TRAMPFD_CALL_RET, 8 }, { TRAMPFD_CALL_TRAP, 48 },
	{ TRAMPFD_CALL_TRAP + 2, 8 },	/* filler, then the next stub */
};

static void kcall_cfi(struct dbuf *b, const struct table *tb)
{
	unsigned at = 0, n = sizeof(kcall_cfa) / sizeof(kcall_cfa[0]);

	for (unsigned i = 0; i < tb->nslots; i++) {
		for (unsigned k = 0; k < n; k++) {
			unsigned off = i * tb->code_stride + kcall_cfa[k][0];

			dbuf_cfa_advance(b, off - at);
			dbuf_cfa_offset(b, kcall_cfa[k][1]);
			at = off;
		}
	}
}

void arch_table_cfi(struct dbuf *b, const struct table *tb)
{
	unsigned entry = ARCH_SYSCALL_RET - 9;	/* endbr64 or nothing */
	unsigned stride = tb->code_stride;

	if (tb->backend == BK_KERNEL_CALL)
		kcall_cfi(b, tb);
	if (tb->backend != TRAMP_SYSCALL)
		return;
	for (unsigned i = 0; i < tb->nslots; i++) {
		dbuf_cfa_advance(b, entry + 1);		/* after push %rcx */
		dbuf_cfa_offset(b, 16);
		dbuf_cfa_advance(b, 1);			/* after push %rax */
		dbuf_cfa_offset(b, 24);
		if (i + 1 < tb->nslots) {
			dbuf_cfa_advance(b, stride - entry - 2);	/* next stub */
			dbuf_cfa_offset(b, 8);
		}
	}
}
