/* SPDX-License-Identifier: MIT */
/* A stand-in libffi.so.8 for tests/ffi-layout.c: a closure preparation
   that writes a trampoline layout libtrampjit-ffi does not know (mode 1),
   or the known layout naming an entry outside this library (mode 2). */
#include <ffi.h>
#include <string.h>

int fake_mode;			/* set by the test */

static const unsigned char known[24] = {
	0xf3, 0x0f, 0x1e, 0xfa, 0x4c, 0x8d, 0x15, 0xf5, 0xff, 0xff, 0xff,
	0xff, 0x25, 0x07, 0x00, 0x00, 0x00, 0x0f, 0x1f, 0x80, 0x00, 0x00,
	0x00, 0x00,
};

static void entry(void)
{
}

ffi_status ffi_prep_closure_loc(ffi_closure *c, ffi_cif *cif,
				void (*fun)(ffi_cif *, void *, void **, void *),
				void *user_data, void *codeloc)
{
	void *dest = fake_mode == 2 ? (void *)cif : (void *)entry;

	memcpy(c->tramp, known, sizeof(known));
	if (fake_mode == 1)
		c->tramp[5] ^= 1;	/* another register */
	memcpy(c->tramp + 24, &dest, sizeof(dest));
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
