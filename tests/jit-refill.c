/* SPDX-License-Identifier: MIT */
/*
 * The quarantine's refill of freed JIT code.  The pwrite heap joins nearby
 * freed objects of a chunk into one pwritev and rewrites the live code
 * between them onto itself; the alias heap fills through its RW view.  On
 * both:
 *  - at the release, every freed object is filler from its first byte to
 *    its last, every live object keeps its bytes and runs, and a stale call
 *    into the released space traps (SIGTRAP, in a child);
 *  - while other threads write and check new code in the same chunks,
 *    scattered frees and releases never change a byte of live code.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jit-objects.h"

#define NOBJ	1500
#define NPAD	1100	/* more than a batch of frees */

static int intact(const struct obj *o)
{
	unsigned char b[2048];

	source(b, o->len, o->v);
	return !memcmp(o->rx, b, o->len) &&
	       ((int (*)(void))(void *)o->rx)() == (int)o->v;
}

static int all_filler(const struct obj *o)
{
	for (size_t i = 0; i + 4 <= o->len; i += 4)
		if (!test_is_fill(o->rx + i))
			return 0;
	return 1;
}

static uint64_t rnd = 88172645463325252ull;

static size_t pick(size_t n)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return (size_t)(rnd % n);
}

static struct obj objs[NOBJ], pad[NPAD];
static int freed[NOBJ];

/* Free two thirds of objs in random order. */
static void free_scattered(void)
{
	size_t order[NOBJ];

	for (size_t i = 0; i < NOBJ; i++)
		order[i] = i;
	for (size_t i = NOBJ - 1; i > 0; i--) {
		size_t j = pick(i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < NOBJ; i++) {
		size_t k = order[i];

		freed[k] = k % 3 != 0;
		if (freed[k])
			CHECK(!jit_destroy_code(objs[k].rx));
	}
}

/* At the release, with nothing allocated since the frees. */
static void exact(int mode)
{
	unsigned long f0;
	size_t i, stale = NOBJ;
	pid_t pid;
	int st;

	CHECK(jit_set_code_mode(mode) >= 0);
	for (i = 0; i < NOBJ; i++)
		make_obj(&objs[i], 64 * (1 + i % 9) - 5 * (i % 4), (uint32_t)i);
	for (i = 0; i < NPAD; i++)
		make_obj(&pad[i], 64, (uint32_t)(100000 + i));
	free_scattered();
	f0 = flushes();
	for (i = 0; i < NPAD && flushes() == f0; i++)
		CHECK(!jit_destroy_code(pad[i].rx));
	CHECK(flushes() > f0);
	for (size_t k = 0; k < NOBJ; k++) {
		if (!freed[k]) {
			CHECK(intact(&objs[k]));
			continue;
		}
		if (!all_filler(&objs[k]))
			fprintf(stderr, "object %zu (%zu bytes) not filler\n",
				k, objs[k].len);
		CHECK(all_filler(&objs[k]));
		stale = k;
	}
	CHECK(stale < NOBJ);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		signal(SIGTRAP, SIG_DFL);
		((void (*)(void))(void *)objs[stale].rx)();
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTRAP);
	for (; i < NPAD; i++)
		CHECK(!jit_destroy_code(pad[i].rx));
	for (size_t k = 0; k < NOBJ; k++)
		if (!freed[k])
			CHECK(!jit_destroy_code(objs[k].rx));
}

static atomic_int stop;

static void *writer(void *arg)
{
	struct obj ring[64];
	uint32_t v = (uint32_t)(uintptr_t)arg;
	unsigned n = 0;

	while (!atomic_load(&stop) || n < 64) {
		struct obj *o = &ring[n % 64];

		if (n >= 64) {
			CHECK(intact(o));
			CHECK(!jit_destroy_code(o->rx));
		}
		make_obj(o, 64 * (1 + n % 5), v + n);
		n++;
	}
	for (unsigned i = 0; i < 64; i++) {
		CHECK(intact(&ring[i]));
		CHECK(!jit_destroy_code(ring[i].rx));
	}
	return NULL;
}

/* Scattered frees and releases while two threads write new code. */
static void concurrent(int mode)
{
	pthread_t t[2];
	unsigned long f0;

	CHECK(jit_set_code_mode(mode) >= 0);
	atomic_store(&stop, 0);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < NOBJ; i++)
			make_obj(&objs[i], 64 * (1 + i % 9), (uint32_t)i);
		if (!round)
			for (int i = 0; i < 2; i++)
				CHECK(!pthread_create(&t[i], NULL, writer,
					(void *)(uintptr_t)(1000000 * (i + 1))));
		free_scattered();
		f0 = flushes();
		for (size_t i = 0; i < NPAD && flushes() == f0; i++) {
			make_obj(&pad[i], 64, (uint32_t)i);
			CHECK(!jit_destroy_code(pad[i].rx));
		}
		for (size_t k = 0; k < NOBJ; k++)
			if (!freed[k]) {
				CHECK(intact(&objs[k]));
				CHECK(!jit_destroy_code(objs[k].rx));
			}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		CHECK(!pthread_join(t[i], NULL));
}

int main(void)
{
	exact(JIT_APPEND_PWRITE);
	exact(JIT_APPEND_ALIAS);
	concurrent(JIT_APPEND_PWRITE);
	concurrent(JIT_APPEND_ALIAS);
	return 0;
}
