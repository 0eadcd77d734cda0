/* SPDX-License-Identifier: MIT */
/* libtrampjit-ffi never jumps where it has not checked: with a libffi
   (tests/fake-libffi) whose closure preparation writes another trampoline
   layout (another register, or another last byte), or the known layout
   naming an entry outside that libffi, the preparation fails with
   FFI_BAD_ABI and the closure stays unprepared (a call aborts); with the
   known layout of this architecture it works, and libffi's entry finds the
   closure in the register libffi's own trampoline puts it in. */
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
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static void fn(ffi_cif *cif, void *ret, void **args, void *data)
{
}

int main(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ffi_cif cif = { .abi = FFI_DEFAULT_ABI };
	int *mode;
	void *h, *code, *(*seen)(void);
	ffi_closure *c;

	CHECK(n > 0);
	exe[n] = 0;
	snprintf(path, sizeof(path), "%s/fake-libffi/libffi.so.8",
		 dirname(exe));
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	CHECK(h);
	mode = dlsym(h, "fake_mode");
	seen = (void *(*)(void))dlsym(h, "fake_closure");
	CHECK(mode && seen);

	c = ffi_closure_alloc(sizeof(*c), &code);
	CHECK(c);
	*mode = 1;
	CHECK(ffi_prep_closure_loc(c, &cif, fn, NULL, code) == FFI_BAD_ABI);
	CHECK(call_aborts(code));
	*mode = 2;
	CHECK(ffi_prep_closure_loc(c, &cif, fn, NULL, code) == FFI_BAD_ABI);
	CHECK(call_aborts(code));
	*mode = 3;
	CHECK(ffi_prep_closure_loc(c, &cif, fn, NULL, code) == FFI_BAD_ABI);
	CHECK(call_aborts(code));
	*mode = 0;		/* the known layout, entry inside: accepted */
	CHECK(ffi_prep_closure_loc(c, &cif, fn, NULL, code) == FFI_OK);
	CHECK(!call_aborts(code));
	CHECK(seen() == NULL);
	((void (*)(void))code)();
	CHECK(seen() == c);
	*mode = 1;		/* a prepared closure re-prepared badly */
	CHECK(ffi_prep_closure_loc(c, &cif, fn, NULL, code) == FFI_BAD_ABI);
	CHECK(call_aborts(code));
	ffi_closure_free(c);
	return 0;
}
#endif
