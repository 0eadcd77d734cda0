/* SPDX-License-Identifier: MIT */
/*
 * trampjit: trampolines and JIT code for Linux without any page ever being
 * writable and executable at once.  This is the only public header.
 */
#ifndef TRAMPJIT_H
#define TRAMPJIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The header compiles as C99 and later and as C++98 and later, also with
 * -pedantic.  TRAMP_NORETURN marks a function that never returns in each.
 *
 * Code addresses are object pointers (void *) in this API, as in dlsym(3).
 * ISO C does not convert between object and function pointers; to stay
 * warning-free under -pedantic, copy the bits:
 *
 *	int (*fn)(int);
 *	void *code = tramp_code(t);
 *	memcpy(&fn, &code, sizeof(fn));
 *
 * (and memcpy(&spec.target, &fnptr, sizeof(spec.target)) the other way).
 * Linux guarantees the two have the same size and representation; a plain
 * cast works too, and only -pedantic warns about it.
 */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define TRAMP_NORETURN [[noreturn]]
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && \
	__STDC_VERSION__ >= 201112L && __STDC_VERSION__ < 202311L
#define TRAMP_NORETURN _Noreturn
#elif defined(__GNUC__)
#define TRAMP_NORETURN __attribute__((__noreturn__))
#else
#define TRAMP_NORETURN
#endif

/*
 * Conventions, as for mmap(2) and memfd_create(2): functions returning a
 * pointer return NULL and set errno on failure; functions returning int
 * return 0 (or a file descriptor) on success and -1 with errno on failure.
 * Destroy functions accept NULL.  No function aborts on bad input.
 */

/* ------------------------------------------------------------------ */
/* Trampolines                                                          */
/* ------------------------------------------------------------------ */

/* What a call through tramp_code() does. */
enum tramp_kind {
	TRAMP_CHAIN,	/* static-chain register := data; jump to target */
	TRAMP_BIND,	/* call target(data, a0, a1, ...) */
	TRAMP_HANDLER,	/* call handler(frame, data) with every argument */
	TRAMP_CONTEXT	/* set registers, push words, jump to pc (trampfd) */
};

/*
 * Registers, on x86_64, identical on every backend.  Each kind changes
 * what it defines and, besides, at most %r11 (scratch under the System V
 * and the Microsoft ABI; its value at the target is unspecified):
 *   CHAIN    %r10 = data.
 *   BIND     %rdi..%r9 shifted as described at TRAMP_BIND_SRET below; it
 *            is defined on System V argument registers, so an ms_abi
 *            caller (whose %rdi and %rsi are callee-saved) cannot use it.
 *   HANDLER  the return registers the handler sets (%rax, %rdx, %xmm0,
 *            %xmm1, x87 st0/st1); %rcx, %r8-%r10 and %xmm2-%xmm5 are
 *            left as the handler left them.  %rdi, %rsi and %xmm6-%xmm15
 *            come back as the caller passed them.
 *   CONTEXT  the registers of its mask.
 * Every other general register, all vector registers (%xmm0-%xmm15, the
 * upper halves of %ymm/%zmm included) and the x87 stack reach the target
 * (for HANDLER: return to the caller) untouched, so callers declared
 * __attribute__((ms_abi)) may call CHAIN, HANDLER and CONTEXT trampolines.
 *
 * With indirect branch tracking (-fcf-protection), every trampoline
 * starts with endbr64, and CHAIN, BIND and CONTEXT reach their target or
 * pc with an indirect jump: it must be a valid branch target (a function
 * compiled with -fcf-protection, or code starting with endbr64).
 *
 * On aarch64 (AAPCS64) every kind may also change x9, x10, x16 and x17
 * (temporaries, IP0/IP1), BIND and HANDLER x18 too; CHAIN sets x18.
 * x8 (the indirect result register), v0-v7 and the stack reach the
 * target untouched.  Every trampoline and thunk entry starts with
 * "bti c"; code is mapped with PROT_BTI when the program runs with BTI,
 * and targets are reached with BR x17 or BLR: they must start with a
 * landing pad then (compiled code does).  A context may not set sp, x16
 * or x17 (TRAMP_CONTEXT_RESERVED).
 *
 * On riscv64 (LP64D) every kind may also change t1 and t3 (the registers
 * a PLT entry clobbers), t4 and t5; CHAIN sets t2, the static chain.  t0,
 * fa0-fa7 and the stack reach the target untouched.  A context may not
 * set zero, sp, gp, tp, t1 or t3 (TRAMP_CONTEXT_RESERVED).
 */

/* How the call gets there.  See trampjit(7) for the trade-offs. */
enum tramp_backend {
	TRAMP_STATIC,	/* remapped read+execute stub pages (default) */
	TRAMP_FAULT,	/* PROT_NONE page, SIGSEGV handler (trampfd emulated) */
	TRAMP_SYSCALL,	/* reserved syscall trapped by seccomp into SIGSYS */
	TRAMP_MPROTECT,	/* write stub, then mprotect read+execute (baseline) */
	/* Kernel-assisted, with the trampjit module (/dev/trampfd) loaded;
	   tramp_create() fails with ENOSYS without it.  Numbered apart, so a
	   value just past the user-space backends stays invalid. */
	TRAMP_KERNEL = 8,	/* trampfd: the kernel runs the call on the
				   instruction-fetch fault */
	TRAMP_KERNEL_CALL	/* stub calls the module's trampoline ioctl */
};

struct tramp;		/* opaque handle of one trampoline */
struct tramp_frame;	/* saved argument registers of a TRAMP_HANDLER call */

/* A TRAMP_HANDLER callback.  It may call tramp_destroy() on its own
   trampoline. */
typedef void tramp_handler_fn(struct tramp_frame *frame, void *data);

/*
 * General registers by index, for struct tramp_context and tramp_jump().
 * TRAMP_REG_ARG(i) is the register of the i-th integer argument.
 */
#if defined(__x86_64__)
enum {
	TRAMP_REG_RAX, TRAMP_REG_RBX, TRAMP_REG_RCX, TRAMP_REG_RDX,
	TRAMP_REG_RSI, TRAMP_REG_RDI, TRAMP_REG_RBP, TRAMP_REG_RSP,
	TRAMP_REG_R8, TRAMP_REG_R9, TRAMP_REG_R10, TRAMP_REG_R11,
	TRAMP_REG_R12, TRAMP_REG_R13, TRAMP_REG_R14, TRAMP_REG_R15,
	TRAMP_NREGS,
	TRAMP_NARGREGS = 6,	/* integer argument registers */
	TRAMP_NVECREGS = 8	/* vector argument registers */
};
#define TRAMP_REG_ARG(i)						\
	((i) == 0 ? TRAMP_REG_RDI : (i) == 1 ? TRAMP_REG_RSI :		\
	 (i) == 2 ? TRAMP_REG_RDX : (i) == 3 ? TRAMP_REG_RCX :		\
	 (i) == 4 ? TRAMP_REG_R8 : (i) == 5 ? TRAMP_REG_R9 : -1)
#define TRAMP_REG_CHAIN	TRAMP_REG_R10	/* static chain (GCC nested fns) */
#define TRAMP_REG_SP	TRAMP_REG_RSP	/* may not be set by a context */
/* Registers a context may not set (bits by index). */
#define TRAMP_CONTEXT_RESERVED	(1ull << TRAMP_REG_SP)
#elif defined(__aarch64__)
enum {
	TRAMP_REG_X0, TRAMP_REG_X1, TRAMP_REG_X2, TRAMP_REG_X3,
	TRAMP_REG_X4, TRAMP_REG_X5, TRAMP_REG_X6, TRAMP_REG_X7,
	TRAMP_REG_X8, TRAMP_REG_X9, TRAMP_REG_X10, TRAMP_REG_X11,
	TRAMP_REG_X12, TRAMP_REG_X13, TRAMP_REG_X14, TRAMP_REG_X15,
	TRAMP_REG_X16, TRAMP_REG_X17, TRAMP_REG_X18, TRAMP_REG_X19,
	TRAMP_REG_X20, TRAMP_REG_X21, TRAMP_REG_X22, TRAMP_REG_X23,
	TRAMP_REG_X24, TRAMP_REG_X25, TRAMP_REG_X26, TRAMP_REG_X27,
	TRAMP_REG_X28, TRAMP_REG_X29, TRAMP_REG_X30, TRAMP_REG_XSP,
	TRAMP_NREGS,
	TRAMP_NARGREGS = 8,	/* integer argument registers x0-x7 */
	TRAMP_NVECREGS = 8	/* vector argument registers v0-v7 */
};
#define TRAMP_REG_ARG(i)	((i) < 8 ? TRAMP_REG_X0 + (i) : -1)
#define TRAMP_REG_FP	TRAMP_REG_X29	/* frame pointer */
#define TRAMP_REG_LR	TRAMP_REG_X30	/* link register */
#define TRAMP_REG_CHAIN	TRAMP_REG_X18	/* static chain (GCC nested fns) */
#define TRAMP_REG_SP	TRAMP_REG_XSP	/* may not be set by a context */
/* Registers a context may not set: sp, and x16/x17 (IP0/IP1, the
   veneer registers), which carry the final stack pointer and pc. */
#define TRAMP_CONTEXT_RESERVED						\
	((1ull << TRAMP_REG_SP) | (1ull << TRAMP_REG_X16) |		\
	 (1ull << TRAMP_REG_X17))
#elif defined(__riscv) && __riscv_xlen == 64
enum {	/* by register number: TRAMP_REG_T0 is x5 */
	TRAMP_REG_ZERO, TRAMP_REG_RA, TRAMP_REG_XSP, TRAMP_REG_GP,
	TRAMP_REG_TP, TRAMP_REG_T0, TRAMP_REG_T1, TRAMP_REG_T2,
	TRAMP_REG_S0, TRAMP_REG_S1, TRAMP_REG_A0, TRAMP_REG_A1,
	TRAMP_REG_A2, TRAMP_REG_A3, TRAMP_REG_A4, TRAMP_REG_A5,
	TRAMP_REG_A6, TRAMP_REG_A7, TRAMP_REG_S2, TRAMP_REG_S3,
	TRAMP_REG_S4, TRAMP_REG_S5, TRAMP_REG_S6, TRAMP_REG_S7,
	TRAMP_REG_S8, TRAMP_REG_S9, TRAMP_REG_S10, TRAMP_REG_S11,
	TRAMP_REG_T3, TRAMP_REG_T4, TRAMP_REG_T5, TRAMP_REG_T6,
	TRAMP_NREGS,
	TRAMP_NARGREGS = 8,	/* integer argument registers a0-a7 */
	TRAMP_NVECREGS = 8	/* floating-point argument registers fa0-fa7 */
};
#define TRAMP_REG_ARG(i)	((i) < 8 ? TRAMP_REG_A0 + (i) : -1)
#define TRAMP_REG_FP	TRAMP_REG_S0	/* frame pointer */
#define TRAMP_REG_LR	TRAMP_REG_RA	/* link register */
#define TRAMP_REG_CHAIN	TRAMP_REG_T2	/* static chain (GCC nested fns) */
#define TRAMP_REG_SP	TRAMP_REG_XSP	/* may not be set by a context */
/* Registers a context may not set: zero; sp; gp and tp, which the ABI
   fixes for the whole program and thread; t1 and t3 (the registers a PLT
   entry clobbers), which carry the final stack pointer and pc. */
#define TRAMP_CONTEXT_RESERVED						\
	((1ull << TRAMP_REG_ZERO) | (1ull << TRAMP_REG_SP) |		\
	 (1ull << TRAMP_REG_GP) | (1ull << TRAMP_REG_TP) |		\
	 (1ull << TRAMP_REG_T1) | (1ull << TRAMP_REG_T3))
#else
#error "trampjit: unsupported architecture"
#endif

#define TRAMP_CONTEXT_MAX_STACK	8	/* words a context may push */

/* Flags of struct tramp_context. */
#define TRAMP_CONTEXT_MOVE_SP	1u	/* the pushes move the stack pointer */

/*
 * What a TRAMP_CONTEXT call (or tramp_jump()) does, in order: write
 * stack[0], stack[1], ... at successive words below the stack pointer of
 * the call (stack[0] nearest to it, like pushes); if TRAMP_CONTEXT_MOVE_SP,
 * move the stack pointer down to the last word written; set every register
 * whose bit is in mask to regs[index]; jump to pc.  Registers outside the
 * mask keep the caller's values (but %r11, see above); vector and x87
 * registers are never touched, so floating-point arguments pass through.
 * Without MOVE_SP the words lie in the red zone below the stack pointer,
 * where the target can read them, and the caller's return address stays
 * on top.
 *
 * Shadow stacks: the trampoline is entered by a call and leaves by a jump,
 * so the shadow stack (x86 CET user shadow stack, when the program runs
 * with it enabled) still holds the caller's return address alone.  A ret
 * must therefore pop exactly that address: without MOVE_SP, pc may simply
 * return; with MOVE_SP, the pushed words are data, not return addresses,
 * and pc must remove them (add 8 * nstack to %rsp) before its ret, which
 * then returns to the caller.  A ret that pops a
 * pushed word, as a return-oriented chain would, raises a control
 * protection fault (SIGSEGV, si_code SEGV_CPERR).  tramp_jump()'s pc must
 * not return at all.
 */
struct tramp_context {
	uint64_t mask;			/* bit i set: load regs[i] */
	uintptr_t regs[TRAMP_NREGS];	/* values, by TRAMP_REG_* index */
	unsigned nstack;		/* words in stack[], at most 8 */
	unsigned flags;			/* TRAMP_CONTEXT_MOVE_SP or 0 */
	uintptr_t stack[TRAMP_CONTEXT_MAX_STACK]; /* stack[0] first */
	void *pc;			/* where to go; required */
};

/*
 * Flags of struct tramp_spec.
 *
 * TRAMP_BIND moves the integer argument registers up by one (%rdi..%r8
 * into %rsi..%r9; the caller's %r9 is dropped) and puts data in %rdi.  A
 * target that returns a struct in memory (larger than 16 bytes, or with
 * unaligned or long double members) receives the hidden result pointer in
 * %rdi: plain BIND would shift that pointer like an argument, and the
 * target would write its result over data.  TRAMP_BIND_SRET is BIND for
 * such targets: %rdi stays, data goes to %rsi (the first integer argument
 * after the hidden pointer) and %rsi..%r8 move to %rdx..%r9.  The limit
 * is the same: the caller passes at most 5 integer register arguments,
 * the hidden pointer included.  Only valid with TRAMP_BIND (EINVAL).
 * On aarch64 the result pointer travels in x8, which BIND never moves:
 * TRAMP_BIND_SRET behaves exactly as BIND there.  On riscv64 it is the
 * hidden first argument, a0, as on x86_64: BIND moves a0..a6 into a1..a7
 * and puts data in a0, TRAMP_BIND_SRET keeps a0, puts data in a1 and moves
 * a1..a6 into a2..a7 (at most 7 integer register arguments, the hidden
 * pointer included).
 */
#define TRAMP_BIND_SRET		1u

/* What tramp_create() builds. */
struct tramp_spec {
	enum tramp_kind kind;
	enum tramp_backend backend;	     /* 0 = TRAMP_STATIC */
	void *target;			     /* CHAIN, BIND: where to go */
	tramp_handler_fn *handler;	     /* HANDLER */
	void *data;			     /* CHAIN, BIND, HANDLER */
	const struct tramp_context *context; /* CONTEXT: copied */
	unsigned flags;			     /* TRAMP_BIND_SRET or 0 */
	size_t data_size;		     /* CHAIN, BIND, HANDLER: bytes of
						co-allocated data (0: none) */
};

/* Most bytes of co-allocated data (struct tramp_spec.data_size). */
#define TRAMP_DATA_MAX	256

/*
 * tramp_create - make a trampoline as described by spec.
 * With spec->data_size > 0 the trampoline comes with that many bytes of
 * private read-write memory of its own (zero-filled, 16-byte aligned,
 * freed by tramp_destroy()), and its data is the address of that memory:
 * spec->data must then be NULL.  Co-allocation costs no malloc and no
 * more than a plain tramp_create(); the memory is copy-on-write in a fork
 * child like every slot.
 * Returns the handle, or NULL with errno: EINVAL (NULL spec, unknown kind
 * or backend, NULL target/handler/context, a context setting the stack
 * pointer, more than 8 stack words, no pc, unknown flags, a flag with a
 * kind it does not apply to; data_size above TRAMP_DATA_MAX, with data,
 * or with TRAMP_CONTEXT), ENOMEM (address space or vm.max_map_count
 * exhausted), EFBIG (RLIMIT_FSIZE below the 64 KiB stub file of the first
 * TRAMP_STATIC table: the library never lets the kernel raise SIGXFSZ),
 * or what the backend's mechanism reports (EPERM/EACCES when forbidden,
 * ENOSYS when the kernel lacks it).
 * Thread-safe.  Not async-signal-safe.
 */
struct tramp *tramp_create(const struct tramp_spec *spec);

/* tramp_code - the callable address of t.  Thread-safe, async-signal-safe.
   Returns NULL with EINVAL for a NULL t. */
void *tramp_code(const struct tramp *t);

/*
 * tramp_retarget - change target (CHAIN, BIND), handler (HANDLER) or pc
 * (CONTEXT; data must then be NULL) together with data.  A trampoline
 * with co-allocated data keeps it: data must be NULL or tramp_data(t),
 * and the data stays the co-allocated memory.  Atomic: a
 * concurrent caller sees the old pair or the new pair, never a mix.
 * Returns 0, or -1 with EINVAL (or, for TRAMP_MPROTECT, the errno of a
 * failed page rebuild; the trampoline is then unchanged).  Thread-safe;
 * async-signal-safe except on TRAMP_MPROTECT, which rebuilds under a lock.
 */
int tramp_retarget(struct tramp *t, void *target, void *data);

/* tramp_lookup - the live trampoline whose code starts at code, in O(1);
   NULL (errno EINVAL) for any other address.  Thread-safe,
   async-signal-safe. */
struct tramp *tramp_lookup(const void *code);

/* tramp_destroy - free t.  Calling it afterwards is undefined, as for any
   freed function.  Accepts NULL.  Thread-safe. */
void tramp_destroy(struct tramp *t);

/*
 * tramp_target - the target (CHAIN, BIND), handler (HANDLER) or pc
 * (CONTEXT) of a live trampoline, as tramp_create() or the last
 * tramp_retarget() set it.  NULL with EINVAL for anything else.
 * Thread-safe, async-signal-safe.
 */
void *tramp_target(const struct tramp *t);

/*
 * tramp_data - the data of a live trampoline (CHAIN, BIND, HANDLER): the
 * pointer given to tramp_create() or the last tramp_retarget(), or the
 * address of its co-allocated data.  A TRAMP_CONTEXT trampoline has no
 * data: NULL.  NULL with EINVAL for anything but a live trampoline; a
 * valid NULL data leaves errno alone.  Thread-safe, async-signal-safe.
 */
void *tramp_data(const struct tramp *t);

/*
 * tramp_lookup_data - the live trampoline whose co-allocated data starts
 * at data, in O(1); NULL (errno EINVAL) for any other address.  Lets a
 * callback that receives its data find (and destroy) its own trampoline.
 * Thread-safe, async-signal-safe.
 */
struct tramp *tramp_lookup_data(const void *data);

/*
 * Strict-LIFO trampolines, for trampolines that die in the reverse order
 * of their creation on the thread that made them (GCC nested functions,
 * scoped callbacks): creation and destruction cost a few nanoseconds.
 *
 * tramp_lifo_push - a TRAMP_CHAIN, TRAMP_BIND or TRAMP_HANDLER trampoline
 * of the static backend (handler passed as target) on the calling
 * thread's LIFO stack.  Returns its code address, or NULL with errno:
 * EINVAL (other kind, NULL target), ENOMEM, or tramp_create()'s errors.
 * The code is live until the matching tramp_lifo_pop() on this thread or
 * the thread's exit; tramp_lookup() finds it, but it must not be given to
 * tramp_destroy() or tramp_retarget().  Thread-safe (each thread has its
 * own stack).  Not async-signal-safe.
 */
void *tramp_lifo_push(enum tramp_kind kind, void *target, void *data);

/* tramp_lifo_pop - destroy the calling thread's most recent LIFO
   trampoline.  Returns 0, or -1 with EINVAL when its stack is empty.
   Thread-safe.  Not async-signal-safe. */
int tramp_lifo_pop(void);

/* tramp_lifo_depth - live LIFO trampolines of the calling thread.
   Thread-safe, async-signal-safe. */
unsigned tramp_lifo_depth(void);

/* The kind and backend of a live trampoline (-1 with EINVAL for NULL). */
int tramp_kind_of(const struct tramp *t);
int tramp_backend_of(const struct tramp *t);

/*
 * Handler frame accessors.  On x86_64 a frame holds rdi, rsi, rdx, rcx, r8,
 * r9, xmm0-7 (16 bytes each), %al and the address of the stack arguments.
 * Arguments are counted per class, as the ABI assigns registers:
 * tramp_arg(f, 0) is the first integer argument whatever floats precede
 * it.  Past the registers (i >= TRAMP_NARGREGS, or >= TRAMP_NVECREGS for
 * vector arguments) the accessors read stack word i - TRAMP_NARGREGS
 * (resp. i - TRAMP_NVECREGS), which is right when only that class
 * overflows; otherwise index tramp_stack_args() yourself.  Arguments passed
 * in memory (long double, structs over 16 bytes) are always on the
 * stack, at their aligned place among the stack words.
 * tramp_arg() returns the whole 64-bit register: the ABI leaves the bits
 * above a narrower argument (int, short, char, bool, 32-bit pointers)
 * unspecified, so convert to the declared type, e.g. (int)tramp_arg(f, 0).
 * tramp_arg_double() and tramp_arg_float() read the low 8 (resp. 4) bytes
 * of the register.  All are async-signal-safe.
 */
uintptr_t tramp_arg(const struct tramp_frame *f, unsigned i);
double tramp_arg_double(const struct tramp_frame *f, unsigned i);
float tramp_arg_float(const struct tramp_frame *f, unsigned i);
/* Copy the 16 bytes of vector argument register i (xmm i, i < 8) to v:
   __m128, __float128, _Float128 arguments, or two floats of a struct.
   0, or -1 with EINVAL (NULL f or v, i >= TRAMP_NVECREGS). */
int tramp_arg_vector(const struct tramp_frame *f, unsigned i, void *v);
/* The first stack-passed argument word. */
const uintptr_t *tramp_stack_args(const struct tramp_frame *f);
/* %al at the call: an upper bound of vector registers used (varargs). */
unsigned tramp_vector_count(const struct tramp_frame *f);

/*
 * Return values: integer/pointer (rax), second integer word (rdx) for
 * two-register structs, double or float (xmm0), second vector (xmm1),
 * all 16 bytes of xmm0 or xmm1 (__m128, __float128, _Float128, or struct
 * halves), long double (x87 st0) and _Complex long double (st0 real, st1
 * imaginary).  Returning a struct in memory: copy it to
 * tramp_struct_return(f) (x86_64: the pointer in tramp_arg(f, 0)) and
 * return that pointer with tramp_set_return().
 * A handler that sets none returns 0 in rax, rdx, xmm0 and xmm1, and
 * nothing on the x87 stack.  tramp_set_return_vector() returns 0, or -1
 * with EINVAL (NULL f or v, i > 1).
 *
 * Supported signatures, on every backend: any number and mix of integer,
 * pointer, float, double, long double, __float128/_Float128, __m128 and
 * struct arguments (register ones through the accessors, memory ones
 * through tramp_stack_args()), varargs, and every return type above: a
 * superset of what libffi supports on x86_64.  Not supported: __m256 and
 * __m512 arguments or returns passed in %ymm/%zmm registers (the frame
 * keeps the low 16 bytes of each vector register only).  All accessors
 * are async-signal-safe.
 */
/*
 * aarch64 (AAPCS64): integer/pointer in x0 (x1 the second word), double or
 * float in v0 (v1-v3 the further members of a homogeneous float struct),
 * long double and __float128 (IEEE quad) and 16-byte vectors in all of q0
 * (tramp_set_return_vector and tramp_set_return_long_double; the
 * _Complex long double parts in q0 and q1).  A 16-byte struct mixing
 * integers and floating point comes back in x0 and x1
 * (tramp_set_return2 with the double's bits).  A struct returned in memory
 * goes to tramp_struct_return(f) (x8; the arguments are not shifted).
 * The frame keeps all 16 bytes of q0-q7; SVE registers are not kept.
 *
 * riscv64 (LP64D, with the hardware floating-point convention): integer/
 * pointer in a0 (a1 the second word), double or float in fa0 (floats
 * NaN-boxed; fa1 the second member of a {double, double} or {float,
 * float} struct: tramp_set_return_double2, or tramp_set_return_vector with
 * 8 bytes each, i <= 1), a struct of one integer and one floating-point
 * member in a0 and fa0 whatever their order (tramp_set_return plus
 * tramp_set_return_double or _float), long double (IEEE quad) in a0 and
 * a1 (tramp_set_return_long_double).  _Complex long double and structs
 * over 16 bytes are returned in memory: tramp_struct_return(f) is a0,
 * the visible arguments start at tramp_arg(f, 1), and
 * tramp_set_return_long_double2 writes both parts there and returns the
 * pointer.  The frame holds a0-a7 and fa0-fa7 (8 bytes each;
 * tramp_arg_vector copies 8 and zeroes the other 8: the base ABI has no
 * vector registers).  Floating-point arguments that find no FP register
 * (after fa7, and all variadic ones) travel in integer registers:
 * tramp_arg_double(f, i) for 8 <= i < 16 reads a(i - 8), then the stack,
 * which is right when no integer argument took those registers;
 * otherwise read them with tramp_arg().  tramp_vector_count() is 8.
 */
void tramp_set_return(struct tramp_frame *f, uintptr_t v);
void tramp_set_return2(struct tramp_frame *f, uintptr_t lo, uintptr_t hi);
void tramp_set_return_double(struct tramp_frame *f, double v);
void tramp_set_return_double2(struct tramp_frame *f, double a, double b);
void tramp_set_return_float(struct tramp_frame *f, float v);
/* Where a struct returned in memory goes: the hidden first argument on
   x86_64 and riscv64 (then tramp_arg(f, 0); the visible arguments start
   at 1), x8 on aarch64 (arguments are not shifted).  NULL for a NULL f. */
void *tramp_struct_return(const struct tramp_frame *f);
int tramp_set_return_vector(struct tramp_frame *f, unsigned i,
			    const void *v);
void tramp_set_return_long_double(struct tramp_frame *f, long double v);
void tramp_set_return_long_double2(struct tramp_frame *f, long double re,
				   long double im);

/*
 * The frame layout, on x86_64 (LP64), is part of the ABI: it stays as it
 * is for the life of the soname, so the common accessors above are also
 * defined here, inline, and a handler built with optimisation reads and
 * writes its frame without a call into the library (a PLT call each,
 * through the shared library).  They behave exactly as the exported
 * functions, which remain for -O0 builds, function pointers and foreign
 * function interfaces; define TRAMPJIT_NO_INLINE before including this
 * header to call those instead.  Offsets in bytes:
 *   0   gpr[6]     rdi rsi rdx rcx r8 r9 at the call
 *   48  al         rax at the call (%al: vector registers used, varargs)
 *   56  stack      address of the first stack-passed argument
 *   64  xmm[8]     xmm0-xmm7 at the call, 16 bytes each
 *   192 ret[2]     rax, rdx on return
 *   208 vret[2]    xmm0, xmm1 on return, 16 bytes each
 *   240 x87[2]     st0, st1 on return (80 bits in 16 bytes)
 *   272 nx87       x87 values to return: 0, 1 or 2
 *   288 saved[8]   the library's: the caller's xmm8-xmm15, restored
 * 416 bytes in all, 16-byte aligned.  Handlers may read every field but
 * saved[], and write ret, vret, x87 and nx87; the rest is restored or
 * ignored on return.
 */
#if defined(__x86_64__) && defined(__LP64__)
struct tramp_frame {
	uint64_t gpr[6];
	uint64_t al;
	const uintptr_t *stack;
	uint64_t xmm[8][2];
	uint64_t ret[2];
	uint64_t vret[2][2];
	unsigned char x87[2][16];
	uint32_t nx87;
	uint32_t pad[3];
	uint64_t saved[8][2];
};

#if defined(__GNUC__) && !defined(TRAMPJIT_NO_INLINE)
/* GNU inline: used for inlining only; calls that are not inlined go to
   the exported function of the same name. */
#define TRAMP_INLINE_ extern __inline__ __attribute__((__gnu_inline__))

TRAMP_INLINE_ uintptr_t tramp_arg(const struct tramp_frame *f, unsigned i)
{
	if (!f)
		return 0;
	return i < TRAMP_NARGREGS ? f->gpr[i] : f->stack[i - TRAMP_NARGREGS];
}

TRAMP_INLINE_ double tramp_arg_double(const struct tramp_frame *f,
				      unsigned i)
{
	double d;

	if (!f)
		return 0;
	if (i < TRAMP_NVECREGS)
		__builtin_memcpy(&d, &f->xmm[i][0], sizeof(d));
	else
		__builtin_memcpy(&d, &f->stack[i - TRAMP_NVECREGS], sizeof(d));
	return d;
}

TRAMP_INLINE_ float tramp_arg_float(const struct tramp_frame *f, unsigned i)
{
	float v;

	if (!f)
		return 0;
	if (i < TRAMP_NVECREGS)
		__builtin_memcpy(&v, &f->xmm[i][0], sizeof(v));
	else
		__builtin_memcpy(&v, &f->stack[i - TRAMP_NVECREGS], sizeof(v));
	return v;
}

TRAMP_INLINE_ const uintptr_t *tramp_stack_args(const struct tramp_frame *f)
{
	return f ? f->stack : 0;
}

TRAMP_INLINE_ unsigned tramp_vector_count(const struct tramp_frame *f)
{
	return f ? (unsigned)(f->al & 0xff) : 0;
}

TRAMP_INLINE_ void tramp_set_return(struct tramp_frame *f, uintptr_t v)
{
	if (f)
		f->ret[0] = v;
}

TRAMP_INLINE_ void tramp_set_return2(struct tramp_frame *f, uintptr_t lo,
				     uintptr_t hi)
{
	if (f) {
		f->ret[0] = lo;
		f->ret[1] = hi;
	}
}

TRAMP_INLINE_ void tramp_set_return_double(struct tramp_frame *f, double v)
{
	if (f)
		__builtin_memcpy(&f->vret[0][0], &v, sizeof(v));
}

TRAMP_INLINE_ void tramp_set_return_double2(struct tramp_frame *f, double a,
					    double b)
{
	if (f) {
		__builtin_memcpy(&f->vret[0][0], &a, sizeof(a));
		__builtin_memcpy(&f->vret[1][0], &b, sizeof(b));
	}
}

TRAMP_INLINE_ void tramp_set_return_float(struct tramp_frame *f, float v)
{
	if (f) {
		f->vret[0][0] = 0;
		__builtin_memcpy(&f->vret[0][0], &v, sizeof(v));
	}
}
#undef TRAMP_INLINE_
#endif /* __GNUC__ && !TRAMPJIT_NO_INLINE */
#endif /* __x86_64__ && __LP64__ */

/* tramp_jump - do what a TRAMP_CONTEXT call does, from here: push the
   words, set the registers, jump to ctx->pc.  Never returns; an invalid
   ctx (NULL, sets the stack pointer, too many words, no pc) is a bug and
   ends in abort() as no error can be returned. */
TRAMP_NORETURN void tramp_jump(const struct tramp_context *ctx);

/* ------------------------------------------------------------------ */
/* JIT code                                                             */
/* ------------------------------------------------------------------ */

/*
 * Code lives in memfd-backed mappings that are read+execute only.  Space
 * that holds no code is filled with a trapping byte (0xCC, int3, on
 * x86_64).  See jit_create_code(3) and trampjit(7).
 */

/*
 * jit_create_code - copy len bytes of machine code from source into the
 * JIT heap and return its executable address (64-byte aligned).  Small
 * objects share pages; objects above 1 MiB get pages of their own.  By
 * default the bytes travel through pwrite(2) into the heap's memfd, so no
 * writable mapping of the code exists in the process; see
 * jit_set_code_mode().  The code is visible to the calling thread at once;
 * other threads see it once they obtain the address through any
 * synchronisation (a thread that still fetches the old filler takes the
 * breakpoint fixup, see jit_region_append).
 * Returns NULL with errno: EINVAL (NULL source, len 0), ENOMEM (len beyond
 * the 4 GiB heap, address space or memory exhausted), EFBIG (the heap's
 * memfd would reach past RLIMIT_FSIZE; no SIGXFSZ is raised), or the errno
 * of the failed system call.  Thread-safe.  Not async-signal-safe.
 */
void *jit_create_code(const void *source, size_t len);

/*
 * jit_destroy_code - free code returned by jit_create_code().  Its bytes
 * are refilled with the trapping filler and the space is reused only after
 * a batch of freed objects has been released together, after one
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE): no thread can
 * execute stale bytes.  Large objects are unmapped at once.  When that
 * membarrier fails (kernel without SYNC_CORE, seccomp), the batch's space
 * is held back, never reused unserialised, until a later batch's
 * membarrier succeeds; the failure is counted in jit_get_stats(), and the
 * object is destroyed all the same.
 * Returns 0 (also for NULL), or -1 with EINVAL when code is not the start
 * of a live object (foreign, interior, already destroyed); nothing is
 * changed then.  Thread-safe.  Not async-signal-safe.
 */
int jit_destroy_code(void *code);

/*
 * jit_set_code_mode - the write path of later jit_create_code() calls in
 * this process: JIT_APPEND_PWRITE (default: pwrite(2), no writable
 * mapping) or JIT_APPEND_ALIAS (memcpy through a read-write view of a
 * separate heap, excluded from fork children; faster, but the code is
 * writable through that view).  Objects keep the heap they were created
 * in.  JIT_APPEND_KERNEL: every object is a mapping of its own made by the
 * trampjit kernel module, which copies the code in (no writable mapping of
 * it ever exists, not even in the kernel's page tables of the process).
 * Returns the previous mode, or -1 with EINVAL for other modes, or with
 * ENOSYS (or the open(2) errno) for JIT_APPEND_KERNEL when the module's
 * device cannot be opened.  Thread-safe, async-signal-safe.
 */
int jit_set_code_mode(int mode);

/* Flags of jitfd_create(). */
#define JITFD_CLOEXEC	1u	/* close the fd on execve(2) */

/*
 * jitfd_create - a memfd holding exactly len bytes of code from source,
 * sealed against write, grow, shrink and further seals before it is
 * returned: map it with jitfd_map() in this process, or pass it to another
 * one (SCM_RIGHTS); nobody can change it.  Created with MFD_EXEC where the
 * kernel has it; see jitfd_memfd_mode().
 * Returns the fd, or -1 with errno: EINVAL (NULL source, len 0, unknown
 * flags), ENOMEM, EFBIG (len beyond RLIMIT_FSIZE; no SIGXFSZ is raised),
 * EMFILE, or memfd_create(2)'s errno.
 * Thread-safe.  Not async-signal-safe.
 */
int jitfd_create(const void *source, size_t len, unsigned flags);

/*
 * jitfd_map - map a sealed code fd (from jitfd_create(), here or in
 * another process) read+execute at an address of the kernel's choosing.
 * The fd may be closed afterwards.  Returns the code address, or NULL with
 * errno: EBADF, EINVAL (not a memfd sealed against write, grow and
 * shrink, or empty), EPERM/EACCES (the kernel refuses executable mappings
 * of it), ENOMEM.  Thread-safe.  Not async-signal-safe.
 */
void *jitfd_map(int fd);

/*
 * jitfd_unmap - unmap code mapped by jitfd_map().  Returns 0 (also for
 * NULL), or -1 with EINVAL when code is not such a mapping.
 * Thread-safe.  Not async-signal-safe.
 */
int jitfd_unmap(void *code);

/* How jitfd_create() and the heaps made their memfds: "MFD_EXEC", or why
   not ("no exec flag (...)").  Thread-safe. */
const char *jitfd_memfd_mode(void);

/* Append modes of jit_region_create(), also the write paths of
   jit_set_code_mode(). */
enum {
	JIT_APPEND_PWRITE,	/* pwrite(2) into the memfd; nothing writable */
	JIT_APPEND_ALIAS,	/* memcpy through a read-write view at a fixed
				   offset, excluded from fork children */
	JIT_APPEND_SWAP,	/* build the page off-line, mmap(MAP_FIXED) it
				   over the old one */
	JIT_APPEND_KERNEL = 8	/* the trampjit module copies the code into
				   new pages and swaps them in by PTE;
				   ENOSYS without /dev/trampfd */
};

/* Appends start at multiples of this many bytes. */
#define JIT_REGION_ALIGN	16

struct jit_region;	/* opaque handle of an appendable region */

/*
 * jit_region_create - a read+execute region of capacity bytes (rounded up
 * to pages), filled with the trapping filler, that grows by appends in
 * the given mode.  Installs the SIGTRAP fixup handler (and, for
 * JIT_APPEND_SWAP, the SIGSEGV swap-gap retry), chaining to the previous
 * handlers for signals that are not ours.  JIT_APPEND_KERNEL regions
 * install no handler: the trampjit module keeps their pages, swaps in a
 * new page per append and does the breakpoint fixup itself; a fork child
 * gets its own copy, as with the other modes.
 * Returns the region, or NULL with errno: EINVAL (capacity 0, unknown
 * mode), ENOMEM (capacity beyond 1 TiB, or 64 MiB for JIT_APPEND_KERNEL,
 * address space, memory or vm.max_map_count exhausted, too many regions),
 * EFBIG (its memfd would reach past RLIMIT_FSIZE; no SIGXFSZ is raised),
 * ENOSYS (JIT_APPEND_KERNEL without /dev/trampfd), or a system call's
 * errno.
 * Thread-safe.  Not async-signal-safe.
 */
struct jit_region *jit_region_create(size_t capacity, int mode);

/*
 * jit_region_append - copy len bytes of code after the region's previous
 * appends (at the next multiple of JIT_REGION_ALIGN) and return their
 * executable address.  Earlier code keeps running meanwhile: the new
 * bytes are written tail first and first byte last (PWRITE, ALIAS), or
 * each page is replaced whole, last page first (SWAP).  A thread that
 * reaches the new code while its CPU still holds the old filler takes one
 * breakpoint trap, which the fixup handler rewinds; see jit_get_stats().
 * Publish the address to other threads with a release store (or any
 * synchronisation).
 * Returns NULL with errno: EINVAL (NULL or destroyed region, NULL source,
 * len 0), ENOMEM (no room left), or a system call's errno; the region is
 * unchanged then.  Thread-safe (appends to one region are serialised).
 * Not async-signal-safe.
 */
void *jit_region_append(struct jit_region *r, const void *src, size_t len);

/* jit_region_destroy - unmap r and its code.  Accepts NULL; a destroyed
   or foreign handle is ignored.  Thread-safe. */
void jit_region_destroy(struct jit_region *r);

/*
 * Dual-view buffers, for JITs that emit and patch code in place: a
 * read-write view and a read+execute view of the same memory, the RW view
 * at a fixed distance from the RX one (jit_dual_rw(rx) - rx is the same
 * for every buffer: 4 GiB, 2^32 bytes; jit_dual_alloc_near() offers
 * less).  Write or patch through the RW view, then call
 * jit_dual_commit() before running (again).  Buffers are packed into
 * shared pages.  fork() copies none of them: a fork child keeps the code
 * it had, without a writable view (unless the buffer has
 * JIT_DUAL_FORK_PRIVATE), and neither side's later writes reach the
 * other.  The first store after a fork into each 2 MiB chunk of buffers
 * copies that chunk (a write fault, handled by the library's SIGSEGV
 * handler); a system call writing into a view (read(2)) fails with EFAULT
 * until then.
 * Under qemu-user, patched code is retranslated only after the RX view is
 * remapped; native kernels need nothing more than the commit.
 */

/* Flags of jit_dual_commit(). */
#define JIT_DUAL_SYNC_CORE	1u	/* serialise every thread of the
					   process (membarrier SYNC_CORE) */

/*
 * jit_dual_alloc - a buffer of len bytes (64-byte aligned, filled with
 * the trapping filler).  The first allocation installs the process-wide
 * SIGTRAP handler of the breakpoint fixup (see jit_region_append), which
 * chains to any previous handler.  Returns its RX address and stores its
 * RW address in *rw, or returns NULL with errno: EINVAL (NULL rw, len 0),
 * ENOMEM.
 * Thread-safe.  Not async-signal-safe.
 */
void *jit_dual_alloc(size_t len, void **rw);

/* Flags of jit_dual_alloc_flags() and jit_dual_alloc_near(). */
#define JIT_DUAL_FORK_PRIVATE	1u	/* fork children keep a writable
					   view, of a copy of their own */

/*
 * jit_dual_alloc_flags - jit_dual_alloc() with flags: 0, or
 * JIT_DUAL_FORK_PRIVATE, with which a fork child keeps a writable RW view
 * of the buffer that writes a copy of its own, never the parent's memory
 * (its first store copies the buffer's chunk).  Returns as
 * jit_dual_alloc(), also EINVAL for unknown flags.
 * Thread-safe.  Not async-signal-safe.
 */
void *jit_dual_alloc_flags(size_t len, void **rw, unsigned flags);

/*
 * jit_dual_alloc_near - a dual-view buffer of len bytes (page aligned,
 * filled with the trapping filler) whose RW view, and a private zeroed
 * read-write data area of data_len bytes (stored in *data; none for 0),
 * lie within max_dist bytes of every byte of its RX view: 0x7fffffff
 * keeps them in reach of x86_64 32-bit PC-relative relocations, which
 * the buffers of jit_dual_alloc() are not (their RW view is 4 GiB, 2^32
 * bytes, above the RX view).  The buffer has a memfd and mappings of its
 * own (a system call or three per allocation).  A fork child gets a
 * private copy of the code; its RW view is excluded from the child
 * unless flags has JIT_DUAL_FORK_PRIVATE, in which case the child's RW
 * view writes its own copy, never the parent's.  jit_dual_rw(),
 * jit_dual_rx(), jit_dual_commit() and jit_dual_free() take its
 * addresses like any dual-view buffer's; jit_dual_free() frees the data
 * area too.  Returns the RX address and stores the RW address in *rw, or
 * returns NULL with errno: EINVAL (NULL rw, len 0, data_len without
 * data, unknown flags, sizes above 1 TiB), ERANGE (2 * len + data_len,
 * rounded up to pages, exceeds max_dist), ENOMEM (memory, address space
 * or 1024 live near buffers), or a system call's errno.
 * Thread-safe.  Not async-signal-safe.
 */
void *jit_dual_alloc_near(size_t len, void **rw, size_t data_len,
			  void **data, size_t max_dist, unsigned flags);

/* jit_dual_rw, jit_dual_rx - the address in the other view, or NULL with
   EINVAL when addr is not in the RX (resp. RW) view of the dual-view heap.
   Arithmetic only: it does not check that a live buffer is there.
   Thread-safe, async-signal-safe. */
void *jit_dual_rw(const void *rx);
void *jit_dual_rx(const void *rw);

/*
 * jit_dual_commit - make the len bytes at addr (either view), written
 * through the RW view, ready to run: instruction-cache maintenance where
 * the architecture needs it (none on x86_64), and with JIT_DUAL_SYNC_CORE
 * a serialising membarrier for threads that may run code patched under
 * them.  Returns 0, or -1 with errno: EINVAL (range not inside one live
 * buffer's page, unknown flags), or membarrier(2)'s errno.
 * Thread-safe.  Not async-signal-safe.
 */
int jit_dual_commit(const void *addr, size_t len, unsigned flags);

/*
 * jit_dual_free - free the buffer starting at addr, given by either view.
 * Its space is refilled and reused after the same quarantine as
 * jit_destroy_code().  Returns 0 (also for NULL), or -1 with EINVAL when
 * addr is not the start of a live buffer; nothing changes then.
 * Thread-safe.  Not async-signal-safe.
 */
int jit_dual_free(void *addr);

/* Process-wide JIT counters, since the process started. */
struct jit_stats {
	unsigned long trap_fixups;	/* breakpoint traps rewound */
	unsigned long segv_retries;	/* faults in a swap gap retried */
	unsigned long membarriers;	/* SYNC_CORE membarriers issued */
	unsigned long quarantine_flushes; /* freed batches released */
	unsigned long page_swaps;	/* pages replaced by MAP_FIXED */
	unsigned long membarrier_failures; /* freed batches held back: their
					      membarrier failed */
};

/* jit_get_stats - copy the counters to *st.  Returns 0, or -1 with EINVAL
   for NULL.  Thread-safe, async-signal-safe. */
int jit_get_stats(struct jit_stats *st);

/* ------------------------------------------------------------------ */
/* Tooling: names for code, debuggers, profilers, unwinders             */
/* ------------------------------------------------------------------ */

/*
 * Code outside any ELF file (trampoline tables, JIT code) is invisible to
 * unwinders, debuggers and profilers unless described to them.  Trampoline
 * tables always get unwind info (libgcc's __register_frame, and nongnu
 * libunwind's _U_dyn_register when the program has libunwind loaded), so
 * backtrace(), unw_backtrace() and C++ exceptions cross trampolines.  Names
 * ("trampjit trampoline" for tables, yours for your code) go to the
 * publishers enabled by jit_debug_enable() or by the environment variable
 * TRAMPJIT_DEBUG, a comma-separated list of gdb, jitdump, perfmap (or
 * map), perf (= jitdump,perfmap), all.  Publishers are off by default.
 * See jit_debug_enable(3) and jit_name(3).
 */
#define JIT_DEBUG_GDB		0x1u	/* GDB JIT interface (gdb, lldb) */
#define JIT_DEBUG_JITDUMP	0x2u	/* perf jitdump: jit-PID.dump */
#define JIT_DEBUG_PERFMAP	0x4u	/* perf map: /tmp/perf-PID.map */
#define JIT_DEBUG_ALL		0x7u

#define JIT_NAME_MAX		4096	/* bytes of a name, NUL excluded */

/*
 * jit_debug_enable - turn on the publishers in flags and publish to them
 * everything named so far.  jitdump writes $JITDUMPDIR/jit-PID.dump (/tmp
 * without JITDUMPDIR) and maps it read+execute as the marker perf record
 * needs.  Both files are created 0600, exclusively: a link, FIFO or
 * another user's file planted under the name is refused (EEXIST), never
 * followed, written or waited on.  Returns 0, or -1 with errno: EINVAL
 * (unknown flag), EEXIST, or why a file could not be created or mapped
 * (EACCES, ENOENT, EROFS, EPERM for a noexec directory...); the publishers
 * that could start stay on.  A fork child
 * reopens its own files at its next tooling call.  Thread-safe.
 */
int jit_debug_enable(unsigned flags);

/* jit_debug_disable - turn off publishers: gdb forgets our objects, the
   perf files are closed (and kept).  0, or -1 with EINVAL.  Thread-safe. */
int jit_debug_disable(unsigned flags);

/* jit_debug_flags - the publishers in force (JIT_DEBUG_* bits). */
unsigned jit_debug_flags(void);

/*
 * jit_name - give the code [code, code+len) a name, published at once to
 * the enabled publishers (and to those enabled later).  Naming the same
 * start again replaces the name.  The range must be executable code of this
 * process (a mapping with execute permission, or a trampoline table).  No
 * unwind info is registered: see jit_name_unwind().  jit_destroy_code(),
 * tramp_destroy() and jitfd_unmap() drop the names of what they free; call
 * jit_unname() before freeing other named code.  Returns 0, or -1 with errno: EINVAL (NULL,
 * empty or control-character name; len 0; a range that is not code of this
 * process), EILSEQ (name not UTF-8), ENAMETOOLONG (over JIT_NAME_MAX),
 * ENOMEM, or a publisher's write error (the name is kept).  Thread-safe.
 */
int jit_name(const void *code, size_t len, const char *name);

/*
 * jit_name_unwind - jit_name() plus unwind info, registered with libgcc and
 * libunwind and put in the GDB object.  cfi is a DWARF call frame program
 * (DW_CFA_* bytes, as in an FDE) that starts from the state at a function's
 * entry (x86_64: CFA = %rsp + 8, return address at CFA - 8; data alignment
 * -8, code alignment 1) and covers the range; cfi_len 0 means that state
 * holds throughout (code that never moves the stack pointer).  Only
 * register-rule opcodes are accepted: no DWARF expressions, no
 * DW_CFA_set_loc, advances within len.  Errors as jit_name(), plus EINVAL
 * for a malformed program.  Thread-safe.
 */
int jit_name_unwind(const void *code, size_t len, const char *name,
		    const void *cfi, size_t cfi_len);

/* jit_unname - forget the name (and unwind info) of the range starting at
   code.  0, or -1 with ENOENT when nothing named starts there.  The perf
   files are append-only and keep it.  Thread-safe. */
int jit_unname(const void *code);

/* tramp_name - name the code of trampoline t (one stub) instead of
   "trampjit trampoline".  Errors as jit_name().  Thread-safe. */
int tramp_name(struct tramp *t, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* TRAMPJIT_H */
