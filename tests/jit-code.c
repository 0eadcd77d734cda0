/* SPDX-License-Identifier: MIT */
/*
 * jit_create_code / jit_destroy_code: code of every size runs; freed space
 * is reused only after quarantine; no mapping of the code is ever
 * writable in the default (pwrite) mode; threads allocate concurrently;
 * a fork child keeps running its code whatever the parent does later.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

/* A function of `len` bytes returning v, then filler-free junk. */
static unsigned char *func(size_t len, uint32_t v)
{
	unsigned char *b = malloc(len);

	CHECK(b && len >= CODE_RET_LEN);
	memset(b, 0x5a, len);
	code_ret(b, v);
	return b;
}

static void *make_code(size_t len, uint32_t v)
{
	unsigned char *b = func(len, v);
	void *c = jit_create_code(b, len);

	CHECK(c != NULL);
	CHECK(memcmp(c, b, len) == 0);
	free(b);
	return c;
}

static int call(void *c)
{
	return ((int (*)(void))c)();
}

/* No mapping is rwx; in pwrite mode nothing writable maps the heap's
   memfd at all. */
static void check_maps(int pwrite_only)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512];

	CHECK(m);
	while (fgets(line, sizeof(line), m)) {
		char perms[5];

		CHECK(sscanf(line, "%*x-%*x %4s", perms) == 1);
		CHECK(!(perms[1] == 'w' && perms[2] == 'x'));
		if (pwrite_only && strstr(line, "memfd:trampjit-code ") &&
		    perms[1] == 'w') {
			fprintf(stderr, "writable code view: %s", line);
			exit(1);
		}
	}
	fclose(m);
}

static void *hammer(void *arg)
{
	uint32_t base = (uint32_t)(uintptr_t)arg;

	for (uint32_t i = 0; i < 20000; i++) {
		void *c = make_code(64 + (i % 7) * 40, base + i);

		CHECK(call(c) == (int)(base + i));
		CHECK(jit_destroy_code(c) == 0);
	}
	return NULL;
}

int main(void)
{
	static const size_t sizes[] = { CODE_RET_LEN, 64, 65, 1024, 4096, 65536,
					(size_t)3 << 20 };
	void *c[8], *keep;
	struct jit_stats st0, st1;
	pthread_t th[2];
	int status;

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		c[i] = make_code(sizes[i], 100 + i);
		CHECK(((uintptr_t)c[i] & 63) == 0);
	}
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		CHECK(call(c[i]) == (int)(100 + i));
	check_maps(1);

	/* Foreign, interior, double destroy: EINVAL, nothing changed. */
	int local;
	CHECK(jit_destroy_code(&local) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code((char *)c[3] + 64) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code((char *)c[3] + 1) == -1 && errno == EINVAL);
	CHECK(call(c[3]) == 103);
	CHECK(jit_destroy_code(c[3]) == 0);
	CHECK(jit_destroy_code(c[3]) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code(NULL) == 0);

	/* Quarantine: destroying many objects releases them in batches
	   behind one membarrier each, not one per object. */
	CHECK(jit_get_stats(&st0) == 0);
	for (int i = 0; i < 4000; i++)
		CHECK(jit_destroy_code(make_code(64, (uint32_t)i)) == 0);
	CHECK(jit_get_stats(&st1) == 0);
	fprintf(stderr, "4000 create+destroy: %lu membarriers, %lu batches\n",
		st1.membarriers - st0.membarriers,
		st1.quarantine_flushes - st0.quarantine_flushes);
	CHECK(st1.quarantine_flushes > st0.quarantine_flushes);
	CHECK(st1.membarriers - st0.membarriers <= 4000 / 100);

	/* Two threads at once. */
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, hammer,
				     (void *)(uintptr_t)(1000000 * (i + 1)))
		      == 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);

	/* fork: the child's code stays its own while the parent frees and
	   reuses the space. */
	keep = make_code(64, 777);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(100000);
		check_maps(1);
		if (call(keep) != 777 || call(c[0]) != 100) {
			fprintf(stderr, "child: %d %d\n", call(keep),
				call(c[0]));
			_exit(1);
		}
		_exit(0);
	}
	CHECK(jit_destroy_code(keep) == 0);
	for (int i = 0; i < 3000; i++)	/* force release and reuse */
		CHECK(jit_destroy_code(make_code(64, 5)) == 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status))
		fprintf(stderr, "child killed by signal %d\n",
			WTERMSIG(status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The alias write path: a read-write view exists, never rwx. */
	CHECK(jit_set_code_mode(JIT_APPEND_ALIAS) == JIT_APPEND_PWRITE);
	keep = make_code(1024, 31337);
	CHECK(call(keep) == 31337);
	check_maps(1);
	CHECK(jit_destroy_code(keep) == 0);
	CHECK(jit_set_code_mode(JIT_APPEND_SWAP) == -1 && errno == EINVAL);
	CHECK(jit_set_code_mode(JIT_APPEND_PWRITE) == JIT_APPEND_ALIAS);

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (i != 3)
			CHECK(jit_destroy_code(c[i]) == 0);
	return 0;
}
