/* SPDX-License-Identifier: MIT */
/* A stand-in libffi.so.8 for tests/ffi-layout.c: a closure preparation
   that writes the trampoline layout libffi writes on this architecture
   (mode 0), naming an entry of this library that records the register in
   which libffi's entries take the closure; or that layout with another
   register in it (mode 1), naming an entry outside this library (mode 2),
   or with its last code byte changed (mode 3).  The layouts are written
   here from libffi's sources, not from libtrampjit-ffi's. */
#include <ffi.h>
#include <stdint.h>
#include <string.h>

int fake_mode;			/* set by the test */
/* The closure register at the last call of fake_entry. */
__attribute__((visibility("hidden"))) void *fake_seen;
void fake_entry(void);

#if defined(__x86_64__)
/* endbr64; lea -0xb(%rip),%r10; jmp *0x7(%rip); nopl 0(%rax) */
static const unsigned char known[24] = {
	0xf3, 0x0f, 0x1e, 0xfa, 0x4c, 0x8d, 0x15, 0xf5, 0xff, 0xff, 0xff,
	0xff, 0x25, 0x07, 0x00, 0x00, 0x00, 0x0f, 0x1f, 0x80, 0x00, 0x00,
	0x00, 0x00,
};
#define ENTRY_AT	24
#define REG_BYTE	5	/* lea's ModRM: %r10 -> %r11 */
#define REG_BIT		0x08
__asm__(".pushsection .text\n"
	"	.p2align 4\n"
	"	.type fake_entry, @function\n"
	"fake_entry:\n"
	"	endbr64\n"
	"	movq %r10, fake_seen(%rip)\n"
	"	ret\n"
	"	.size fake_entry, . - fake_entry\n"
	".popsection\n");
#elif defined(__aarch64__)
/* ldr x16, tramp+16; adr x17, tramp+0; br x16 (libffi's aarch64/ffi.c) */
static const uint32_t known[4] = {
	0x58000090, 0x10fffff1, 0xd61f0200, 0,
};
#define ENTRY_AT	16
#define REG_BYTE	4	/* adr's Rd: x17 -> x16 */
#define REG_BIT		0x01
__asm__(".pushsection .text\n"
	"	.p2align 4\n"
	"	.type fake_entry, %function\n"
	"fake_entry:\n"
	"	hint 34\n"			/* bti c */
	"	adrp x16, fake_seen\n"
	"	str x17, [x16, #:lo12:fake_seen]\n"
	"	ret\n"
	"	.size fake_entry, . - fake_entry\n"
	".popsection\n");
#elif defined(__riscv) && __riscv_xlen == 64
/* auipc t1, 0; ld t2, 16(t1); jr t2; nop (libffi's riscv/ffi.c) */
static const uint32_t known[4] = {
	0x00000317, 0x01033383, 0x00038067, 0x00000013,
};
#define ENTRY_AT	16
#define REG_BYTE	5	/* ld's base register: t1 -> t2 */
#define REG_BIT		0x80
__asm__(".pushsection .text\n"
	"	.p2align 2\n"
	"	.type fake_entry, %function\n"
	"fake_entry:\n"
	"1:	auipc t0, %pcrel_hi(fake_seen)\n"
	"	sd t1, %pcrel_lo(1b)(t0)\n"
	"	ret\n"
	"	.size fake_entry, . - fake_entry\n"
	".popsection\n");
#else
#error "tests/fake-libffi: no libffi closure layout for this architecture"
#endif

_Static_assert(ENTRY_AT + sizeof(void *) <= FFI_TRAMPOLINE_SIZE,
	       "trampoline size");

void *fake_closure(void)
{
	return fake_seen;
}

ffi_status ffi_prep_closure_loc(ffi_closure *c, ffi_cif *cif,
				void (*fun)(ffi_cif *, void *, void **, void *),
				void *user_data, void *codeloc)
{
	void *dest = fake_mode == 2 ? (void *)cif : (void *)fake_entry;

	memcpy(c->tramp, known, sizeof(known));
	if (fake_mode == 1)
		c->tramp[REG_BYTE] ^= REG_BIT;
	if (fake_mode == 3)
		c->tramp[sizeof(known) - 1] ^= 0x80;
	memcpy(c->tramp + ENTRY_AT, &dest, sizeof(dest));
	c->cif = cif;
	c->fun = fun;
	c->user_data = user_data;
	return FFI_OK;
}
/* The rest of what libtrampjit-ffi resolves; never called here. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
ffi_status ffi_prep_raw_closure_loc(ffi_raw_closure *c, ffi_cif *cif,
				    void (*fun)(ffi_cif *, void *, ffi_raw *,
						void *),
				    void *user_data, void *codeloc)
{
	return FFI_BAD_ABI;
}

ffi_status ffi_prep_java_raw_closure_loc(ffi_java_raw_closure *c,
					 ffi_cif *cif,
					 void (*fun)(ffi_cif *, void *,
						     ffi_java_raw *, void *),
					 void *user_data, void *codeloc)
{
	return FFI_BAD_ABI;
}

size_t ffi_raw_size(ffi_cif *cif)
{
	return 0;
}

void ffi_ptrarray_to_raw(ffi_cif *cif, void **args, ffi_raw *raw)
{
}

size_t ffi_java_raw_size(ffi_cif *cif)
{
	return 0;
}

void ffi_java_ptrarray_to_raw(ffi_cif *cif, void **args, ffi_java_raw *raw)
{
}
