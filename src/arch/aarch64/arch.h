/* SPDX-License-Identifier: MIT */
/*
 * aarch64 constants shared by the stub tables (stubs.S, thunks.S) and C,
 * and the slot protocol that makes retargeting atomic without a 16-byte
 * single-copy-atomic load.
 */
#ifndef TRAMPJIT_ARCH_H
#define TRAMPJIT_ARCH_H

/*
 * Static stub table.  ARCH_TABLE_SLOTS identical stubs of ARCH_STUB_STRIDE
 * bytes make ARCH_STUB_CODE bytes of code, 64 KiB: one page of the largest
 * size arm64 kernels use (4, 16 and 64 KiB), so the layout never depends on
 * the page size of the build or of the run.  The data half follows: stub i
 * reads slot i at code + ARCH_STUB_CODE + SLOT_PAIR_SIZE * i.  The last slot
 * is the table header: its first word holds the address of the kind's
 * thunk, through which every stub jumps.
 */
#define ARCH_TABLE_SLOTS	4096
#define ARCH_STUB_STRIDE	16
#define ARCH_STUB_CODE		(ARCH_TABLE_SLOTS * ARCH_STUB_STRIDE)
#define ARCH_HDR_SLOT		(ARCH_TABLE_SLOTS - 1)

/*
 * Slots.  ARMv8.0 has no 16-byte single-copy-atomic load (LDP of an
 * aligned pair is atomic only with FEAT_LSE2, and LDXP only when paired
 * with a successful STXP, a store on every call).  So a slot holds its
 * pair twice, in two buffers, and a sequence word says which is current:
 *
 *   0   seq    bit 0: a writer holds the slot; bit 1: current buffer;
 *              the bits above count the writes.  A free slot's seq is
 *              the pool's free-list link (8-byte aligned: bits 0-2 clear)
 *   8   buf[0] {lo, hi}
 *   24  buf[1] {lo, hi}
 *
 * Writer (arch_store_pair, serialised per slot by bit 0): fill the other
 * buffer, then store seq + 2 with release, which flips bit 1 and clears
 * bit 0.  Reader (every thunk): s = load-acquire seq; read buffer
 * (s >> 1) & 1; load-load barrier; reload seq; retry unless it changed in
 * nothing but bit 0.  A writer never touches the buffer seq names, so a
 * reader retries only when two writes completed during its two loads, and
 * never waits for a writer (a signal handler may call a trampoline whose
 * retarget it interrupted).  Free slots have hi = 0 in both buffers, so
 * they read as free whatever the link left in seq.  40 bytes a slot plus
 * 16 of stub: 56 bytes a trampoline (x86_64, with its 16-byte atomic
 * load: 32).
 */
#define SLOT_PAIR_SIZE		40
#define SLOT_SEQ		0
#define SLOT_BUF		8

/*
 * Handler frame, built on the stack by tramp_handler_thunk:
 *   0   x0 .. x7                  integer argument registers
 *   64  x8                        indirect result location
 *   72  stack                     address of the first stack argument
 *   80  q0 .. q7                  16 bytes each
 *   208 ret[2]                    x0, x1 on return
 *   224 vret[4]                   q0 .. q3 on return (HFA/HVA members)
 */
#define FRAME_GPR	0
#define FRAME_X8	64
#define FRAME_STACK	72
#define FRAME_VEC	80
#define FRAME_RET	208
#define FRAME_VRET	224
#define FRAME_SIZE	288

/*
 * Context application (context thunk and tramp_jump): the thunk saves
 * x0-x30 and the stack pointer S0 of the call in an image, by TRAMP_REG_*
 * index, CTX_FRAME bytes below S0 (the gap keeps the up to 8 stack words
 * written below S0 clear of it).  arch_context_apply() edits the image and
 * leaves the final stack pointer in its x16 entry and the pc in its x17
 * entry: x16 and x17 are the registers a context may not set.
 */
#define CTX_IMAGE_WORDS	32
#define CTX_FRAME	(80 + 8 * CTX_IMAGE_WORDS)

/*
 * JIT code: the filler is "brk #0x7a" in every 4-byte word.  The first
 * instruction of an append (4 bytes) is stored last, with one aligned
 * 32-bit store, which is single-copy atomic for instruction fetch.
 */
#define ARCH_FILL_WORD	0xd4200f40
#define ARCH_INSN_SIZE	4

/* ARM's branch target identification and pointer authentication, when
   the compiler builds for them (-mbranch-protection). */
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define ARCH_BTI	1
#else
#define ARCH_BTI	0
#endif
#if defined(__ARM_FEATURE_PAC_DEFAULT) && (__ARM_FEATURE_PAC_DEFAULT & 3)
#define ARCH_PAC	1
#else
#define ARCH_PAC	0
#endif

#ifdef __ASSEMBLER__
/* Every entry of code reached by an indirect branch starts with this:
   stubs and thunks are entered through BLR or BR x16/x17, which "bti c"
   accepts; a NOP on cores without BTI. */
#define BTI_C	hint 34

/* The GNU property note that marks an object as BTI/PAC compatible. */
#define GNU_PROPERTY_NOTE						\
	.pushsection .note.gnu.property, "a";				\
	.balign 8;							\
	.long 4;							\
	.long 16;							\
	.long 5;							\
	.asciz "GNU";							\
	.long 0xc0000000;						\
	.long 4;							\
	.long (ARCH_BTI | (ARCH_PAC << 1));				\
	.long 0;							\
	.popsection
#else
#include <stddef.h>
#include <stdint.h>

struct tramp_frame {
	uintptr_t gpr[8];	/* x0-x7 at the call */
	uintptr_t x8;		/* indirect result location register */
	const uintptr_t *stack;	/* first stack-passed argument */
	uint64_t vec[8][2];	/* q0-q7 at the call */
	uintptr_t ret[2];	/* x0, x1 on return */
	uint64_t vret[4][2];	/* q0-q3 on return (low halves used) */
};

_Static_assert(sizeof(struct tramp_frame) == FRAME_SIZE, "frame layout");

/*
 * Where the HANDLER frame keeps each value, for the accessors (frame.c).
 * AAPCS64: FP argument i is v i, then a stack word; no vector count is
 * passed (every register may hold one); the hidden pointer is x8; FP and
 * vector results go in q0-q3, a float with zero above.
 */
#define ARCH_FRAME_VECS(f)		((f)->vec)
#define ARCH_FRAME_FRETS(f)		((f)->vret)
#define ARCH_FRAME_SRET(f)		((f)->x8)
#define ARCH_FRAME_VECTOR_COUNT(f)	TRAMP_NVECREGS
#define ARCH_FLOAT_BOX			0ull

#include "arch/seqslot.h"

/* Machine code of "return v" (int), for probes; returns its length. */
static inline size_t arch_code_return(unsigned char *buf, unsigned v)
{
	const uint32_t c[4] = {
		0xd503245f,				/* bti c */
		0x52800000 | (v & 0xffff) << 5,		/* movz w0, #lo */
		0x72a00000 | (v >> 16 & 0xffff) << 5,	/* movk w0, #hi, 16 */
		0xd65f03c0,				/* ret */
	};

	__builtin_memcpy(buf, c, sizeof(c));
	return sizeof(c);
}

/* PROT_BTI when the process runs with BTI (arch.c), else 0. */
int arch_code_prot(void);
#define ARCH_CODE_PROT	arch_code_prot()

/* Stub tables and thunks, in stubs.S and thunks.S. */
extern const char arch_stubs[];
extern const char tramp_chain_thunk[], tramp_bind_thunk[];
extern const char tramp_bind_sret_thunk[];
extern const char tramp_handler_thunk[], tramp_context_thunk[];
_Noreturn void arch_context_jump(const void *ctx, void *pc);
#endif

#endif
