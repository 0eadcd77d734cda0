/* SPDX-License-Identifier: MIT */
/*
 * Threads: two threads each create, call and destroy 1,000,000
 * trampolines at once; then callers race a retargeting thread and must
 * always see a matching (target, data) pair, never a mix.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "harness.h"

#define PER_THREAD	1000000

static enum tramp_backend cur;

static long add(void *d, long x) { return (long)(intptr_t)d + x; }

/* Two targets whose data must match: target k expects data k*1000+... */
static long pair_a(void *d, long x) { return (long)(intptr_t)d == 1111; }
static long pair_b(void *d, long x) { return (long)(intptr_t)d == 2222; }

static void *create_call_destroy(void *arg)
{
	long n = PER_THREAD / (cur == TRAMP_STATIC ? 1 : 100);
	struct tramp_spec spec = { .kind = TRAMP_BIND, .backend = cur,
				   .target = (void *)add };

	for (long i = 0; i < n; i++) {
		struct tramp *t;

		spec.data = (void *)i;
		t = tramp_create(&spec);
		CHECK(t);
		CHECK(((long (*)(long))tramp_code(t))(1) == i + 1);
		tramp_destroy(t);
	}
	return NULL;
}

static atomic_int done;
static atomic_long torn, seen;
static struct tramp *shared;

static void *caller(void *arg)
{
	long (*fn)(long) = (long (*)(long))tramp_code(shared);

	while (!atomic_load_explicit(&done, memory_order_relaxed)) {
		if (!fn(0))
			atomic_fetch_add(&torn, 1);
		atomic_fetch_add_explicit(&seen, 1, memory_order_relaxed);
	}
	return NULL;
}

static void run(enum tramp_backend b)
{
	pthread_t th[2];
	long calls = b == TRAMP_STATIC ? 1000000 : 20000, flips = 0;

	cur = b;
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, create_call_destroy,
				     NULL) == 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);

	shared = make(TRAMP_BIND, b, (void *)pair_a, (void *)1111);
	atomic_store(&done, 0);
	atomic_store(&torn, 0);
	atomic_store(&seen, 0);
	CHECK(pthread_create(&th[0], NULL, caller, NULL) == 0);
	/* Flip until the caller has made enough calls (and at least as
	   many flips as calls have been made). */
	for (long i = 0; i < 2 * calls ||
	     atomic_load_explicit(&seen, memory_order_relaxed) < calls; i++) {
		flips++;
		if (i & 1)
			CHECK(tramp_retarget(shared, (void *)pair_a,
					     (void *)1111) == 0);
		else
			CHECK(tramp_retarget(shared, (void *)pair_b,
					     (void *)2222) == 0);
	}
	atomic_store(&done, 1);
	pthread_join(th[0], NULL);
	fprintf(stderr, "threads on %s: %ld calls raced %ld retargets, "
		"%ld torn\n", backend_names[b], atomic_load(&seen), flips,
		atomic_load(&torn));
	CHECK(atomic_load(&torn) == 0);
	CHECK(atomic_load(&seen) >= calls);
	tramp_destroy(shared);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
