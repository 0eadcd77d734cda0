/* SPDX-License-Identifier: MIT */
/*
 * riscv64 constants shared by the stub tables (stubs.S, thunks.S) and C,
 * and the slot protocol that makes retargeting atomic without a 16-byte
 * single-copy-atomic load, which RISC-V does not have.
 */
#ifndef TRAMPJIT_ARCH_H
#define TRAMPJIT_ARCH_H

#if !defined(__riscv_float_abi_double)
#error "trampjit: riscv64 needs the LP64D ABI (fa0-fa7 argument registers)"
#endif

/*
 * Static stub table.  ARCH_TABLE_SLOTS identical stubs of ARCH_STUB_STRIDE
 * bytes make ARCH_STUB_CODE bytes of code, 64 KiB (riscv64 Linux has 4 KiB
 * pages only; the size keeps one table geometry with the other ports).
 * The data half follows: stub i reads slot i at code + ARCH_STUB_CODE +
 * SLOT_PAIR_SIZE * i.  The last slot is the table header: its first word
 * holds the address of the kind's thunk, through which every stub jumps.
 * Fixed-size slots: every .S file is assembled with .option norvc (no
 * compressed instructions) and .option norelax (no linker relaxation).
 */
#define ARCH_TABLE_SLOTS	2048
#define ARCH_STUB_STRIDE	32
#define ARCH_STUB_CODE		(ARCH_TABLE_SLOTS * ARCH_STUB_STRIDE)
#define ARCH_HDR_SLOT		(ARCH_TABLE_SLOTS - 1)

/*
 * Slots: the two-buffer protocol of the aarch64 port (see there), because
 * RISC-V has no 16-byte single-copy-atomic load at all:
 *
 *   0   seq    bit 0: a writer holds the slot; bit 1: current buffer;
 *              the bits above count the writes.  A free slot's seq is
 *              the pool's free-list link (8-byte aligned: bits 0-2 clear)
 *   8   buf[0] {lo, hi}
 *   24  buf[1] {lo, hi}
 *
 * A writer fills the buffer seq does not name, then stores seq + 2 with
 * release (flipping bit 1, clearing bit 0).  A reader loads seq, fences
 * (fence r,r), loads the buffer it names, fences again, reloads seq and
 * retries unless nothing but bit 0 changed.  RVWMO orders the loads by
 * those fences alone; a reader never waits for a writer.  72 bytes a
 * trampoline: 32 of stub, 40 of slot.
 */
#define SLOT_PAIR_SIZE		40
#define SLOT_SEQ		0
#define SLOT_BUF		8

/*
 * Handler frame, built on the stack by tramp_handler_thunk:
 *   0   a0 .. a7                  integer argument registers
 *   64  fa0 .. fa7                floating-point argument registers
 *   128 stack                     address of the first stack argument
 *   136 ret[2]                    a0, a1 on return
 *   152 fret[2]                   fa0, fa1 on return
 *   168 pad
 */
#define FRAME_GPR	0
#define FRAME_FPR	64
#define FRAME_STACK	128
#define FRAME_RET	136
#define FRAME_FRET	152
#define FRAME_SIZE	176

/*
 * Context application (context thunk and tramp_jump): the thunk saves
 * x1-x31 and the stack pointer S0 of the call in an image indexed by
 * register number (= TRAMP_REG_*), CTX_FRAME bytes below S0 (the gap keeps
 * the up to 8 stack words written below S0 clear of it).
 * arch_context_apply() edits the image and leaves the final stack pointer
 * in its t1 entry and the pc in its t3 entry: the registers a context may
 * not set.
 */
#define CTX_IMAGE_WORDS	32
#define CTX_FRAME	(80 + 8 * CTX_IMAGE_WORDS)

/*
 * JIT code: the filler is the 4-byte "ebreak" in every 4-byte word (never
 * c.ebreak: its other half would be a valid instruction).  The first 4
 * bytes of an append are stored last with one aligned 32-bit store, which
 * instruction fetch sees whole (Ziccif, in every RVA profile).
 */
#define ARCH_FILL_WORD	0x00100073
#define ARCH_INSN_SIZE	4

#ifdef __ASSEMBLER__
/* Every .S file: fixed encodings and sizes. */
	.option	norvc
	.option	norelax
#else
#include <stddef.h>
#include <stdint.h>

struct tramp_frame {
	uintptr_t gpr[8];	/* a0-a7 at the call */
	uint64_t fpr[8];	/* fa0-fa7 at the call (floats NaN-boxed) */
	const uintptr_t *stack;	/* first stack-passed argument */
	uintptr_t ret[2];	/* a0, a1 on return */
	uint64_t fret[2];	/* fa0, fa1 on return */
	uint64_t pad;		/* keeps the frame a multiple of 16 bytes */
};

_Static_assert(sizeof(struct tramp_frame) == FRAME_SIZE, "frame layout");

/*
 * Where the HANDLER frame keeps each value, for the accessors (frame.c).
 * LP64D: FP argument i is fa i, then, once the FP registers are used up,
 * the integer registers a0-a7 (right when no integer argument took them;
 * otherwise read tramp_arg() yourself), then a stack word.  No vector
 * count is passed (variadic FP arguments travel in integer registers).
 * The hidden pointer is a0.  FP results go in fa0 and fa1; a float is
 * NaN-boxed, as in any 64-bit FP register.
 */
#define ARCH_FRAME_VECS(f)		((f)->fpr)
#define ARCH_FRAME_FRETS(f)		((f)->fret)
#define ARCH_FRAME_SRET(f)		((f)->gpr[0])
#define ARCH_FRAME_VECTOR_COUNT(f)	TRAMP_NVECREGS
#define ARCH_FLOAT_BOX			0xffffffff00000000ull

#define ARCH_FRAME_FP_ARG	arch_frame_fp_arg
static inline const void *arch_frame_fp_arg(const struct tramp_frame *f,
					    unsigned i)
{
	if (i < TRAMP_NVECREGS)
		return &f->fpr[i];
	if (i < TRAMP_NVECREGS + TRAMP_NARGREGS)
		return &f->gpr[i - TRAMP_NVECREGS];
	return &f->stack[i - TRAMP_NVECREGS - TRAMP_NARGREGS];
}

#include "arch/seqslot.h"

/* Machine code of "return v" (int), for probes; returns its length. */
static inline size_t arch_code_return(unsigned char *buf, unsigned v)
{
	uint32_t hi = (v + 0x800) >> 12, lo = v & 0xfff;
	const uint32_t c[3] = {
		0x00000537 | hi << 12,		/* lui a0, hi */
		0x0005051b | lo << 20,		/* addiw a0, a0, lo */
		0x00008067,			/* ret */
	};

	__builtin_memcpy(buf, c, sizeof(c));
	return sizeof(c);
}

/*
 * membarrier SYNC_CORE exists on riscv64 since Linux 6.9 (fence.i on
 * return from its IPI and on switch_mm).  Before, it fails with EINVAL and
 * the global riscv_flush_icache stands in (arch.c): fence.i on every hart
 * running the process now, and on any other before it next runs it, which
 * is all that instruction fetch needs.
 */
int arch_sync_core_fallback(void);
#define ARCH_SYNC_CORE_FALLBACK()	arch_sync_core_fallback()

/* Stub tables and thunks, in stubs.S and thunks.S. */
extern const char arch_stubs[];
extern const char tramp_chain_thunk[], tramp_bind_thunk[];
extern const char tramp_bind_sret_thunk[];
extern const char tramp_handler_thunk[], tramp_context_thunk[];
_Noreturn void arch_context_jump(const void *ctx, void *pc);
#endif

#endif
