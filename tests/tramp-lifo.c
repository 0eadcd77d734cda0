/* SPDX-License-Identifier: MIT */
/* Strict-LIFO trampolines: push and pop in order, every kind, calls reach
   the right target with the right data at every depth, popped code is
   dead, kinds mix on one stack, threads have their own stacks, and a
   thread that exits with live entries gives its slots back. */
#include <pthread.h>
#include <stdint.h>
#include "harness.h"

extern uintptr_t chain_target_reg(void);

static long add(void *data, long x)
{
	return (long)(intptr_t)data + x;
}

static void on_call(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, (uintptr_t)data * 2 + tramp_arg(f, 0));
}

static const enum tramp_kind kinds[] = {
	TRAMP_CHAIN, TRAMP_BIND, TRAMP_HANDLER,
};

static void *push(int kind_index, long d)
{
	static void *const targets[] = {
		(void *)chain_target_reg, (void *)add, (void *)on_call,
	};
	void *c = tramp_lifo_push(kinds[kind_index], targets[kind_index],
				  (void *)(intptr_t)d);

	CHECK(c);
	return c;
}

static long call(int kind_index, void *code, long d)
{
	switch (kinds[kind_index]) {
	case TRAMP_CHAIN:
		return (long)((uintptr_t (*)(void))code)() == d;
	case TRAMP_BIND:
		return ((long (*)(long))code)(1) == d + 1;
	default:
		return ((long (*)(long))code)(1) == 2 * d + 1;
	}
}

/* Depth n, kinds chosen by pattern; every level callable while live. */
static void nest(int n, int pattern)
{
	void *code[200];

	CHECK(n <= 200);
	for (int i = 0; i < n; i++) {
		code[i] = push((i + pattern) % 3, 1000 * pattern + i);
		CHECK(tramp_lifo_depth() == (unsigned)i + 1);
		CHECK(tramp_lookup(code[i]) != NULL);
		for (int j = 0; j <= i; j++)
			CHECK(call((j + pattern) % 3, code[j],
				   1000 * pattern + j));
	}
	for (int i = n - 1; i >= 0; i--) {
		CHECK(tramp_lifo_pop() == 0);
		CHECK(tramp_lookup(code[i]) == NULL && errno == EINVAL);
		for (int j = 0; j < i; j++)
			CHECK(call((j + pattern) % 3, code[j],
				   1000 * pattern + j));
	}
	CHECK(tramp_lifo_depth() == 0);
}

static void *worker(void *arg)
{
	long id = (long)(intptr_t)arg;

	for (int r = 0; r < 50; r++)
		nest(1 + (int)((r + id) % 40), (int)(id + r));
	/* Leave some live: the thread's exit must clean them up. */
	for (int i = 0; i < 100; i++)
		push(i % 3, i);
	return NULL;
}

int main(void)
{
	pthread_t th[8];
	int tables_before = 0;

	CHECK(tramp_lifo_pop() == -1 && errno == EINVAL);
	CHECK(!tramp_lifo_push(TRAMP_CONTEXT, (void *)add, NULL) &&
	      errno == EINVAL);
	CHECK(!tramp_lifo_push((enum tramp_kind)7, (void *)add, NULL) &&
	      errno == EINVAL);
	CHECK(!tramp_lifo_push(TRAMP_BIND, NULL, NULL) && errno == EINVAL);
	CHECK(tramp_lifo_depth() == 0);

	for (int p = 0; p < 6; p++)
		nest(p * 37 % 200 + 1, p);

	/* Same address reused at the same depth, for the same kind. */
	void *a = push(1, 5);
	CHECK(tramp_lifo_pop() == 0);
	void *b = push(1, 6);
	CHECK(a == b && call(1, b, 6));
	CHECK(tramp_lifo_pop() == 0);

	/* Threads: own stacks; exits with live entries give slots back, so
	   thousands of abandoned entries cost no new tables. */
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			tables_before = stub_tables();
		for (int i = 0; i < 8; i++)
			CHECK(pthread_create(&th[i], NULL, worker,
					     (void *)(intptr_t)i) == 0);
		for (int i = 0; i < 8; i++)
			CHECK(pthread_join(th[i], NULL) == 0);
	}
	for (int round = 0; round < 30; round++) {
		for (int i = 0; i < 8; i++)
			CHECK(pthread_create(&th[i], NULL, worker,
					     (void *)(intptr_t)i) == 0);
		for (int i = 0; i < 8; i++)
			CHECK(pthread_join(th[i], NULL) == 0);
	}
	/* 24,000 abandoned entries would need six more tables. */
	CHECK(stub_tables() == tables_before);
	nest(10, 1);
	return 0;
}
