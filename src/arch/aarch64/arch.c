/* SPDX-License-Identifier: MIT */
/*
 * aarch64 C side: long double results of HANDLER frames (AAPCS64),
 * context application shared by the static thunks and the signal-based
 * backends, and whether code must be mapped with PROT_BTI.
 */
#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>

#include "internal.h"

#ifndef PROT_BTI
#define PROT_BTI	0x10
#endif
#ifndef HWCAP2_BTI
#define HWCAP2_BTI	(1UL << 17)
#endif
#ifndef PT_GNU_PROPERTY
#define PT_GNU_PROPERTY	0x6474e553
#endif
#ifndef GNU_PROPERTY_AARCH64_FEATURE_1_AND
#define GNU_PROPERTY_AARCH64_FEATURE_1_AND	0xc0000000u
#endif
#define FEATURE_1_BTI				1u

/* long double is IEEE binary128, returned in all of q0 (and q1 for the
   imaginary part of a complex one). */
void tramp_set_return_long_double(struct tramp_frame *f, long double v)
{
	if (f)
		memcpy(f->vret[0], &v, sizeof(v));
}

void tramp_set_return_long_double2(struct tramp_frame *f, long double re,
				   long double im)
{
	if (f) {
		memcpy(f->vret[0], &re, sizeof(re));
		memcpy(f->vret[1], &im, sizeof(im));
	}
}

/* Called by the context thunk and arch_context_jump (thunks.S) with the
   image on their stack: x16 gets the final stack pointer, x17 the pc. */
__attribute__((no_sanitize_address, used)) void
arch_context_apply(uintptr_t *img, const struct tramp_context *c, void *pc)
{
	img[TRAMP_REG_X16] = context_image(img, c);
	img[TRAMP_REG_X17] = (uintptr_t)pc;
}

/* Whether the main program is marked for BTI (its GNU property note). */
static int program_uses_bti(void)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM);
	uintptr_t bias = 0;
	const uint32_t *p, *end;

	if (!ph)
		return 0;
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			bias = (uintptr_t)ph - ph[i].p_vaddr;
	for (unsigned long i = 0; i < n; i++) {
		if (ph[i].p_type != PT_GNU_PROPERTY)
			continue;
		/* One NT_GNU_PROPERTY_TYPE_0 note: a 16-byte header with
		   "GNU", then {type, size, data padded to 8} records. */
		p = (const uint32_t *)(bias + ph[i].p_vaddr);
		end = (const uint32_t *)((const char *)p + ph[i].p_memsz);
		for (p += 4; p + 2 < end; p += 2 + (p[1] + 7) / 8 * 2)
			if (p[0] == GNU_PROPERTY_AARCH64_FEATURE_1_AND &&
			    p[1] >= 4 && (p[2] & FEATURE_1_BTI))
				return 1;
	}
	return 0;
}

/*
 * Code is mapped with PROT_BTI when the CPU has BTI and the program is
 * marked for it: then the kernel and the dynamic linker guard every marked
 * object, so callers reach code only through landing-pad-friendly branches
 * (BLR, or BR x16/x17), which every stub and thunk entry's "bti c"
 * accepts.  An unmarked program may branch with BR to any register, so
 * its code is left unguarded, as the dynamic linker would leave it.
 */
int arch_code_prot(void)
{
	static _Atomic int prot = -1;
	int p = atomic_load_explicit(&prot, memory_order_relaxed);

	if (p < 0) {
		p = (getauxval(AT_HWCAP2) & HWCAP2_BTI) && program_uses_bti() ?
		    PROT_BTI : 0;
		atomic_store_explicit(&prot, p, memory_order_relaxed);
	}
	return p;
}
