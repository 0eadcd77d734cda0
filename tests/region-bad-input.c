/* SPDX-License-Identifier: MIT */
/*
 * jit_region_*: bad input is a clean error (capacity 0, huge capacity,
 * unknown modes, NULL source, zero or oversized lengths, destroyed,
 * recycled and foreign handles), never a crash, and changes nothing;
 * create/destroy cycles leak neither fds nor mappings.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

static unsigned char ret7[CODE_RET_LEN];	/* return 7 */

static int call(void *c)
{
	return ((int (*)(void))c)();
}

/* Mappings overlapping [lo, hi), or, with lo == hi, mappings of a
   region's memfd. */
static int maps_of(uintptr_t lo, uintptr_t hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long s, e;
	int n = 0;

	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		CHECK(sscanf(line, "%lx-%lx", &s, &e) == 2);
		if (lo == hi ? strstr(line, "memfd:trampjit-region") != NULL :
		    s < hi && e > lo)
			n++;
	}
	fclose(f);
	return n;
}

#define FAILS(expr, err)						\
	do {								\
		errno = 0;						\
		CHECK(!(expr));						\
		CHECK(errno == (err));					\
	} while (0)

static void bad_create(void)
{
	for (int mode = JIT_APPEND_PWRITE; mode <= JIT_APPEND_SWAP; mode++) {
		FAILS(jit_region_create(0, mode), EINVAL);
		FAILS(jit_region_create(SIZE_MAX, mode), ENOMEM);
		FAILS(jit_region_create(((size_t)1 << 40) + 1, mode), ENOMEM);
	}
	FAILS(jit_region_create(4096, -1), EINVAL);
	FAILS(jit_region_create(4096, JIT_APPEND_SWAP + 1), EINVAL);
	FAILS(jit_region_create(4096, 1000), EINVAL);
	FAILS(jit_region_create(0, 1000), EINVAL);
}

static void bad_append(int mode)
{
	struct jit_region *r = jit_region_create(8192, mode), *r2;
	int x;
	void *c;

	CHECK(r);
	FAILS(jit_region_append(r, NULL, CODE_RET_LEN), EINVAL);
	FAILS(jit_region_append(r, ret7, 0), EINVAL);
	FAILS(jit_region_append(NULL, ret7, CODE_RET_LEN), EINVAL);
	FAILS(jit_region_append((struct jit_region *)&x, ret7,
				    CODE_RET_LEN), EINVAL);
	FAILS(jit_region_append((struct jit_region *)1, ret7,
				    CODE_RET_LEN), EINVAL);
	FAILS(jit_region_append(r, ret7, 8193), ENOMEM);
	FAILS(jit_region_append(r, ret7, SIZE_MAX), ENOMEM);
	/* Nothing changed: the first append lands at the start. */
	c = jit_region_append(r, ret7, CODE_RET_LEN);
	CHECK(c && call(c) == 7);
	CHECK(test_is_fill((unsigned char *)c + CODE_RET_LEN));
	FAILS(jit_region_append(r, ret7, 8192), ENOMEM);
	CHECK(jit_region_append(r, ret7, CODE_RET_LEN) == (char *)c + 16);

	jit_region_destroy(r);
	FAILS(jit_region_append(r, ret7, CODE_RET_LEN), EINVAL);
	jit_region_destroy(r);
	jit_region_destroy(NULL);
	jit_region_destroy((struct jit_region *)&x);
	jit_region_destroy((struct jit_region *)1);
	jit_region_destroy((struct jit_region *)(uintptr_t)-1);

	/* A new region in the same slot: the old handle stays dead. */
	r2 = jit_region_create(4096, mode);
	CHECK(r2 && r2 != r);
	FAILS(jit_region_append(r, ret7, CODE_RET_LEN), EINVAL);
	jit_region_destroy(r);
	c = jit_region_append(r2, ret7, CODE_RET_LEN);
	CHECK(c && call(c) == 7);
	jit_region_destroy(r2);
}

/* Many create/append/destroy cycles: fds and mappings come back (the
   whole reservation, twice the capacity for ALIAS, is gone). */
static void no_leaks(void)
{
	int fds = open_fds();
	struct jit_region *r;

	CHECK(maps_of(0, 0) == 0);
	for (int i = 0; i < 300; i++) {
		size_t cap = (size_t)1 << (12 + i % 20);
		size_t span = i % 3 == JIT_APPEND_ALIAS ? 2 * cap : cap;
		char *c;

		r = jit_region_create(cap, i % 3);
		CHECK(r);
		c = jit_region_append(r, ret7, CODE_RET_LEN);
		CHECK(c && call(c) == 7);
		CHECK(maps_of((uintptr_t)c, (uintptr_t)c + span) > 0);
		jit_region_destroy(r);
		CHECK(maps_of((uintptr_t)c, (uintptr_t)c + span) == 0);
	}
	CHECK(open_fds() == fds);
	CHECK(maps_of(0, 0) == 0);
}

int main(void)
{
	code_ret(ret7, 7);
	bad_create();
	for (int mode = JIT_APPEND_PWRITE; mode <= JIT_APPEND_SWAP; mode++)
		bad_append(mode);
	no_leaks();
	return 0;
}
