/* SPDX-License-Identifier: MIT */
/*
 * x86_64 facts the tests need: machine code snippets, the filler, and the
 * registers the context tests use.
 */
#ifndef TRAMPJIT_TEST_ARCH_H
#define TRAMPJIT_TEST_ARCH_H

#include <stdint.h>
#include <string.h>

#define TEST_ARCH_NAME	"x86_64"

/* The trapping filler (int3) and whether the instruction at p is it. */
#define TEST_FILL_BYTE	0xcc
static inline int test_is_fill(const void *p)
{
	return *(const unsigned char *)p == 0xcc;
}

/* "return *(int32_t *)target + k" written at rw to run at rx, its load
   32-bit PC-relative (target within 2 GiB of rx): mov disp32(%rip), %eax;
   add $k, %eax; ret (k < 128). */
#define CODE_LOAD_REL_LEN	10
static inline void code_load_rel(unsigned char *rw, const unsigned char *rx,
				 const void *target, unsigned char k)
{
	int32_t disp = (int32_t)((intptr_t)target - (intptr_t)(rx + 6));

	rw[0] = 0x8b;
	rw[1] = 0x05;
	memcpy(rw + 2, &disp, 4);
	rw[6] = 0x83;
	rw[7] = 0xc0;
	rw[8] = k;
	rw[9] = 0xc3;
}

/* "return v" (mov $v, %eax; ret): CODE_RET_LEN bytes at b. */
#define CODE_RET_LEN	6
static inline void code_ret(unsigned char *b, uint32_t v)
{
	b[0] = 0xb8;
	memcpy(b + 1, &v, 4);
	b[5] = 0xc3;
}

/* A function of len (>= CODE_RET_LEN) bytes that returns v and runs
   through all of them: mov $v, %eax; nops; ret. */
static inline void code_func(unsigned char *b, size_t len, uint32_t v)
{
	memset(b, 0x90, len);
	b[0] = 0xb8;
	memcpy(b + 1, &v, 4);
	b[len - 1] = 0xc3;
}

/* long f(long n): count n down to 0 and return it; returns the length. */
static inline size_t code_spin(unsigned char *b)
{
	/* mov %rdi,%rax; 1: dec %rax; jnz 1b; ret */
	static const unsigned char c[] = {
		0x48, 0x89, 0xf8, 0x48, 0xff, 0xc8, 0x75, 0xfb, 0xc3,
	};

	memcpy(b, c, sizeof(c));
	return sizeof(c);
}

/*
 * A frame-pointer function that calls fn(arg) and returns its value
 * (the argument passes through untouched), JIT_CALL_LEN bytes, and its
 * CFI program (jit_name_unwind()):
 *	push %rbp; mov %rsp,%rbp; movabs $fn,%rax; call *%rax; pop %rbp; ret
 */
static const unsigned char jit_call_cfi[] = {
	0x41, 0x0e, 16,		/* after push: CFA = rsp + 16 */
	0x86, 2,		/* rbp at CFA - 16 */
	0x43, 0x0d, 6,		/* after mov: CFA = rbp + 16 */
	0x4d, 0x0c, 7, 8,	/* after pop: CFA = rsp + 8 */
};
#define JIT_CALL_LEN	18
static inline void code_call(unsigned char *c, void *fn)
{
	uint64_t a = (uint64_t)(uintptr_t)fn;

	c[0] = 0x55;
	c[1] = 0x48;
	c[2] = 0x89;
	c[3] = 0xe5;
	c[4] = 0x48;
	c[5] = 0xb8;
	memcpy(c + 6, &a, 8);
	c[14] = 0xff;
	c[15] = 0xd0;
	c[16] = 0x5d;
	c[17] = 0xc3;
}

/*
 * Patchable entry of the dual-view SYNC_CORE test: a branch at entry to
 * entry + off (0 < off < 128), the only bytes patched while other threads
 * run it.  code_branch writes it whole; code_branch_retarget changes only
 * the displacement, with one store.
 */
#define CODE_BRANCH_LEN	2
static inline void code_branch(unsigned char *b, unsigned off)
{
	b[0] = 0xeb;			/* jmp rel8 */
	b[1] = (unsigned char)(off - 2);
}

static inline void code_branch_retarget(unsigned char *b, unsigned off)
{
	__atomic_store_n(&b[1], (unsigned char)(off - 2), __ATOMIC_RELEASE);
}

/* chain-target.S: the static chain register %r10, alone and plus seven
   arguments (one on the stack). */
uintptr_t chain_target_reg(void);
uintptr_t chain_target_reg_plus_args(long, long, long, long, long, long,
				     long);
static inline uintptr_t call_chain_args(void *code)
{
	return ((uintptr_t (*)(long, long, long, long, long, long, long))
		code)(1, 2, 3, 4, 5, 6, 7000);
}
#define CHAIN_ARGS_SUM(c)	((c) + 21 + 7000)

/* Context tests: registers they set, whether the return address of a call
   lies on the stack, and a register that holds its value across the
   fault backend's signal return. */
#define TEST_CTX_REGS							\
	TRAMP_REG_RAX, TRAMP_REG_RBX, TRAMP_REG_RBP, TRAMP_REG_R9,	\
	TRAMP_REG_R10, TRAMP_REG_R11, TRAMP_REG_R12, TRAMP_REG_R13,	\
	TRAMP_REG_R14, TRAMP_REG_R15, TRAMP_REG_ARG(0)
#define TEST_RET_ON_STACK	1
#define TEST_CTX_HIGH_REG	TRAMP_REG_R15

/* In a signal handler interrupting the first instruction of a function
   long f(long): return from it with the argument plus one. */
#include <ucontext.h>
#ifdef REG_RIP			/* the names need _GNU_SOURCE */
static inline void uc_return_inc(void *uc)
{
	greg_t *g = ((ucontext_t *)uc)->uc_mcontext.gregs;

	g[REG_RAX] = g[REG_RDI] + 1;
	g[REG_RIP] = *(greg_t *)g[REG_RSP];
	g[REG_RSP] += 8;
}
#endif

/* A system call made by the syscall instruction in the caller's own code
   (where the unwinder has its tables: glibc 2.36's riscv64 syscall()
   has none), returning what the kernel left in the result register. */
static inline long test_syscall0(long nr)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The spin-wait hint. */
static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}

/* A kernel-raised SIGTRAP in the program's own code that a handler
   returns from (int3 reports the pc after itself). */
#define TEST_FOREIGN_TRAP()	__asm__ volatile("int3")
#define TEST_FOREIGN_TRAP_CODE	0x80	/* SI_KERNEL */

/* Probes (msabi-probe.S) returning what a BIND target gets as its first
   argument, a TRAMP_BIND_SRET target as data, and a context sets in
   TEST_RET_REG; the landing pad every stub starts with, and whether the
   build has them. */
uint64_t probe_ret_rdi(void), probe_ret_rsi(void), probe_ret_rax(void);
#define probe_ret_arg0		probe_ret_rdi
#define probe_ret_sret_data	probe_ret_rsi
#define probe_ret_reg		probe_ret_rax
#define TEST_RET_REG		TRAMP_REG_RAX
#define TEST_LANDING_PAD	{ 0xf3, 0x0f, 0x1e, 0xfa }	/* endbr64 */
#if defined(__CET__) && (__CET__ & 1)
#define TEST_LANDING_PADS	1
#else
#define TEST_LANDING_PADS	0
#endif

/* A kernel-raised SIGTRAP that need not return. */
#define TEST_FATAL_TRAP()	__asm__ volatile("int3")

/* Read the static chain register (valid as the first statement). */
#define READ_CHAIN_REG(v)	__asm__ volatile("mov %%r10, %0" : "=r"(v))

/* ABI: a 16-byte {long, double} struct comes back in two general
   registers; the argument index of the first visible argument of a
   function returning a struct in memory. */
#define TEST_MIXED_STRUCT_GPRS	0
#define TEST_SRET_ARG0		1
/* Floating-point arguments that find no FP register travel in integer
   registers (riscv64): no. */
#define TEST_FP_IN_GPRS		0

/* RSS budget of 1,000,000 live trampolines: 32 bytes a trampoline (16 of
   stub, 16 of slot), plus slack. */
#define TEST_TRAMP_MIB	48

/* Whether user space can single-step itself (x86 TF flag). */
#define TEST_SINGLE_STEP	1

#endif
