/* SPDX-License-Identifier: MIT */
/* doc/integrations.md, TinyCC -run style: a program's text is relocated
   against its run (RX) address while written through the RW view, and
   reaches its .data and .bss, laid out in the near buffer's data area,
   with the architecture's PC-relative relocations (x86_64: R_X86_64_PC32;
   aarch64: ADRP with R_AARCH64_ADR_PREL_PG_HI21 paired with a load or an
   add taking the low 12 bits, R_AARCH64_LDST32_ABS_LO12_NC and
   R_AARCH64_ADD_ABS_LO12_NC, and through a GOT entry in the data area,
   R_AARCH64_ADR_GOT_PAGE and R_AARCH64_LD64_GOT_LO12_NC; riscv64: AUIPC
   with R_RISCV_PCREL_HI20 paired with loads and stores taking the low 12
   bits, R_RISCV_PCREL_LO12_I and _S, whose symbol is the AUIPC); the code
   reads and writes its globals at run time. */
#if !defined(__x86_64__) && !defined(__aarch64__) && \
	!(defined(__riscv) && __riscv_xlen == 64)
#include "harness.h"

int main(void)
{
	SKIP("the recipe has code for x86_64, aarch64 and riscv64 only");
}
#else
#include <elf.h>
#include <stdint.h>
#include "harness.h"

/* The "object": text, relocations against data offsets.  The program is
   int f(void) { calls++; return a + b; } with a in .data, b and calls in
   .bss. */
enum { DATA_A = 0, BSS_B = 4096, BSS_CALLS = 4100, DATA_SIZE = 8192 };

struct reloc {
	size_t at;		/* offset of the field or instruction in text */
	unsigned type;		/* R_<arch>_* */
	size_t sym;		/* offset of the symbol in the data area
				   (riscv64 PCREL_LO12: of its AUIPC in text) */
	long addend;
};

#if defined(__x86_64__)
static const unsigned char text[] = {
	0xff, 0x05, 0, 0, 0, 0,		/* incl calls(%rip) */
	0x8b, 0x05, 0, 0, 0, 0,		/* mov a(%rip), %eax */
	0x03, 0x05, 0, 0, 0, 0,		/* add b(%rip), %eax */
	0xc3,				/* ret */
};

/* -4: each field ends its instruction, and %rip points past it. */
static const struct reloc relocs[] = {
	{ 2, R_X86_64_PC32, BSS_CALLS, -4 },
	{ 8, R_X86_64_PC32, DATA_A, -4 },
	{ 14, R_X86_64_PC32, BSS_B, -4 },
};

/* Write relocation r at rw + r->at: S + A - P, a signed 32-bit field. */
static void apply(unsigned char *rw, const unsigned char *rx, char *data,
		  const struct reloc *r)
{
	intptr_t v = (intptr_t)(data + r->sym) + r->addend -
		     (intptr_t)(rx + r->at);

	CHECK(v == (int32_t)v);		/* within +-2 GiB */
	memcpy(rw + r->at, &(int32_t){ (int32_t)v }, 4);
}
#elif defined(__aarch64__)
/* Called through a function pointer: "bti c" first, for PROT_BTI pages.
   calls is reached through the GOT, as TinyCC's code generator reaches
   every global; a and b directly, as compilers reach non-preemptible
   ones (objects that TinyCC links). */
static const uint32_t text[] = {
	0xd503245f,		/*  0: bti c */
	0x90000010,		/*  4: adrp x16, :got:calls */
	0xf9400210,		/*  8: ldr x16, [x16, :got_lo12:calls] */
	0xb9400211,		/* 12: ldr w17, [x16] */
	0x11000631,		/* 16: add w17, w17, #1 */
	0xb9000211,		/* 20: str w17, [x16] */
	0x90000010,		/* 24: adrp x16, a */
	0xb9400200,		/* 28: ldr w0, [x16, :lo12:a] */
	0x90000011,		/* 32: adrp x17, b */
	0x91000231,		/* 36: add x17, x17, :lo12:b */
	0xb9400221,		/* 40: ldr w1, [x17] */
	0x0b010000,		/* 44: add w0, w0, w1 */
	0xd65f03c0,		/* 48: ret */
};

static const struct reloc relocs[] = {
	{ 4, R_AARCH64_ADR_GOT_PAGE, BSS_CALLS, 0 },
	{ 8, R_AARCH64_LD64_GOT_LO12_NC, BSS_CALLS, 0 },
	{ 24, R_AARCH64_ADR_PREL_PG_HI21, DATA_A, 0 },
	{ 28, R_AARCH64_LDST32_ABS_LO12_NC, DATA_A, 0 },
	{ 32, R_AARCH64_ADR_PREL_PG_HI21, BSS_B, 0 },
	{ 36, R_AARCH64_ADD_ABS_LO12_NC, BSS_B, 0 },
};

/* The GOT, after .bss: one entry a symbol, filled by the relocation. */
enum { GOT = 4104 };
static const size_t got_syms[] = { BSS_CALLS };

static uint64_t got_entry(char *data, const struct reloc *r)
{
	for (size_t i = 0; i < sizeof(got_syms) / sizeof(got_syms[0]); i++) {
		if (got_syms[i] != r->sym)
			continue;
		memcpy(data + GOT + 8 * i,
		       &(uint64_t){ (uintptr_t)(data + r->sym) + r->addend },
		       8);
		return (uintptr_t)(data + GOT + 8 * i);
	}
	CHECK(!"symbol without a GOT entry");
	return 0;
}

/* Patch the instruction at rw + r->at: ADRP takes Page(X) - Page(P)
   (+-4 GiB) in immhi:immlo, X being S + A or its GOT entry; ADD the low
   12 bits of S + A, LDR/STR those scaled by the access size (4, or 8 for
   the GOT entry). */
static void apply(unsigned char *rw, const unsigned char *rx, char *data,
		  const struct reloc *r)
{
	uint64_t x = (uint64_t)(uintptr_t)(data + r->sym) + (uint64_t)r->addend;
	uint32_t insn;
	int64_t pages;

	memcpy(&insn, rw + r->at, 4);
	switch (r->type) {
	case R_AARCH64_ADR_GOT_PAGE:
		x = got_entry(data, r);
		/* fall through */
	case R_AARCH64_ADR_PREL_PG_HI21:
		pages = (int64_t)(x >> 12) -
			(int64_t)((uintptr_t)(rx + r->at) >> 12);
		CHECK(pages >= -(1 << 20) && pages < 1 << 20);
		insn |= ((uint32_t)pages & 3) << 29 |
			((uint32_t)pages >> 2 & 0x7ffff) << 5;
		break;
	case R_AARCH64_ADD_ABS_LO12_NC:
		insn |= (uint32_t)(x & 0xfff) << 10;
		break;
	case R_AARCH64_LDST32_ABS_LO12_NC:
		CHECK(x % 4 == 0);
		insn |= (uint32_t)(x & 0xfff) >> 2 << 10;
		break;
	case R_AARCH64_LD64_GOT_LO12_NC:
		x = got_entry(data, r);
		CHECK(x % 8 == 0);
		insn |= (uint32_t)(x & 0xfff) >> 3 << 10;
		break;
	default:
		CHECK(!"relocation type");
	}
	memcpy(rw + r->at, &insn, 4);
}
#else
static const uint32_t text[] = {
	0x00000297,		/*  0: auipc t0, %pcrel_hi(calls) */
	0x0002a303,		/*  4: lw t1, %pcrel_lo(0b)(t0) */
	0x0013031b,		/*  8: addiw t1, t1, 1 */
	0x0062a023,		/* 12: sw t1, %pcrel_lo(0b)(t0) */
	0x00000297,		/* 16: auipc t0, %pcrel_hi(a) */
	0x0002a503,		/* 20: lw a0, %pcrel_lo(16b)(t0) */
	0x00000317,		/* 24: auipc t1, %pcrel_hi(b) */
	0x00032583,		/* 28: lw a1, %pcrel_lo(24b)(t1) */
	0x00b5053b,		/* 32: addw a0, a0, a1 */
	0x00008067,		/* 36: ret */
};

/* The symbol of a PCREL_LO12 relocation is its AUIPC (a text offset
   here); its value is the low part of that AUIPC's S + A - P. */
static const struct reloc relocs[] = {
	{ 0, R_RISCV_PCREL_HI20, BSS_CALLS, 0 },
	{ 4, R_RISCV_PCREL_LO12_I, 0, 0 },
	{ 12, R_RISCV_PCREL_LO12_S, 0, 0 },
	{ 16, R_RISCV_PCREL_HI20, DATA_A, 0 },
	{ 20, R_RISCV_PCREL_LO12_I, 16, 0 },
	{ 24, R_RISCV_PCREL_HI20, BSS_B, 0 },
	{ 28, R_RISCV_PCREL_LO12_I, 24, 0 },
};

/* S + A - P of the PCREL_HI20 relocation at text offset at. */
static int64_t pcrel(const unsigned char *rx, const char *data, size_t at)
{
	for (size_t i = 0; i < sizeof(relocs) / sizeof(relocs[0]); i++)
		if (relocs[i].at == at && relocs[i].type == R_RISCV_PCREL_HI20)
			return (int64_t)(intptr_t)(data + relocs[i].sym) +
			       relocs[i].addend - (int64_t)(intptr_t)(rx + at);
	CHECK(!"PCREL_LO12 without its PCREL_HI20");
	return 0;
}

/* Patch the instruction at rw + r->at: AUIPC takes the rounded upper 20
   bits of S + A - P (+-2 GiB), the load or store its low 12 bits (which
   the hardware sign-extends, hence the rounding). */
static void apply(unsigned char *rw, const unsigned char *rx, char *data,
		  const struct reloc *r)
{
	uint32_t insn;
	int64_t v;

	memcpy(&insn, rw + r->at, 4);
	switch (r->type) {
	case R_RISCV_PCREL_HI20:
		v = pcrel(rx, data, r->at);
		CHECK(v >= INT32_MIN - 0x800LL && v < INT32_MAX - 0x7ffLL);
		insn |= ((uint32_t)v + 0x800) & 0xfffff000u;
		break;
	case R_RISCV_PCREL_LO12_I:
		v = pcrel(rx, data, r->sym);
		insn |= ((uint32_t)v & 0xfff) << 20;
		break;
	case R_RISCV_PCREL_LO12_S:
		v = pcrel(rx, data, r->sym);
		insn |= ((uint32_t)v >> 5 & 0x7f) << 25 |
			((uint32_t)v & 0x1f) << 7;
		break;
	default:
		CHECK(!"relocation type");
	}
	memcpy(rw + r->at, &insn, 4);
}
#endif

/* The recipe: relocate against rx, write through rw. */
static void relocate(unsigned char *rw, const unsigned char *rx, char *data)
{
	memcpy(rw, text, sizeof(text));
	for (unsigned i = 0; i < sizeof(relocs) / sizeof(relocs[0]); i++)
		apply(rw, rx, data, &relocs[i]);
}

int main(void)
{
	void *rw, *data;
	unsigned char *rx = jit_dual_alloc_near(sizeof(text), &rw, DATA_SIZE,
						&data, 0x7fffffff, 0);
	int (*fn)(void) = (int (*)(void))rx;

	CHECK(rx);
	*(int *)((char *)data + DATA_A) = 40;	/* .data initialiser */
	relocate(rw, rx, data);
	CHECK(jit_dual_commit(rx, sizeof(text), 0) == 0);
	*(int *)((char *)data + BSS_B) = 2;
	CHECK(fn() == 42);
	CHECK(fn() == 42);
	CHECK(*(int *)((char *)data + BSS_CALLS) == 2);
	CHECK(jit_dual_free(rx) == 0);
	return 0;
}
#endif
