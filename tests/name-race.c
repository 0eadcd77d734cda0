/* SPDX-License-Identifier: MIT */
/*
 * Naming while destroying: threads create, name, call and free JIT code,
 * sealed code and trampolines while every publisher is on, and another
 * thread names the same addresses, so names race with the frees that drop
 * them.  Run under ThreadSanitizer by make check-tsan.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

/*
 * Rounds per worker.  Fewer under qemu-user: a name after a free rereads
 * /proc/self/maps, which qemu-user 7.2 builds by checking its flags page
 * by page over every guest mapping, reserved address space included
 * (4 ms a read with 384 MiB reserved, 0.01 ms natively): the full test
 * took 35-90 s there, several minutes with two suites on the machine.
 */
#define ROUNDS		400
#define ROUNDS_EMULATED	100
static unsigned rounds = ROUNDS;

static unsigned char ret7[CODE_RET_LEN];	/* return 7 */

/* The code a worker has just made, for the namer to race with. */
static _Atomic(void *) latest;
static atomic_int workers_left;

static long ident(long x) { return x; }

static void one_round(unsigned i)
{
	struct tramp_spec spec = { .kind = TRAMP_CHAIN,
				   .target = (void *)ident };
	struct tramp *t;
	void *c;
	int fd;

	switch (i % 3) {
	case 0:
		c = jit_create_code(ret7, sizeof(ret7));
		CHECK(c);
		atomic_store(&latest, c);
		CHECK(jit_name(c, sizeof(ret7), "race_code") == 0);
		CHECK(((int (*)(void))c)() == 7);
		CHECK(jit_destroy_code(c) == 0);
		break;
	case 1:
		t = tramp_create(&spec);
		CHECK(t);
		atomic_store(&latest, tramp_code(t));
		CHECK(tramp_name(t, "race_tramp") == 0);
		CHECK(((long (*)(long))tramp_code(t))(9) == 9);
		tramp_destroy(t);
		break;
	default:
		fd = jitfd_create(ret7, sizeof(ret7), JITFD_CLOEXEC);
		CHECK(fd >= 0);
		c = jitfd_map(fd);
		CHECK(c);
		atomic_store(&latest, c);
		CHECK(jit_name(c, sizeof(ret7), "race_sealed") == 0);
		CHECK(((int (*)(void))c)() == 7);
		CHECK(jitfd_unmap(c) == 0);
		close(fd);
		break;
	}
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (unsigned i = 0; i < rounds; i++)
		one_round(seed + i);
	atomic_fetch_sub(&workers_left, 1);
	return NULL;
}

/* Names whatever was made last: the code may be live (0), freed before
   the name (EINVAL: not code of this process any more) or freed while the
   jitdump publisher copies it (EFAULT), never a crash. */
static void *namer(void *arg)
{
	while (atomic_load(&workers_left) > 0) {
		void *c = atomic_load(&latest);

		if (!c)
			continue;
		if (jit_name(c, sizeof(ret7), "from_namer") == 0)
			jit_unname(c);
		else
			CHECK(errno == EINVAL || errno == EFAULT);
	}
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/trampjit-name-race-XXXXXX";
	char map[64];
	pthread_t w[2], n;

	code_ret(ret7, 7);
	if (emulated()) {
		rounds = ROUNDS_EMULATED;
		fprintf(stderr, "%u rounds, not %u: /proc/self/maps is slow "
			"under qemu-user\n", rounds, ROUNDS);
	}
	CHECK(mkdtemp(dir));
	CHECK(setenv("JITDUMPDIR", dir, 1) == 0);
	if (jit_debug_enable(JIT_DEBUG_ALL) != 0)
		SKIP("publishers unavailable: %s", strerror(errno));
	atomic_store(&workers_left, 2);
	for (unsigned i = 0; i < 2; i++)
		CHECK(pthread_create(&w[i], NULL, worker,
				     (void *)(uintptr_t)i) == 0);
	CHECK(pthread_create(&n, NULL, namer, NULL) == 0);
	for (unsigned i = 0; i < 2; i++)
		CHECK(pthread_join(w[i], NULL) == 0);
	CHECK(pthread_join(n, NULL) == 0);
	CHECK(jit_debug_disable(JIT_DEBUG_ALL) == 0);

	snprintf(map, sizeof(map), "/tmp/perf-%d.map", (int)getpid());
	unlink(map);
	snprintf(map, sizeof(map), "%s/jit-%d.dump", dir, (int)getpid());
	unlink(map);
	CHECK(rmdir(dir) == 0);
	return 0;
}
