/* SPDX-License-Identifier: MIT */
/* doc/integrations.md, TinyCC -run style: a program's text is relocated
   against its run (RX) address while written through the RW view, and
   reaches its .data and .bss, laid out in the near buffer's data area,
   with 32-bit PC-relative relocations (R_X86_64_PC32); the code reads and
   writes its globals at run time. */
#if !defined(__x86_64__)
#include "harness.h"

int main(void)
{
	SKIP("x86_64 machine code (the recipe emits it); not written for this architecture yet");
}
#else
#include <stdint.h>
#include "harness.h"

/* The "object": text, relocations against data offsets. */
static const unsigned char text[] = {
	0xff, 0x05, 0, 0, 0, 0,		/* incl calls(%rip) */
	0x8b, 0x05, 0, 0, 0, 0,		/* mov a(%rip), %eax */
	0x03, 0x05, 0, 0, 0, 0,		/* add b(%rip), %eax */
	0xc3,				/* ret */
};

struct reloc {
	size_t at;		/* offset of the 32-bit field in text */
	size_t sym;		/* offset of the symbol in the data area */
	long addend;		/* -4 for a field that ends the instruction */
};

enum { DATA_A = 0, BSS_B = 4096, BSS_CALLS = 4100, DATA_SIZE = 8192 };

static const struct reloc relocs[] = {
	{ 2, BSS_CALLS, -4 }, { 8, DATA_A, -4 }, { 14, BSS_B, -4 },
};

/* The recipe: relocate against rx, write through rw. */
static void relocate(unsigned char *rw, const unsigned char *rx,
		     const char *data)
{
	memcpy(rw, text, sizeof(text));
	for (unsigned i = 0; i < sizeof(relocs) / sizeof(relocs[0]); i++) {
		const struct reloc *r = &relocs[i];
		intptr_t v = (intptr_t)(data + r->sym) -
			     (intptr_t)(rx + r->at) + r->addend;

		CHECK(v == (int32_t)v);		/* within +-2 GiB */
		memcpy(rw + r->at, &(int32_t){ (int32_t)v }, 4);
	}
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
