/* SPDX-License-Identifier: MIT */
/*
 * Landing pads under a live BTI guard (aarch64).  The Makefile links this
 * program from objects that all carry a BTI note (its own start and
 * runtime instead of the toolchain's unmarked ones), so on a CPU with BTI
 * the dynamic linker maps its text with PROT_BTI and the library, seeing
 * the marked program, maps all the code it makes with PROT_BTI too.
 * Proved by indirect calls: an instruction that is no landing pad raises
 * SIGILL there (in the program's text, and in every kind of code the
 * library maps), while every trampoline kind on every backend, tramp_jump
 * and code from every JIT path run through their "bti c".
 */
#define _GNU_SOURCE
#include <link.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <ucontext.h>
#include "harness.h"
#include "test_arch.h"

#if defined(__aarch64__) && defined(__ARM_FEATURE_BTI_DEFAULT) && \
	__ARM_FEATURE_BTI_DEFAULT

#ifndef HWCAP2_BTI
#define HWCAP2_BTI	(1UL << 17)
#endif
#define PSTATE_BTYPE	(3ULL << 10)
#define ILL_RET		0x111L	/* what a call that raised SIGILL returns */

/* In src/arch/aarch64/test/bti/start.S, when the Makefile linked it. */
extern char test_bti_entry[] __attribute__((weak, visibility("hidden")));

/* bti_pad: "bti c; mov x0, #42; ret"; bti_body: its second instruction,
   no landing pad; bti_j_pad: "bti j; mov x0, #43; ret", a landing pad for
   BR but not for BLR. */
extern char bti_pad[], bti_body[], bti_j_pad[]
	__attribute__((visibility("hidden")));
__asm__(".text\n"
	"	.globl bti_pad, bti_body, bti_j_pad\n"
	"	.hidden bti_pad, bti_body, bti_j_pad\n"
	"	.type bti_pad, %function\n"
	"bti_pad:\n"
	"	hint 34\n"
	"bti_body:\n"
	"	mov x0, #42\n"
	"	ret\n"
	"	.size bti_pad, . - bti_pad\n"
	"	.type bti_j_pad, %function\n"
	"bti_j_pad:\n"
	"	hint 36\n"
	"	mov x0, #43\n"
	"	ret\n"
	"	.size bti_j_pad, . - bti_j_pad\n");

static volatile uintptr_t ill_pc;	/* where the last SIGILL was raised */

/* A call that raises SIGILL returns ILL_RET to its caller (x30) instead,
   with BTYPE cleared so that the return lands anywhere. */
static void on_ill(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	if (ill_pc) {	/* a second fault before the check: die of it */
		signal(SIGILL, SIG_DFL);
		return;
	}
	ill_pc = uc->uc_mcontext.pc;
	uc->uc_mcontext.regs[0] = ILL_RET;
	uc->uc_mcontext.pc = uc->uc_mcontext.regs[30];
	uc->uc_mcontext.pstate &= ~PSTATE_BTYPE;
}

__attribute__((noinline)) static long call(const void *code, long a)
{
	long (*volatile fn)(long) = (long (*)(long))code;

	ill_pc = 0;
	return fn(a);
}

/* Calling code (with argument a) returns want, without a fault. */
static void runs(const char *what, const void *code, long a, long want)
{
	long r = call(code, a);

	if (r != want || ill_pc)
		fprintf(stderr, "%s at %p: returned %#lx (want %#lx), "
			"SIGILL at %#lx\n", what, code, r, want,
			(unsigned long)ill_pc);
	CHECK(r == want && !ill_pc);
}

/* Calling code raises SIGILL at the instruction at. */
static void faults(const char *what, const void *code, const void *at)
{
	long r = call(code, 0);

	if (r != ILL_RET || ill_pc != (uintptr_t)at)
		fprintf(stderr, "%s: call of %p returned %#lx, SIGILL at "
			"%#lx, want SIGILL at %p\n", what, code, r,
			(unsigned long)ill_pc, at);
	CHECK(r == ILL_RET && ill_pc == (uintptr_t)at);
}

/* ---- the program and its mappings ---------------------------------- */

/* Whether the main program's GNU property note asks for BTI. */
static int phdr_bti(struct dl_phdr_info *info, size_t size, void *marked)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const uint32_t *p, *end;

		if (ph->p_type != PT_GNU_PROPERTY)
			continue;
		p = (const uint32_t *)(info->dlpi_addr + ph->p_vaddr);
		end = (const uint32_t *)((const char *)p + ph->p_memsz);
		/* {namesz, descsz, type, "GNU"}, then {type, size, data
		   padded to 8 bytes} records */
		for (p += 4; p + 3 <= end; p += 2 + (p[1] + 7) / 8 * 2)
			if (p[0] == GNU_PROPERTY_AARCH64_FEATURE_1_AND &&
			    (p[2] & GNU_PROPERTY_AARCH64_FEATURE_1_BTI))
				*(int *)marked = 1;
	}
	return 1;	/* the main program comes first: stop there */
}

/*
 * Whether the mapping holding addr has the kernel's "bt" (PROT_BTI) flag
 * in /proc/self/smaps: 1 or 0, -1 when smaps says nothing of it (qemu-user
 * shows the host's flags, or none).
 */
static int smaps_bt(const void *addr)
{
	char line[512];
	unsigned long lo, hi, a = (unsigned long)addr;
	int in = 0, r = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			r = strstr(line, " bt") != NULL;
			break;
		}
	}
	fclose(f);
	return r;
}

static int kernel_shows_bt;	/* smaps flags the program's text "bt" */

/* code lies in a mapping the kernel guards, where it says so. */
static void guarded(const char *what, const void *code)
{
	if (kernel_shows_bt && smaps_bt(code) != 1) {
		fprintf(stderr, "%s at %p: no \"bt\" in its smaps VmFlags\n",
			what, code);
		exit(1);
	}
}

/* ---- JIT code --------------------------------------------------------- */

/*
 * Code from one JIT path, "bti c; return v" at code: it runs from its
 * entry and raises SIGILL one instruction in (same bytes, no landing pad
 * there), so its page is guarded.
 */
static void jit_checked(const char *what, const unsigned char *code, long v)
{
	CHECK(code != NULL);
	runs(what, code, 0, v);
	faults(what, code + 4, code + 4);
	guarded(what, code);
}

static void jit_paths(void)
{
	static unsigned char big[(1 << 20) + 4096];
	unsigned char ret[CODE_RET_LEN], nopad[CODE_RET_LEN];
	struct jit_region *r;
	void *code, *rw, *data;
	int fd;

	code_ret(ret, 0x5151);
	code = jit_create_code(ret, sizeof(ret));
	jit_checked("jit_create_code (pwrite)", code, 0x5151);
	CHECK(jit_destroy_code(code) == 0);

	/* code without a landing pad at its entry */
	code_ret(nopad, 0x5252);
	put32(nopad, I_NOP);
	code = jit_create_code(nopad, sizeof(nopad));
	CHECK(code);
	faults("jit_create_code, nop at the entry", code, code);
	CHECK(jit_destroy_code(code) == 0);

	code_func(big, sizeof(big), 0x5353);
	code = jit_create_code(big, sizeof(big));
	jit_checked("jit_create_code (1 MiB, pages of its own)", code, 0x5353);
	CHECK(jit_destroy_code(code) == 0);

	CHECK(jit_set_code_mode(JIT_APPEND_ALIAS) == JIT_APPEND_PWRITE);
	code_ret(ret, 0x5454);
	code = jit_create_code(ret, sizeof(ret));
	jit_checked("jit_create_code (alias)", code, 0x5454);
	CHECK(jit_destroy_code(code) == 0);
	CHECK(jit_set_code_mode(JIT_APPEND_PWRITE) == JIT_APPEND_ALIAS);

	code_ret(ret, 0x5555);
	fd = jitfd_create(ret, sizeof(ret), 0);
	CHECK(fd >= 0);
	code = jitfd_map(fd);
	close(fd);
	jit_checked("jitfd_map", code, 0x5555);
	CHECK(jitfd_unmap(code) == 0);

	for (int mode = JIT_APPEND_PWRITE; mode <= JIT_APPEND_SWAP; mode++) {
		static const char *const names[] = {
			"region (pwrite)", "region (alias)", "region (swap)",
		};

		r = jit_region_create(1 << 16, mode);
		CHECK(r);
		for (int i = 0; i < 2; i++) {	/* a fresh and a used page */
			code_ret(ret, 0x5600 + mode * 16 + i);
			code = jit_region_append(r, ret, sizeof(ret));
			jit_checked(names[mode], code, 0x5600 + mode * 16 + i);
		}
		jit_region_destroy(r);
	}

	for (unsigned flags = 0; flags <= JIT_DUAL_FORK_PRIVATE; flags++) {
		code = jit_dual_alloc_flags(64, &rw, flags);
		CHECK(code);
		code_ret(rw, 0x5700 + flags);
		CHECK(jit_dual_commit(code, CODE_RET_LEN, 0) == 0);
		jit_checked(flags ? "dual view (fork-private)" : "dual view",
			    code, 0x5700 + flags);
		CHECK(jit_dual_free(code) == 0);
	}
	code = jit_dual_alloc_near(4096, &rw, 4096, &data, 0x7fffffff, 0);
	CHECK(code);
	code_ret(rw, 0x5800);
	CHECK(jit_dual_commit(code, CODE_RET_LEN, 0) == 0);
	jit_checked("near dual view", code, 0x5800);
	CHECK(jit_dual_free(code) == 0);
	fprintf(stderr, "JIT: jit_create_code (pwrite, alias, large), jitfd, "
		"regions (pwrite, alias, swap), dual views (plain, "
		"fork-private, near): guarded, run from bti c\n");
}

/* ---- trampolines -------------------------------------------------------- */

__attribute__((noinline)) static long chain_target(long a)
{
	uintptr_t chain;

	READ_CHAIN_REG(chain);
	return (long)chain + a;
}

__attribute__((noinline)) static long bind_target(void *data, long a)
{
	return (long)data * 2 + a;
}

static void handler(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, (uintptr_t)data * 3 + tramp_arg(f, 0));
}

__attribute__((noinline)) static long context_target(long a, long b)
{
	return a * 5 + b;
}

static void kinds(enum tramp_backend b)
{
	struct tramp_context ctx = {
		.mask = 1ull << TRAMP_REG_ARG(1),
		.regs[TRAMP_REG_ARG(1)] = 0x40,
		.pc = (void *)context_target,
	}, bad = { .pc = bti_body };
	struct tramp_spec spec = {
		.kind = TRAMP_CONTEXT, .backend = b, .context = &ctx,
	};
	const char *name = backend_names[b];
	struct tramp *t;
	char *code;

	t = make(TRAMP_CHAIN, b, (void *)chain_target, (void *)0x1000);
	code = tramp_code(t);
	runs(name, code, 7, 0x1007);
	if (b != TRAMP_FAULT) {	/* a fault trampoline maps no code */
		faults(name, code + 4, code + 4);
		guarded(name, code);
	}
	CHECK(tramp_retarget(t, bti_body, NULL) == 0);
	faults("CHAIN to a target without a landing pad", code, bti_body);
	CHECK(tramp_retarget(t, bti_pad, NULL) == 0);
	runs("CHAIN to bti c", code, 0, 42);
	/* Every backend enters the target as BR x17 does (BTYPE 01), which
	   "bti j" accepts: the signal backends too, whatever branch or
	   instruction raised their signal. */
	CHECK(tramp_retarget(t, bti_j_pad, NULL) == 0);
	runs("CHAIN to bti j", code, 0, 43);
	tramp_destroy(t);

	t = make(TRAMP_BIND, b, (void *)bind_target, (void *)0x2000);
	runs(name, tramp_code(t), 9, 0x4009);
	tramp_destroy(t);

	t = make(TRAMP_HANDLER, b, (void *)handler, (void *)0x3000);
	runs(name, tramp_code(t), 11, 0x900b);
	tramp_destroy(t);

	t = tramp_create(&spec);
	CHECK(t);
	runs(name, tramp_code(t), 3, 3 * 5 + 0x40);
	tramp_destroy(t);
	spec.context = &bad;
	t = tramp_create(&spec);
	CHECK(t);
	faults("CONTEXT to a pc without a landing pad", tramp_code(t),
	       bti_body);
	tramp_destroy(t);
	fprintf(stderr, "backend %s: CHAIN, BIND, HANDLER, CONTEXT run "
		"through bti c; no landing pad, SIGILL\n", name);
}

static sigjmp_buf back;
static volatile long jumped;	/* what the jump's pc got */

__attribute__((noinline)) static void jump_target(long a)
{
	jumped = a;
	siglongjmp(back, 1);
}

static void jumps(void)
{
	struct tramp_context c = {
		.mask = 1ull << TRAMP_REG_ARG(0),
		.regs[TRAMP_REG_ARG(0)] = 0x6060,
		.pc = (void *)jump_target,
	};

	jumped = 0;
	if (!sigsetjmp(back, 1))
		tramp_jump(&c);
	CHECK(jumped == 0x6060);
	/* No landing pad at pc: SIGILL there, "returning" to x30. */
	c.pc = bti_body;
	c.mask = 1ull << TRAMP_REG_LR;
	c.regs[TRAMP_REG_LR] = (uintptr_t)jump_target;
	jumped = 0;
	ill_pc = 0;
	if (!sigsetjmp(back, 1))
		tramp_jump(&c);
	CHECK(ill_pc == (uintptr_t)bti_body && jumped == ILL_RET);
	fprintf(stderr, "tramp_jump: runs through bti c; no landing pad, "
		"SIGILL\n");
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_ill,
				.sa_flags = SA_SIGINFO };
	int marked = 0;

	if (!test_bti_entry)
		SKIP("linked with the toolchain's start files, which carry "
		     "no BTI note (as sanitizer builds link it)");
	dl_iterate_phdr(phdr_bti, &marked);
	if (!marked) {
		fprintf(stderr, "the program is not BTI-marked although "
			"built with landing pads: an object without a BTI "
			"note was linked in (readelf -n on the objects of "
			"its link)\n");
		return 1;
	}
	if (!(getauxval(AT_HWCAP2) & HWCAP2_BTI))
		SKIP("the CPU has no BTI (HWCAP2_BTI): nothing is guarded");
	CHECK(sigaction(SIGILL, &sa, NULL) == 0);

	/* The control: the loader guards the program's own text. */
	runs("the program's bti c", bti_pad, 0, 42);
	faults("the program's text, no landing pad", bti_body, bti_body);
	kernel_shows_bt = smaps_bt(bti_pad) == 1;
	fprintf(stderr, "program text guarded (indirect call past bti c: "
		"SIGILL); smaps %s\n", kernel_shows_bt ?
		"flags its code \"bt\", checked for every mapping" :
		"shows no \"bt\" flag (emulator): SIGILL probes only");

	jit_paths();
	for_each_backend(kinds);
	jumps();
	return 0;
}

#else

int main(void)
{
#ifdef __aarch64__
	SKIP("built without -mbranch-protection=standard (or bti): the "
	     "program is not BTI-marked, nothing is guarded");
#else
	SKIP("BTI landing pads and PROT_BTI are aarch64's (this is %s)",
	     TEST_ARCH_NAME);
#endif
}

#endif
