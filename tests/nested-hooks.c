/* SPDX-License-Identifier: MIT */
/* libtrampjit-nested: the GCC 14 heap-trampoline hooks called as code
   built with -ftrampoline-impl=heap calls them.  Trampolines set the
   static chain and reach their function at every depth; longjmp and
   pthread_exit that skip deleted() leave no growth behind; threads have
   their own stacks. */
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include "harness.h"

void __gcc_nested_func_ptr_created(void *chain, void *func, void *dst);
void __gcc_nested_func_ptr_deleted(void);

/* Returns the static chain register (tests/asm/chain-target.S). */
extern uintptr_t chain_target_reg(void);

typedef uintptr_t chain_fn(void);

/* What GCC emits for a function with one nested function: created() on
   entry, deleted() on exit; depth levels recursively. */
static uintptr_t level(int depth, chain_fn *outer)
{
	char frame[64];
	chain_fn *fn;
	uintptr_t r;

	__gcc_nested_func_ptr_created(frame, (void *)chain_target_reg,
				      &fn);
	r = fn();
	CHECK(r == (uintptr_t)frame);
	if (outer)	/* the enclosing level's trampoline still works */
		CHECK(outer() > r);
	if (depth)
		r += level(depth - 1, fn);
	__gcc_nested_func_ptr_deleted();
	return r;
}

static jmp_buf env;

static __attribute__((noinline)) void leave_by_longjmp(int depth)
{
	void (*volatile deeper)(int) = leave_by_longjmp;
	char frame[32];
	chain_fn *fn;

	__gcc_nested_func_ptr_created(frame, (void *)chain_target_reg,
				      &fn);
	CHECK(fn() == (uintptr_t)frame);
	if (!depth)
		longjmp(env, 1);
	deeper(depth - 1);
	__gcc_nested_func_ptr_deleted();	/* never reached */
}

/* depth frames with a live trampoline each, then the thread leaves by
   pthread_exit from the deepest: no deleted() runs. */
static void exit_deep(int depth)
{
	void (*volatile deeper)(int) = exit_deep;
	char frame[16];
	chain_fn *fn;

	__gcc_nested_func_ptr_created(frame, (void *)chain_target_reg, &fn);
	CHECK(fn() == (uintptr_t)frame);
	if (!depth)
		pthread_exit(NULL);
	deeper(depth - 1);
	__gcc_nested_func_ptr_deleted();	/* never reached */
}

static void *exits_early(void *arg)
{
	exit_deep(300);
	return arg;
}

static void *nest_in_thread(void *arg)
{
	for (int i = 0; i < 200; i++)
		level(i % 17, NULL);
	CHECK(tramp_lifo_depth() == 0);
	return arg;
}

int main(void)
{
	pthread_t th[4];
	volatile int before = 0;

	for (int d = 0; d < 100; d += 9) {
		level(d, NULL);
		CHECK(tramp_lifo_depth() == 0);
	}

	/* longjmp out of 5 levels, 10,000 times, between normal nesting:
	   the entries of dead frames are dropped by later hook calls, so
	   the stack never holds more than a round's. */
	for (int i = 0; i < 10000; i++) {
		if (!setjmp(env))
			leave_by_longjmp(4);
		CHECK(tramp_lifo_depth() <= 10);
		if (i % 3 == 0)
			level(i % 5, NULL);
		CHECK(tramp_lifo_depth() <= 10);
	}

	/* Threads leaving by pthread_exit from 300 levels deep: their
	   entries go back to the pool, no table is added. */
	for (int round = 0; round < 40; round++) {
		if (round == 5)
			before = stub_tables();
		for (int i = 0; i < 4; i++)
			CHECK(pthread_create(&th[i], NULL, i % 2 ?
					     exits_early : nest_in_thread,
					     NULL) == 0);
		for (int i = 0; i < 4; i++)
			CHECK(pthread_join(th[i], NULL) == 0);
	}
	CHECK(stub_tables() == before);	/* abandoned slots reused */
	return 0;
}
