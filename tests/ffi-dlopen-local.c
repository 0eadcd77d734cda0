/* SPDX-License-Identifier: MIT */
/* libtrampjit-ffi finds a libffi that the program loaded with
   dlopen(RTLD_LOCAL), as Python's _ctypes does: this program is not
   linked with libffi and reaches it only through its handle. */
#ifndef HAVE_FFI_DROPIN
#include "harness.h"

int main(void)
{
	SKIP("no libtrampjit-ffi for this architecture (ffi/arch/<arch> "
	     "and <ffi.h> needed)");
}
#else
#include <dlfcn.h>
#include <ffi.h>
#include "harness.h"

static void twice(ffi_cif *cif, void *ret, void **args, void *data)
{
	*(ffi_arg *)ret = (ffi_arg)(2 * *(long *)args[0] + *(long *)data);
}

int main(void)
{
	void *h = dlopen("libffi.so.8", RTLD_NOW | RTLD_LOCAL);
	ffi_status (*prep_cif)(ffi_cif *, ffi_abi, unsigned, ffi_type *,
			       ffi_type **);
	ffi_type *slong, *args[1];
	long extra = 3;
	ffi_closure *c;
	ffi_cif cif;
	void *code;

	if (!h)
		SKIP("no libffi.so.8: %s", dlerror());
	CHECK(!dlsym(RTLD_DEFAULT, "ffi_prep_cif"));	/* really local */
	prep_cif = (ffi_status (*)(ffi_cif *, ffi_abi, unsigned, ffi_type *,
				   ffi_type **))dlsym(h, "ffi_prep_cif");
	slong = dlsym(h, "ffi_type_sint64");
	CHECK(prep_cif && slong);
	args[0] = slong;
	CHECK(prep_cif(&cif, FFI_DEFAULT_ABI, 1, slong, args) == FFI_OK);
	c = ffi_closure_alloc(sizeof(*c), &code);
	CHECK(c);
	CHECK(ffi_prep_closure_loc(c, &cif, twice, &extra, code) == FFI_OK);
	CHECK(((long (*)(long))code)(20) == 43);
	ffi_closure_free(c);
	return 0;
}
#endif
