/* SPDX-License-Identifier: MIT */
/* libtrampjit.so and both drop-in libraries loaded by dlopen into one
   running process, each after the others: their initial-exec TLS fits in
   the static TLS that glibc keeps for libraries loaded late, and each
   works once loaded. */
#ifndef HAVE_FFI_DROPIN
#include "harness.h"

int main(void)
{
	SKIP("no libtrampjit-ffi for this architecture (ffi/arch/<arch> "
	     "and <ffi.h> needed)");
}
#else
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>
#include "harness.h"

static char dir[PATH_MAX];

static void *load(const char *name)
{
	char path[PATH_MAX + 64];
	void *h;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fprintf(stderr, "%s\n", dlerror());
	CHECK(h);
	return h;
}

static long twice(void *chain, long x)
{
	return (long)(intptr_t)chain + 2 * x;
}

extern uintptr_t chain_target_reg(void);

int main(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *lib, *ffi, *nested;

	CHECK(n > 0);
	exe[n] = 0;
	/* O/tests/dlopen-libraries -> O */
	snprintf(dir, sizeof(dir), "%s", dirname(dirname(exe)));

	ffi = load("libtrampjit-ffi.so");
	nested = load("libtrampjit-nested.so");
	lib = load("libtrampjit.so");

	void *(*alloc)(size_t, void **) =
		(void *(*)(size_t, void **))dlsym(ffi, "ffi_closure_alloc");
	void (*cfree)(void *) = (void (*)(void *))dlsym(ffi,
							"ffi_closure_free");
	void *code, *c;

	CHECK(alloc && cfree);
	c = alloc(56, &code);
	CHECK(c && code);
	cfree(c);

	void (*created)(void *, void *, void *) =
		(void (*)(void *, void *, void *))dlsym(nested,
			"__gcc_nested_func_ptr_created");
	void (*deleted)(void) = (void (*)(void))dlsym(nested,
			"__gcc_nested_func_ptr_deleted");
	uintptr_t (*fn)(void);

	CHECK(created && deleted);
	created((void *)0x1234, (void *)chain_target_reg, &fn);
	CHECK(fn() == 0x1234);
	deleted();

	struct tramp *(*create)(const struct tramp_spec *) =
		(struct tramp *(*)(const struct tramp_spec *))dlsym(lib,
			"tramp_create");
	void *(*code_of)(const struct tramp *) =
		(void *(*)(const struct tramp *))dlsym(lib, "tramp_code");
	struct tramp_spec spec = {
		.kind = TRAMP_BIND, .target = (void *)twice, .data = (void *)5,
	};
	struct tramp *t;

	CHECK(create && code_of);
	t = create(&spec);
	CHECK(t);
	CHECK(((long (*)(long))code_of(t))(20) == 45);
	return 0;
}
#endif
