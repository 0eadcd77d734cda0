/* SPDX-License-Identifier: MIT */
/*
 * The inline create/destroy paths: every count around the per-thread
 * cache's refill and drain points gives working, distinct trampolines;
 * handles freed on another thread are reused correctly; pointers into a
 * live table that are not live handles (interior, misaligned, past the
 * slots, freed) are refused with EINVAL by every handle function; specs
 * the fast path must not take (flags, data, CONTEXT, bad kinds) still
 * get the full checks and paths.  The same for co-allocated data, whose
 * slots come back zeroed.
 */
#include <pthread.h>
#include <stdint.h>
#include "harness.h"

static long add(long x)
{
	return x + 1;
}

static long bind_add(void *data, long x)
{
	return x + (long)(intptr_t)data;
}

static void handler_add(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, tramp_arg(f, 0) + (uintptr_t)data);
}

static long call(struct tramp *t, long x)
{
	long (*fn)(long);
	void *code = tramp_code(t);

	CHECK(code);
	memcpy(&fn, &code, sizeof(fn));
	return fn(x);
}

#define MANY	300

static struct tramp *made[MANY];

static void *destroy_all(void *arg)
{
	for (int i = 0; i < MANY; i++)
		tramp_destroy(made[i]);
	return arg;
}

static void bad_handle(struct tramp *t)
{
	errno = 0;
	CHECK(tramp_kind_of(t) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(!tramp_code(t) && errno == EINVAL);
	errno = 0;
	CHECK(tramp_retarget(t, (void *)add, NULL) == -1 && errno == EINVAL);
	tramp_destroy(t);	/* ignored */
}

static long data_add(void *data, long x)
{
	return x + *(long *)data;
}

/* Whether size bytes at d are all zero. */
static int zeroed(const unsigned char *d, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (d[i])
			return 0;
	return 1;
}

/* Co-allocated data on the inline paths: every count through the refill
   and drain points of both data classes gives distinct trampolines whose
   data is their own and comes back zeroed; freed on another thread too;
   specs with data the fast path must not take get the full checks. */
static void coalloc(void)
{
	static const size_t sizes[] = { 16, 200 };
	struct tramp_spec s = { .kind = TRAMP_BIND,
				.target = (void *)data_add };
	struct tramp_context ctx = { .pc = (void *)add };
	static char *data[MANY];
	pthread_t th;
	void *ret;
	long x;

	for (int z = 0; z < 2; z++) {
		s.data_size = sizes[z];
		for (int n = 1; n <= MANY; n += n < 70 ? 1 : 23) {
			for (int i = 0; i < n; i++) {
				CHECK((made[i] = tramp_create(&s)));
				data[i] = tramp_data(made[i]);
				CHECK(data[i] && zeroed((void *)data[i],
							sizes[z]));
				for (int j = 0; j < i; j++)
					CHECK(data[j] != data[i]);
				memset(data[i], 0xa5, sizes[z]);
				*(long *)data[i] = i + 1;
			}
			for (int i = 0; i < n; i++)
				CHECK(call(made[i], 10) == 10 + i + 1);
			for (int i = n - 1; i >= 0; i--) {
				tramp_destroy(made[i]);
				bad_handle(made[i]);
			}
		}
	}
	s.data_size = sizes[0];
	for (int i = 0; i < MANY; i++)
		CHECK((made[i] = tramp_create(&s)));
	CHECK(!pthread_create(&th, NULL, destroy_all, NULL));
	CHECK(!pthread_join(th, &ret));
	for (int i = 0; i < MANY; i++) {
		CHECK((made[i] = tramp_create(&s)));
		CHECK(zeroed(tramp_data(made[i]), sizes[0]));
		CHECK(call(made[i], 5) == 5);
	}
	destroy_all(NULL);

	/* The caches of both classes are warm: these still get EINVAL. */
	s.data_size = TRAMP_DATA_MAX + 1;
	errno = 0;
	CHECK(!tramp_create(&s) && errno == EINVAL);
	s.data_size = 8;
	s.data = &x;
	errno = 0;
	CHECK(!tramp_create(&s) && errno == EINVAL);
	s.data = NULL;
	s.kind = TRAMP_CONTEXT;
	s.context = &ctx;
	errno = 0;
	CHECK(!tramp_create(&s) && errno == EINVAL);
}

int main(void)
{
	struct tramp_spec chain = { .kind = TRAMP_CHAIN,
				    .target = (void *)add };
	struct tramp_spec bind = { .kind = TRAMP_BIND,
				   .target = (void *)bind_add };
	struct tramp_spec hand = { .kind = TRAMP_HANDLER,
				   .handler = handler_add };
	struct tramp_spec bad = chain;
	struct tramp_context ctx = { .pc = (void *)add };
	pthread_t th;
	void *ret;

	/* Every count through the cache's refill and drain points. */
	for (int n = 1; n <= MANY; n += n < 70 ? 1 : 23) {
		for (int i = 0; i < n; i++) {
			struct tramp_spec *s = i % 3 == 0 ? &chain :
					       i % 3 == 1 ? &bind : &hand;

			s->data = (void *)(intptr_t)(i + 1);
			made[i] = tramp_create(s);
			CHECK(made[i]);
			for (int j = 0; j < i; j++)
				CHECK(made[j] != made[i]);
		}
		for (int i = 0; i < n; i++)
			CHECK(call(made[i], 10) ==
			      (i % 3 == 0 ? 11 : 10 + i + 1));
		for (int i = n - 1; i >= 0; i--) {
			tramp_destroy(made[i]);
			bad_handle(made[i]);	/* freed */
		}
	}

	/* Freed on another thread, then reused here. */
	for (int i = 0; i < MANY; i++)
		CHECK((made[i] = tramp_create(&chain)));
	CHECK(!pthread_create(&th, NULL, destroy_all, NULL));
	CHECK(!pthread_join(th, &ret));
	hand.data = NULL;
	for (int i = 0; i < MANY; i++) {
		CHECK((made[i] = tramp_create(&hand)));
		CHECK(call(made[i], 5) == 5);	/* data NULL */
	}
	destroy_all(NULL);

	/* Not handles, inside a live table. */
	made[0] = tramp_create(&chain);
	made[1] = tramp_create(&chain);
	CHECK(made[0] && made[1]);
	bad_handle((struct tramp *)((char *)made[0] + 8));
	bad_handle((struct tramp *)((char *)made[0] + 1));
	bad_handle((struct tramp *)tramp_code(made[0]));
	CHECK(call(made[0], 1) == 2 && call(made[1], 2) == 3);
	tramp_destroy(made[0]);
	tramp_destroy(made[1]);

	/* Specs the fast path hands to the full checks. */
	bad.target = NULL;
	errno = 0;
	CHECK(!tramp_create(&bad) && errno == EINVAL);
	bad = chain;
	bad.kind = (enum tramp_kind)7;
	errno = 0;
	CHECK(!tramp_create(&bad) && errno == EINVAL);
	bad = chain;
	bad.backend = (enum tramp_backend)(TRAMP_KERNEL_CALL + 1);
	errno = 0;
	CHECK(!tramp_create(&bad) && errno == EINVAL);
	bad = chain;
	bad.flags = TRAMP_BIND_SRET;
	errno = 0;
	CHECK(!tramp_create(&bad) && errno == EINVAL);
	bad = hand;
	bad.handler = NULL;
	bad.target = (void *)add;	/* HANDLER reads handler only */
	errno = 0;
	CHECK(!tramp_create(&bad) && errno == EINVAL);
	bad = chain;
	bad.kind = TRAMP_CONTEXT;
	bad.context = &ctx;
	CHECK((made[0] = tramp_create(&bad)));
	CHECK(tramp_kind_of(made[0]) == TRAMP_CONTEXT);
	tramp_destroy(made[0]);
	bad = chain;
	bad.data = NULL;	/* the data is the trampoline's own */
	bad.data_size = 16;
	CHECK((made[0] = tramp_create(&bad)));
	CHECK(tramp_data(made[0]) && call(made[0], 1) == 2);
	tramp_destroy(made[0]);
	errno = 0;
	CHECK(!tramp_create(NULL) && errno == EINVAL);
	coalloc();
	return 0;
}
