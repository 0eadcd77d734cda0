/* SPDX-License-Identifier: MIT */
/*
 * riscv64 facts the tests need: machine code snippets (4-byte encodings,
 * no compressed instructions), the filler, and the registers the context
 * tests use.
 */
#ifndef TRAMPJIT_TEST_ARCH_H
#define TRAMPJIT_TEST_ARCH_H

#include <stdint.h>
#include <string.h>

#define TEST_ARCH_NAME	"riscv64"

#define I_NOP		0x00000013u	/* addi x0, x0, 0 */
#define I_RET		0x00008067u	/* jalr x0, 0(ra) */
#define I_EBREAK	0x00100073u	/* the library's filler */

static inline void put32(unsigned char *b, uint32_t insn)
{
	memcpy(b, &insn, 4);
}

/* The trapping filler and whether the instruction at p is it. */
static inline int test_is_fill(const void *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w == I_EBREAK;
}

/* "return v": lui a0, hi; addiw a0, a0, lo; ret. */
#define CODE_RET_LEN	12
static inline void code_ret(unsigned char *b, uint32_t v)
{
	put32(b, 0x00000537u | (((v + 0x800) >> 12) & 0xfffff) << 12);
	put32(b + 4, 0x0005051bu | (v & 0xfff) << 20);
	put32(b + 8, I_RET);
}

/* "return *(int32_t *)target + k" written at rw to run at rx, the load
   PC-relative (target within 2 GiB of rx): auipc t0, hi; lw a0, lo(t0);
   addi a0, a0, k; ret. */
#define CODE_LOAD_REL_LEN	16
static inline void code_load_rel(unsigned char *rw, const unsigned char *rx,
				 const void *target, unsigned char k)
{
	uint32_t d = (uint32_t)((uintptr_t)target - (uintptr_t)rx);

	put32(rw, 0x00000297u | ((d + 0x800) & 0xfffff000u));
	put32(rw + 4, 0x0002a503u | (d & 0xfff) << 20);
	put32(rw + 8, 0x00050513u | (uint32_t)k << 20);
	put32(rw + 12, I_RET);
}

/* A function of len (>= CODE_RET_LEN) bytes that returns v and runs
   through every whole word of them: the above with nops before the ret
   (and len % 4 trailing bytes nothing executes). */
static inline void code_func(unsigned char *b, size_t len, uint32_t v)
{
	size_t end = len & ~(size_t)3;

	memset(b, 0, len);
	code_ret(b, v);
	for (size_t i = 8; i + 4 < end; i += 4)
		put32(b + i, I_NOP);
	put32(b + end - 4, I_RET);
}

/* long f(long n): count n down to 0 and return it; returns the length. */
static inline size_t code_spin(unsigned char *b)
{
	put32(b, 0xfff50513u);		/* 1: addi a0, a0, -1 */
	put32(b + 4, 0xfe051ee3u);	/* bnez a0, 1b */
	put32(b + 8, I_RET);
	return 12;
}

/*
 * A frame-pointer function that calls fn(arg) and returns its value
 * (the argument passes through untouched), JIT_CALL_LEN bytes, and its
 * CFI program (jit_name_unwind()):
 *	addi sp, sp, -16; sd ra, 8(sp); sd s0, 0(sp); addi s0, sp, 16;
 *	auipc t1, 0; ld t1, 32(t1); jalr t1; ld ra, 8(sp); ld s0, 0(sp);
 *	addi sp, sp, 16; ret; nop; fn: .quad fn
 */
static const unsigned char jit_call_cfi[] = {
	0x44, 0x0e, 16,		/* after addi: CFA = sp + 16 */
	0x48, 0x81, 1, 0x88, 2,	/* after the sds: ra at CFA - 8, s0 - 16 */
	0x44, 0x0c, 8, 0,	/* after addi s0: CFA = s0 */
	0x4c, 0x0c, 2, 16,	/* at the ld ra: CFA = sp + 16 */
	0x4c, 0x0e, 0,		/* after addi sp: CFA = sp */
	0xc1, 0xc8,		/* ra, s0 restored */
};
#define JIT_CALL_LEN	56
static inline void code_call(unsigned char *c, void *fn)
{
	static const uint32_t insn[12] = {
		0xff010113u, 0x00113423u, 0x00813023u, 0x01010413u,
		0x00000317u, 0x02033303u, 0x000300e7u, 0x00813083u,
		0x00013403u, 0x01010113u, I_RET, I_NOP,
	};
	uint64_t a = (uint64_t)(uintptr_t)fn;

	memcpy(c, insn, sizeof(insn));
	memcpy(c + 48, &a, 8);
}

/*
 * Patchable entry of the dual-view SYNC_CORE test: "j entry + off" at
 * entry.  An aligned 4-byte instruction replaced by one aligned store is
 * fetched whole, old or new (Ziccif); the commit's riscv_flush_icache
 * then makes every hart fetch the new one.
 */
#define CODE_BRANCH_LEN	4
static inline uint32_t jal_x0(unsigned off)
{
	return (off >> 20 & 1) << 31 | (off >> 1 & 0x3ff) << 21 |
	       (off >> 11 & 1) << 20 | (off >> 12 & 0xff) << 12 | 0x6f;
}

static inline void code_branch(unsigned char *b, unsigned off)
{
	put32(b, jal_x0(off));
}

static inline void code_branch_retarget(unsigned char *b, unsigned off)
{
	__atomic_store_n((uint32_t *)b, jal_x0(off), __ATOMIC_RELEASE);
}

/* chain-target.S: the static chain register t2, alone and plus nine
   arguments (one on the stack). */
uintptr_t chain_target_reg(void);
uintptr_t chain_target_reg_plus_args(long, long, long, long, long, long,
				     long, long, long);
static inline uintptr_t call_chain_args(void *code)
{
	return ((uintptr_t (*)(long, long, long, long, long, long, long, long,
			       long))code)(1, 2, 3, 4, 5, 6, 7, 8, 9000);
}
#define CHAIN_ARGS_SUM(c)	((c) + 36 + 9000)

/* Context tests: registers they set, whether the return address of a call
   lies on the stack, a register that holds its value across the fault
   backend's signal return. */
#define TEST_CTX_REGS							\
	TRAMP_REG_RA, TRAMP_REG_T0, TRAMP_REG_T2, TRAMP_REG_S0,		\
	TRAMP_REG_S1, TRAMP_REG_A3, TRAMP_REG_A7, TRAMP_REG_S11,	\
	TRAMP_REG_T6, TRAMP_REG_ARG(0)
#define TEST_RET_ON_STACK	0
#define TEST_CTX_HIGH_REG	TRAMP_REG_S11

/* In a signal handler interrupting the first instruction of a function
   long f(long): return from it with the argument plus one. */
#include <ucontext.h>
static inline void uc_return_inc(void *uc)
{
	unsigned long *g = ((ucontext_t *)uc)->uc_mcontext.__gregs;

	g[10] += 1;		/* a0 */
	g[0] = g[1];		/* pc = ra */
}

/* The spin-wait hint (Zihintpause "pause", a fence hint elsewhere). */
static inline void cpu_relax(void)
{
	__asm__ volatile(".4byte 0x0100000f");
}

/* A system call made by the ecall instruction in the caller's own code
   (where the unwinder has its tables: glibc 2.36's riscv64 syscall()
   has none), returning what the kernel left in the result register. */
static inline long test_syscall0(long nr)
{
	register long a7 __asm__("a7") = nr;
	register long a0 __asm__("a0");

	__asm__ volatile("ecall" : "=r"(a0) : "r"(a7) : "memory");
	return a0;
}

/* A SIGTRAP in the program's own code that a plain handler returns from.
   ebreak reports the pc of the ebreak itself, so a handler that does not
   move the pc would run it forever: raise() stands in for it here. */
#include <signal.h>
#define TEST_FOREIGN_TRAP()	raise(SIGTRAP)
#define TEST_FOREIGN_TRAP_CODE	SI_TKILL

/* Probes (chain-target.S) returning a0 (what a BIND target gets as its
   first argument, and what a context sets in TEST_RET_REG) and a1 (a
   TRAMP_BIND_SRET target's data: a0 holds the result pointer); the
   landing pad (Zicfilp lpad), which no stub has. */
uint64_t probe_ret_a0(void), probe_ret_a1(void);
#define probe_ret_arg0		probe_ret_a0
#define probe_ret_sret_data	probe_ret_a1
#define probe_ret_reg		probe_ret_a0
#define TEST_RET_REG		TRAMP_REG_A0
#define TEST_LANDING_PAD	{ 0x17, 0x00, 0x00, 0x00 }	/* lpad 0 */
#define TEST_LANDING_PADS	0

/* A kernel-raised SIGTRAP (ebreak) that need not return. */
#define TEST_FATAL_TRAP()	__asm__ volatile("ebreak")

/* Read the static chain register (valid as the first statement). */
#define READ_CHAIN_REG(v)	__asm__ volatile("mv %0, t2" : "=r"(v))

/* ABI: a 16-byte {long, double} struct comes back in a0 and fa0 (the
   hardware floating-point convention); the argument index of the first
   visible argument of a function returning a struct in memory (a0 holds
   the hidden pointer). */
#define TEST_MIXED_STRUCT_GPRS	0
#define TEST_SRET_ARG0		1
/* Floating-point arguments that find no FP register (variadic ones, and
   those after fa7) travel in integer registers. */
#define TEST_FP_IN_GPRS		1

/* RSS budget of 1,000,000 live trampolines: 72 bytes a trampoline (32 of
   stub, 40 of slot: the pair twice, see src/arch/riscv64/arch.h), plus
   slack. */
#define TEST_TRAMP_MIB	96

/* Whether user space can single-step itself (x86 TF flag). */
#define TEST_SINGLE_STEP	0

#endif
