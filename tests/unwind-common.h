/* SPDX-License-Identifier: MIT */
/*
 * Shared body of the unwinder tests: callbacks reached through every kind
 * on every backend, and single-stepping inside stubs, must unwind past the
 * trampoline.  The includer defines UNWIND(buf, n), its unwinder.
 */
#ifndef TRAMPJIT_UNWIND_COMMON_H
#define TRAMPJIT_UNWIND_COMMON_H

#include <signal.h>
#include <stdint.h>
#include <ucontext.h>
#include "debug-code.h"

static void *volatile want;	/* a return address beyond the trampoline */
static volatile int found;

__attribute__((noinline)) static int sees_want(void)
{
	void *bt[64];
	int n = UNWIND(bt, 64);

	for (int i = 0; i < n; i++)
		if (bt[i] == want)
			return 1;
	return 0;
}

/* Calls fn(x) through the trampoline; its caller's return address must
   show up in the callback's backtrace. */
__attribute__((noinline)) static long call_through(long (*fn)(long), long x)
{
	long r;

	want = __builtin_return_address(0);
	r = fn(x);
	__asm__ volatile("" : "+r"(r));
	return r + 1;
}

__attribute__((noinline)) static long cb_plain(long x)
{
	found = sees_want();
	return x * 2;
}

__attribute__((noinline)) static long cb_bind(void *data, long x)
{
	found = sees_want() && data == &want;
	return x * 2;
}

static void cb_handler(struct tramp_frame *f, void *data)
{
	found = sees_want() && data == &want;
	tramp_set_return(f, tramp_arg(f, 0) * 2);
}

static void kinds(enum tramp_backend b)
{
	struct tramp_context ctx = { .pc = (void *)cb_plain };
	struct tramp_spec spec = {
		.kind = TRAMP_CONTEXT, .backend = b, .context = &ctx,
	};
	struct tramp *t[4];

	t[0] = make(TRAMP_CHAIN, b, (void *)cb_plain, (void *)&want);
	t[1] = make(TRAMP_BIND, b, (void *)cb_bind, (void *)&want);
	t[2] = make(TRAMP_HANDLER, b, (void *)cb_handler, (void *)&want);
	t[3] = tramp_create(&spec);
	CHECK(t[3] != NULL);
	for (int k = 0; k < 4; k++) {
		found = 0;
		CHECK(call_through((long (*)(long))tramp_code(t[k]), 21) == 43);
		if (!found)
			fprintf(stderr, "kind %d on %s: caller not in "
				"backtrace\n", k, backend_names[b]);
		CHECK(found);
		tramp_destroy(t[k]);
	}
}

/* ---- single-stepping into a stub -------------------------------------- */

#if TEST_SINGLE_STEP
#define TF	0x100
static const char *volatile stub_lo, *volatile stub_hi;
static volatile int hits, misses, steps;

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	const char *pc = (const char *)uc->uc_mcontext.gregs[REG_RIP];

	if (pc >= stub_lo && pc < stub_hi) {
		if (sees_want())
			hits++;
		else
			misses++;
		if (pc[0] == 0x0f && pc[1] == 0x05)	/* syscall: stop */
			uc->uc_mcontext.gregs[REG_EFL] &= ~TF;
	}
	if (++steps > 400)
		uc->uc_mcontext.gregs[REG_EFL] &= ~TF;
}

__attribute__((noinline)) static long step_target(long x)
{
	__asm__ volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "cc");
	return x * 2;
}

__attribute__((noinline)) static long step_through(long (*fn)(long), long x)
{
	long r;

	want = __builtin_return_address(0);
	__asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq" ::: "cc");
	r = fn(x);
	__asm__ volatile("" : "+r"(r));
	return r + 1;
}

static void step(enum tramp_backend b)
{
	struct sigaction sa = { .sa_sigaction = on_trap,
				.sa_flags = SA_SIGINFO }, old;
	struct tramp *t = make(TRAMP_CHAIN, b, (void *)step_target, NULL);

	if (b == TRAMP_FAULT || b == TRAMP_KERNEL) {
		/* No page there: no instruction runs, no byte is read. */
		tramp_destroy(t);
		return;
	}
	stub_lo = tramp_code(t);
	stub_hi = stub_lo + 16;
	hits = misses = steps = 0;
	CHECK(sigaction(SIGTRAP, &sa, &old) == 0);
	CHECK(step_through((long (*)(long))tramp_code(t), 5) == 11);
	CHECK(sigaction(SIGTRAP, &old, NULL) == 0);
	fprintf(stderr, "%s: %d steps, %d in the stub unwound past it, %d "
		"did not\n", backend_names[b], steps, hits, misses);
	CHECK(hits > 0 && misses == 0);
	tramp_destroy(t);
}
#else
static void step(enum tramp_backend b)
{
	fprintf(stderr, "note: %s has no user-mode single step: unwinding "
		"at every stub instruction not tried on %s\n", TEST_ARCH_NAME,
		backend_names[b]);
}
#endif


#endif
