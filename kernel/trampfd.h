/* SPDX-License-Identifier: MIT */
/*
 * trampfd: user API of the trampjit kernel module (x86_64).  One header
 * for the module, the library and the tests.
 *
 * Opening /dev/trampfd gives an instance.  Its mmap offsets select what a
 * mapping is:
 *   [0, TRAMPFD_CALL_OFFSET)      fault trampolines: no page is ever mapped;
 *                                 an instruction fetch at a multiple of
 *                                 TRAMPFD_STRIDE (in file offset) runs the
 *                                 context set for it (trampfd v1);
 *   [TRAMPFD_CALL_OFFSET, ...)    call trampolines: read+execute stubs of
 *                                 TRAMPFD_CALL_STRIDE bytes that invoke
 *                                 TRAMPFD_IOC_CALL (the trampoline syscall);
 *   JIT offsets                   code made by TRAMPFD_IOC_JIT_*; the module
 *                                 maps those itself.
 * Mappings are private to the process: fork gives the child a copy of the
 * contexts of its trampoline mappings.  No mapping of this device is ever
 * writable.
 */
#ifndef TRAMPFD_UAPI_H
#define TRAMPFD_UAPI_H

#ifdef __KERNEL__
#include <linux/ioctl.h>
#include <linux/types.h>
#else
#include <linux/ioctl.h>
#include <linux/types.h>
#endif

#define TRAMPFD_PATH		"/dev/trampfd"
#define TRAMPFD_VERSION		1

#define TRAMPFD_STRIDE		16		/* fault trampolines */
#define TRAMPFD_CALL_STRIDE	64		/* call stubs */
#define TRAMPFD_CALL_OFFSET	(1ULL << 36)
/*
 * A call stub: endbr64; push %rax; push %rcx; push %rdi; push %rsi;
 * push %r11; mov $fd, %edi; mov $TRAMPFD_IOC_CALL, %esi; mov $16, %eax;
 * syscall; then, at TRAMPFD_CALL_RET, the tail the ioctl returns to:
 * test %eax, %eax; jne 1f; mov -72(%rsp), %rax; jmp *-80(%rsp); 1: ud2.
 */
#define TRAMPFD_CALL_RET	27
#define TRAMPFD_CALL_TRAP	40	/* the ud2 */
#define TRAMPFD_MAX_STACK	8
#define TRAMPFD_NREGS		16
#define TRAMPFD_JIT_MAX		(64ULL << 20)	/* bytes of one object */

/* Register indexes of struct trampfd_context (the order of trampjit's
   TRAMP_REG_*). */
enum {
	TRAMPFD_RAX, TRAMPFD_RBX, TRAMPFD_RCX, TRAMPFD_RDX,
	TRAMPFD_RSI, TRAMPFD_RDI, TRAMPFD_RBP, TRAMPFD_RSP,
	TRAMPFD_R8, TRAMPFD_R9, TRAMPFD_R10, TRAMPFD_R11,
	TRAMPFD_R12, TRAMPFD_R13, TRAMPFD_R14, TRAMPFD_R15,
};

#define TRAMPFD_MOVE_SP		1u	/* the stack words move the SP */
#define TRAMPFD_SHIFT_ARGS	2u	/* first, rdi..r8 move to rsi..r9 */
#define TRAMPFD_SHIFT_ARGS2	4u	/* first, rsi..r8 move to rdx..r9 */

/*
 * What a call of a trampoline does: write stack[0..nstack) at successive
 * words below the stack pointer of the call (stack[0] nearest), move the
 * stack pointer down over them if TRAMPFD_MOVE_SP, shift the first five
 * integer argument registers up one if TRAMPFD_SHIFT_ARGS (a bound first
 * argument; not in the v1 patches), or the four after %rdi if
 * TRAMPFD_SHIFT_ARGS2 (a bound argument after a struct-return pointer),
 * set every register whose bit is in mask (never RSP), continue at pc.
 */
struct trampfd_context {
	__u64 mask;			/* bit i: load regs[i] */
	__u64 regs[TRAMPFD_NREGS];	/* by TRAMPFD_* index */
	__u64 stack[TRAMPFD_MAX_STACK];	/* stack[0] first */
	__u32 nstack;			/* words in stack[] */
	__u32 flags;			/* TRAMPFD_MOVE_SP, _SHIFT_ARGS* */
	__u64 pc;			/* where the call continues */
};

/* TRAMPFD_IOC_SET: give the trampoline at user address addr a context. */
struct trampfd_set {
	__u64 addr;			/* a trampoline of this instance */
	struct trampfd_context ctx;
};

/* TRAMPFD_IOC_ALLOW_PCS: the only pcs contexts may name from now on. */
struct trampfd_pcs {
	__u64 count;			/* 1 .. TRAMPFD_MAX_PCS */
	__u64 pcs;			/* user pointer to count __u64 */
};
#define TRAMPFD_MAX_PCS		1024

/* TRAMPFD_IOC_JIT_CREATE, TRAMPFD_IOC_JIT_REGION, TRAMPFD_IOC_JIT_APPEND. */
struct trampfd_jit {
	__u64 src;			/* user pointer to code (CREATE,
					   APPEND) */
	__u64 len;			/* bytes of code; REGION: capacity */
	__u64 region;			/* APPEND: the region's address */
	__u64 addr;			/* out: where the code is */
};

/* TRAMPFD_IOC_INFO */
struct trampfd_info {
	__u32 version;			/* TRAMPFD_VERSION */
	__u32 call_ret;			/* bytes of a call stub up to the
					   instruction after its syscall */
	__u64 fault_calls;		/* trampolines run by fault */
	__u64 ioctl_calls;		/* trampolines run by ioctl */
	__u64 slow_stack;		/* stack writes that dropped the
					   mmap lock */
	__u64 bp_fixups;		/* int3 on replaced filler rewound */
	__u64 page_swaps;		/* region pages swapped */
};

#define TRAMPFD_IOC_MAGIC	0xb7
#define TRAMPFD_IOC_SET		_IOW(TRAMPFD_IOC_MAGIC, 1, struct trampfd_set)
#define TRAMPFD_IOC_CLEAR	_IOW(TRAMPFD_IOC_MAGIC, 2, __u64)
#define TRAMPFD_IOC_ALLOW_PCS	_IOW(TRAMPFD_IOC_MAGIC, 3, struct trampfd_pcs)
#define TRAMPFD_IOC_CALL_FD	_IOW(TRAMPFD_IOC_MAGIC, 4, __s32)
#define TRAMPFD_IOC_CALL	_IO(TRAMPFD_IOC_MAGIC, 5)
#define TRAMPFD_IOC_INFO	_IOR(TRAMPFD_IOC_MAGIC, 6, struct trampfd_info)
#define TRAMPFD_IOC_JIT_CREATE	_IOWR(TRAMPFD_IOC_MAGIC, 7, struct trampfd_jit)
#define TRAMPFD_IOC_JIT_REGION	_IOWR(TRAMPFD_IOC_MAGIC, 8, struct trampfd_jit)
#define TRAMPFD_IOC_JIT_APPEND	_IOWR(TRAMPFD_IOC_MAGIC, 9, struct trampfd_jit)
#define TRAMPFD_IOC_JIT_DESTROY	_IOW(TRAMPFD_IOC_MAGIC, 10, __u64)

#endif
