/* SPDX-License-Identifier: MIT */
/*
 * nongnu libunwind's unw_backtrace() sees through trampolines and named JIT
 * code: from a callback reached through every kind on every backend, from
 * a signal taken while single-stepping inside a stub, and from a function
 * called by JIT code named with unwind info.  libunwind does not read
 * libgcc's registry: this needs the _U_dyn_register registrations.  A
 * separate program because linking libunwind changes backtrace().
 */
#define _GNU_SOURCE
#ifndef HAVE_LIBUNWIND
#include "harness.h"
#include "test_arch.h"

int main(void)
{
	SKIP("nongnu libunwind is not installed for %s (libunwind-dev)",
	     TEST_ARCH_NAME);
}
#else
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#define UNWIND(buf, n) unw_backtrace(buf, n)
#include "unwind-common.h"

/* libunwind knows the table's code half (from _U_dyn_register). */
static void procinfo(enum tramp_backend b)
{
	struct tramp *t = make(TRAMP_BIND, b, (void *)cb_bind, NULL);
	char *code = tramp_code(t);
	unw_proc_info_t pi;

	CHECK(unw_get_proc_info_by_ip(unw_local_addr_space,
				      (unw_word_t)code + 1, &pi, NULL) == 0);
	CHECK(pi.start_ip <= (unw_word_t)code && pi.end_ip > (unw_word_t)code);
	tramp_destroy(t);
}

/* A JIT function with unwind info, between the callee and its caller. */
__attribute__((noinline)) static long jit_callee(long x)
{
	found = sees_want();
	return x * 2;
}

static void jit(void)
{
	void *fn = jit_call_new((void *)jit_callee);
	unw_proc_info_t pi;

	CHECK(jit_name_unwind(fn, JIT_CALL_LEN, "unwind-test-jit",
			      jit_call_cfi, sizeof(jit_call_cfi)) == 0);
	CHECK(unw_get_proc_info_by_ip(unw_local_addr_space,
				      (unw_word_t)fn + 4, &pi, NULL) == 0);
	found = 0;
	CHECK(call_through((long (*)(long))fn, 21) == 43);
	CHECK(found);
	CHECK(jit_unname(fn) == 0);
	fprintf(stderr, "unw_backtrace through named JIT code: ok\n");
}

static void run(enum tramp_backend b)
{
	kinds(b);
	procinfo(b);
	step(b);
	fprintf(stderr, "unw_backtrace through %s: ok\n", backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	jit();
	return 0;
}
#endif
