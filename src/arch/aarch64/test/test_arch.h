/* SPDX-License-Identifier: MIT */
/*
 * aarch64 facts the tests need: machine code snippets, the filler, and the
 * registers the context tests use.  Every snippet that is called starts
 * with "bti c", so it also runs in pages mapped with PROT_BTI.
 */
#ifndef TRAMPJIT_TEST_ARCH_H
#define TRAMPJIT_TEST_ARCH_H

#include <stdint.h>
#include <string.h>

#define TEST_ARCH_NAME	"aarch64"

#define I_BTI_C		0xd503245fu
#define I_NOP		0xd503201fu
#define I_RET		0xd65f03c0u
#define I_BRK		0xd4200f40u	/* the library's filler: brk #0x7a */

static inline void put32(unsigned char *b, uint32_t insn)
{
	memcpy(b, &insn, 4);
}

/* The trapping filler and whether the instruction at p is it. */
static inline int test_is_fill(const void *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w == I_BRK;
}

/* "return v": bti c; movz w0, #lo; movk w0, #hi, lsl 16; ret. */
#define CODE_RET_LEN	16
static inline void code_ret(unsigned char *b, uint32_t v)
{
	put32(b, I_BTI_C);
	put32(b + 4, 0x52800000u | (v & 0xffff) << 5);
	put32(b + 8, 0x72a00000u | (v >> 16) << 5);
	put32(b + 12, I_RET);
}

/* "return *(int32_t *)target + k" written at rw to run at rx, the load
   PC-relative (target within 4 GiB of rx): bti c; adrp x16, target;
   add x16, x16, :lo12:target; ldr w0, [x16]; add w0, w0, #k; ret. */
#define CODE_LOAD_REL_LEN	24
static inline void code_load_rel(unsigned char *rw, const unsigned char *rx,
				 const void *target, unsigned char k)
{
	uintptr_t t = (uintptr_t)target;
	uint32_t pages = (uint32_t)((t >> 12) - ((uintptr_t)(rx + 4) >> 12)) &
			 0x1fffff;

	put32(rw, I_BTI_C);
	put32(rw + 4, 0x90000010u | (pages & 3) << 29 | (pages >> 2) << 5);
	put32(rw + 8, 0x91000210u | (uint32_t)(t & 0xfff) << 10);
	put32(rw + 12, 0xb9400200u);
	put32(rw + 16, 0x11000000u | (uint32_t)k << 10);
	put32(rw + 20, I_RET);
}

/* A function of len (>= CODE_RET_LEN) bytes that returns v and runs
   through every whole word of them: the above with nops before the ret
   (and len % 4 trailing bytes nothing executes). */
static inline void code_func(unsigned char *b, size_t len, uint32_t v)
{
	size_t end = len & ~(size_t)3;

	memset(b, 0, len);
	code_ret(b, v);
	for (size_t i = 12; i + 4 < end; i += 4)
		put32(b + i, I_NOP);
	put32(b + end - 4, I_RET);
}

/* long f(long n): count n down to 0 and return it; returns the length. */
static inline size_t code_spin(unsigned char *b)
{
	put32(b, I_BTI_C);
	put32(b + 4, 0xf1000400u);	/* 1: subs x0, x0, #1 */
	put32(b + 8, 0x54ffffe1u);	/* b.ne 1b */
	put32(b + 12, I_RET);
	return 16;
}

/*
 * A frame-pointer function that calls fn(arg) and returns its value
 * (the argument passes through untouched), JIT_CALL_LEN bytes, and its
 * CFI program (jit_name_unwind()):
 *	bti c; stp x29, x30, [sp, #-16]!; mov x29, sp; ldr x16, fn;
 *	blr x16; ldp x29, x30, [sp], #16; ret; nop; fn: .quad fn
 */
static const unsigned char jit_call_cfi[] = {
	0x48, 0x0e, 16,		/* after stp: CFA = sp + 16 */
	0x9d, 2, 0x9e, 1,	/* x29 at CFA - 16, x30 at CFA - 8 */
	0x44, 0x0c, 29, 16,	/* after mov: CFA = x29 + 16 */
	0x4c, 0x0c, 31, 0,	/* after ldp: CFA = sp */
	0xdd, 0xde,		/* x29, x30 restored */
};
#define JIT_CALL_LEN	40
static inline void code_call(unsigned char *c, void *fn)
{
	uint64_t a = (uint64_t)(uintptr_t)fn;

	put32(c, I_BTI_C);
	put32(c + 4, 0xa9bf7bfdu);
	put32(c + 8, 0x910003fdu);
	put32(c + 12, 0x580000b0u);	/* ldr x16, .+20 */
	put32(c + 16, 0xd63f0200u);
	put32(c + 20, 0xa8c17bfdu);
	put32(c + 24, I_RET);
	put32(c + 28, I_NOP);
	memcpy(c + 32, &a, 8);
}

/*
 * Patchable entry of the dual-view SYNC_CORE test: "b entry + off" at
 * entry.  Replacing one B by another is one of the few modifications the
 * architecture allows while other cores execute the instruction (ARM ARM,
 * "Concurrent modification and execution of instructions").
 */
#define CODE_BRANCH_LEN	4
static inline void code_branch(unsigned char *b, unsigned off)
{
	put32(b, 0x14000000u | off / 4);
}

static inline void code_branch_retarget(unsigned char *b, unsigned off)
{
	__atomic_store_n((uint32_t *)b, 0x14000000u | off / 4,
			 __ATOMIC_RELEASE);
}

/* chain-target.S: the static chain register x18, alone and plus nine
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
	TRAMP_REG_X3, TRAMP_REG_X8, TRAMP_REG_X9, TRAMP_REG_X15,	\
	TRAMP_REG_X18, TRAMP_REG_X19, TRAMP_REG_X28, TRAMP_REG_X29,	\
	TRAMP_REG_X30, TRAMP_REG_ARG(0)
#define TEST_RET_ON_STACK	0
#define TEST_CTX_HIGH_REG	TRAMP_REG_X28

/* In a signal handler interrupting the first instruction of a function
   long f(long): return from it with the argument plus one. */
#include <ucontext.h>
static inline void uc_return_inc(void *uc)
{
	mcontext_t *m = &((ucontext_t *)uc)->uc_mcontext;

	m->regs[0] += 1;
	m->pc = m->regs[30];
}

/* The spin-wait hint. */
static inline void cpu_relax(void)
{
	__asm__ volatile("yield");
}

/* A system call made by the svc #0 instruction in the caller's own code
   (where the unwinder has its tables: glibc 2.36's riscv64 syscall()
   has none), returning what the kernel left in the result register. */
static inline long test_syscall0(long nr)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0");

	__asm__ volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory");
	return x0;
}

/* A SIGTRAP in the program's own code that a plain handler returns from.
   brk reports the pc of the brk itself, so a handler that does not move
   the pc would run it forever: raise() stands in for it here. */
#include <signal.h>
#define TEST_FOREIGN_TRAP()	raise(SIGTRAP)
#define TEST_FOREIGN_TRAP_CODE	SI_TKILL

/* A probe returning x0: what a BIND target gets as its first argument,
   a TRAMP_BIND_SRET one as data (x8 holds the result pointer), and what
   a context sets in TEST_RET_REG; the landing pad every stub starts with
   (always: "bti c" is a NOP without BTI). */
uint64_t probe_ret_x0(void);
#define probe_ret_arg0		probe_ret_x0
#define probe_ret_sret_data	probe_ret_x0
#define probe_ret_reg		probe_ret_x0
#define TEST_RET_REG		TRAMP_REG_X0
#define TEST_LANDING_PAD	{ 0x5f, 0x24, 0x03, 0xd5 }	/* bti c */
#define TEST_LANDING_PADS	1

/* A kernel-raised SIGTRAP (brk) that need not return. */
#define TEST_FATAL_TRAP()	__asm__ volatile("brk #0x3e8")

/* Read the static chain register (valid as the first statement). */
#define READ_CHAIN_REG(v)	__asm__ volatile("mov %0, x18" : "=r"(v))

/* ABI: a 16-byte {long, double} struct comes back in two general
   registers; the argument index of the first visible argument of a
   function returning a struct in memory. */
#define TEST_MIXED_STRUCT_GPRS	1
#define TEST_SRET_ARG0		0
/* Floating-point arguments that find no FP register travel in integer
   registers (riscv64): no. */
#define TEST_FP_IN_GPRS		0

/* RSS budget of 1,000,000 live trampolines: 56 bytes a trampoline (16 of
   stub, 40 of slot: the pair twice, see src/arch/aarch64/arch.h), plus slack. */
#define TEST_TRAMP_MIB	64

/* Whether user space can single-step itself (x86 TF flag). */
#define TEST_SINGLE_STEP	0

#endif
