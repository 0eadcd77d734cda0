/* SPDX-License-Identifier: MIT */
/*
 * x86_64 constants shared by the stub tables (stubs.S, thunks.S) and C,
 * plus the few inline instructions C needs (16-byte atomic slot access).
 */
#ifndef TRAMPJIT_ARCH_H
#define TRAMPJIT_ARCH_H

/*
 * Static stub table.  A table holds ARCH_TABLE_SLOTS identical 16-byte stubs
 * (ARCH_STUB_CODE bytes, a multiple of 64 KiB, the largest page size any
 * architecture we support uses), followed by the read-write data half:
 * stub i reads slot i at code + ARCH_STUB_CODE + 16 * i.  The last slot is
 * the table header: its first word holds the address of the kind's thunk,
 * through which every stub jumps, so one stub table serves every kind and a
 * trampoline costs 32 bytes (16 of code, 16 of slot).  With indirect branch
 * tracking (-fcf-protection=branch or full) a stub starts with endbr64 and
 * reaches the header's jump through a direct jump to the code of the last
 * stub, which no trampoline uses: the stride stays 16 bytes either way.
 */
#define ARCH_TABLE_SLOTS	4096
#define ARCH_STUB_STRIDE	16
#define ARCH_STUB_CODE		(ARCH_TABLE_SLOTS * ARCH_STUB_STRIDE)
#define ARCH_HDR_SLOT		(ARCH_TABLE_SLOTS - 1)

#if defined(__CET__) && (__CET__ & 1)
#define ARCH_IBT		1	/* code carries endbr64 landing pads */
#else
#define ARCH_IBT		0
#endif

/*
 * Slots.  Every slot is a 16-byte aligned pair {lo, hi} that is read and
 * written with one 16-byte SSE access (single-copy atomic on every CPU with
 * AVX, as both vendors document): lo is the data word (CHAIN/BIND/HANDLER
 * data, CONTEXT context pointer), hi the target word (target, handler or
 * pc; 0 marks a free slot).
 */
#define SLOT_PAIR_SIZE		16

/*
 * Offsets of struct tramp_frame (trampjit.h documents it; arch.c checks
 * these), the frame tramp_handler_thunk builds on the stack.  The thunk
 * restores rdi, rsi and xmm6-xmm15 from the frame after the handler: they
 * are callee-saved under the Microsoft ABI, and no accessor writes them.
 */
#define FRAME_GPR	0
#define FRAME_AL	48
#define FRAME_STACK	56
#define FRAME_XMM	64
#define FRAME_RET	192
#define FRAME_VRET	208
#define FRAME_X87	240
#define FRAME_NX87	272
#define FRAME_SAVED	288
#define FRAME_SIZE	416

/*
 * Context application (context thunk and tramp_jump, all in thunks.S): the
 * thunk saves all sixteen general registers in an image, by TRAMP_REG_*
 * index, CTX_FRAME bytes below the stack pointer S0 of the call, with the
 * image's RSP entry holding S0.  It writes up to 8 words below S0, edits
 * the image, and stores pc CTX_PC_BELOW bytes below the final stack
 * pointer, inside the red zone and below any word it wrote.  CTX_FRAME
 * keeps the image clear of both.  CTX_* offsets are those of struct
 * tramp_context (checked in arch.c).
 */
#define CTX_IMAGE_WORDS	16
#define CTX_PC_BELOW	72
#define CTX_FRAME	280	/* 144 reserved + 128 image + 8 align */
#define CTX_MASK	0
#define CTX_REGS	8
#define CTX_NSTACK	136
#define CTX_FLAGS	140
#define CTX_STACK	144
#define CTX_PC		208
#define CTX_MOVE_SP	1	/* TRAMP_CONTEXT_MOVE_SP */

/* The trampjit kernel module (kernel/) serves this architecture:
   TRAMP_KERNEL and TRAMP_KERNEL_CALL are built (tramp_kernel.c). */
#define ARCH_TRAMPFD	1

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

/* struct tramp_frame is public (trampjit.h); arch.c checks FRAME_*. */
_Static_assert(sizeof(struct tramp_frame) == FRAME_SIZE, "frame layout");

/*
 * Where the HANDLER frame keeps each value, for the accessors (frame.c).
 * System V: FP argument i is xmm i, then a stack word; %al counts the
 * vector registers a variadic call used; the hidden pointer is rdi; FP
 * results go in xmm0 and xmm1, a float with zero above.
 */
#define ARCH_FRAME_VECS(f)		((f)->xmm)
#define ARCH_FRAME_FRETS(f)		((f)->vret)
#define ARCH_FRAME_SRET(f)		((f)->gpr[0])
#define ARCH_FRAME_VECTOR_COUNT(f)	((unsigned)((f)->al & 0xff))
#define ARCH_FLOAT_BOX			0ull

/* Read a slot's pair in one access.  pre: p 16-byte aligned. */
static inline void arch_load_pair(const void *p, uintptr_t *lo,
				  uintptr_t *hi)
{
	__asm__ volatile("movdqa %2, %%xmm15\n\t"
			 "movq %%xmm15, %0\n\t"
			 "punpckhqdq %%xmm15, %%xmm15\n\t"
			 "movq %%xmm15, %1"
			 : "=r"(*lo), "=r"(*hi)
			 : "m"(*(const char (*)[16])p)
			 : "xmm15");
}

/* Write a slot's pair in one access.  pre: p 16-byte aligned. */
static inline void arch_store_pair(void *p, uintptr_t lo, uintptr_t hi)
{
	__asm__ volatile("movq %1, %%xmm15\n\t"
			 "movq %2, %%xmm14\n\t"
			 "punpcklqdq %%xmm14, %%xmm15\n\t"
			 "movdqa %%xmm15, %0"
			 : "=m"(*(char (*)[16])p)
			 : "r"(lo), "r"(hi)
			 : "xmm14", "xmm15", "memory");
}

/* The target word of a slot: 0 when free. */
static inline uintptr_t arch_slot_target(const void *slot)
{
	return __atomic_load_n((const uintptr_t *)slot + 1, __ATOMIC_ACQUIRE);
}

/*
 * JIT code: the filler is int3 in every byte; the first instruction of an
 * append is its first byte, stored last (x86 fetches bytes coherently).
 */
#define ARCH_FILL_WORD	0xccccccccu
#define ARCH_INSN_SIZE	1

/* Store the first n (<= ARCH_INSN_SIZE) bytes of an append. */
static inline void arch_store_insn(void *dst, const void *src, size_t n)
{
	if (n)
		__atomic_store_n((unsigned char *)dst,
				 *(const unsigned char *)src, __ATOMIC_RELEASE);
}

/* Machine code of "return v" (int), for probes; returns its length. */
static inline size_t arch_code_return(unsigned char *buf, unsigned v)
{
	static const unsigned char c[6] = { 0xb8, 0, 0, 0, 0, 0xc3 };

	for (unsigned i = 0; i < sizeof(c); i++)
		buf[i] = c[i];
	buf[1] = (unsigned char)v;
	buf[2] = (unsigned char)(v >> 8);
	buf[3] = (unsigned char)(v >> 16);
	buf[4] = (unsigned char)(v >> 24);
	return sizeof(c);
}

/* Stub tables and thunks, in stubs.S and thunks.S. */
extern const char arch_stubs[];
extern const char tramp_chain_thunk[], tramp_bind_thunk[];
extern const char tramp_bind_sret_thunk[];
extern const char tramp_handler_thunk[], tramp_context_thunk[];
_Noreturn void arch_context_jump(const void *ctx, void *pc);
#endif

#endif
