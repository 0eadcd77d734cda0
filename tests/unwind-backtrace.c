/* SPDX-License-Identifier: MIT */
/*
 * glibc backtrace() (libgcc's unwinder) sees through trampolines: from a
 * callback reached through every kind on every backend, and from a signal
 * taken while single-stepping inside a stub (which needs the unwind info
 * registered for the table's code half); and through JIT code named with
 * unwind info, while many such objects come and go.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>

#define UNWIND(buf, n) backtrace(buf, n)
#include "unwind-common.h"

/* libgcc knows an FDE for the table's code half. */
static void fde(enum tramp_backend b)
{
	struct dwarf_eh_bases { void *tbase, *dbase, *func; } bases;
	void *(*find)(void *, struct dwarf_eh_bases *);
	void *h = dlopen("libgcc_s.so.1", RTLD_NOW);
	struct tramp *t = make(TRAMP_BIND, b, (void *)cb_bind, NULL);
	char *code = tramp_code(t);

	CHECK(h != NULL);
	find = (void *(*)(void *, struct dwarf_eh_bases *))
		dlsym(h, "_Unwind_Find_FDE");
	CHECK(find != NULL);
	CHECK(find(code + 1, &bases) != NULL);
	CHECK(bases.func != NULL && (char *)bases.func <= code);
	tramp_destroy(t);
}

/* Through JIT frames: 300 named functions (several libgcc groups), half
   unnamed again, every survivor still unwinds. */
__attribute__((noinline)) static long jit_callee(long x)
{
	found = sees_want();
	return x * 2;
}

static void jit(void)
{
	enum { N = 300 };
	static void *fn[N];
	char name[32];

	for (int i = 0; i < N; i++) {
		fn[i] = jit_call_new((void *)jit_callee);
		snprintf(name, sizeof(name), "jit_%d", i);
		CHECK(jit_name_unwind(fn[i], JIT_CALL_LEN, name, jit_call_cfi,
				      sizeof(jit_call_cfi)) == 0);
	}
	for (int i = 0; i < N; i += 2)
		CHECK(jit_unname(fn[i]) == 0);
	for (int i = 1; i < N; i += 2) {
		found = 0;
		CHECK(call_through((long (*)(long))fn[i], 21) == 43);
		CHECK(found);
	}
	for (int i = 1; i < N; i += 2)
		CHECK(jit_unname(fn[i]) == 0);
	fprintf(stderr, "backtrace through named JIT code: ok\n");
}

static void run(enum tramp_backend b)
{
	kinds(b);
	fde(b);
	step(b);
	fprintf(stderr, "backtrace through %s: ok\n", backend_names[b]);
}

int main(void)
{
	void *warm[4];

	backtrace(warm, 4);	/* load libgcc_s outside signal handlers */
	for_each_backend(run);
	jit();
	return 0;
}
