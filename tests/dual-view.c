/* SPDX-License-Identifier: MIT */
/*
 * jit_dual_*: write through the RW view, commit, run; patch in place and
 * run the new code; free by either view; double, interior and foreign
 * frees are EINVAL; the views convert both ways; a fork child runs the
 * code without any RW view; a JIT_DUAL_SYNC_CORE commit retargets code
 * another thread keeps running, and no call ever sees a stale target.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define FAILS(expr, err)						\
	do {								\
		errno = 0;						\
		CHECK(!(expr));						\
		CHECK(errno == (err));					\
	} while (0)

#define FAILS_INT(expr, err)	FAILS((expr) + 1, err)

static void put_ret(unsigned char *rw, uint32_t v)
{
	code_ret(rw, v);
}

static int call(const void *c)
{
	return ((int (*)(void))c)();
}

/* Perms of the mapping holding a, or "" when none.  Fails on rwx. */
static void perms_at(const void *a, char perms[5])
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512], p[5];
	unsigned long s, e;

	CHECK(m);
	perms[0] = 0;
	while (fgets(line, sizeof(line), m)) {
		CHECK(sscanf(line, "%lx-%lx %4s", &s, &e, p) == 3);
		CHECK(!(p[1] == 'w' && p[2] == 'x'));
		if ((uintptr_t)a >= s && (uintptr_t)a < e)
			memcpy(perms, p, 5);
	}
	fclose(m);
}

static void basics(void)
{
	void *rw, *rw2;
	char *rx = jit_dual_alloc(256, &rw), *rx2;
	int x;

	CHECK(rx && rw && rx != rw);
	CHECK((uintptr_t)rx % 64 == 0);
	CHECK(test_is_fill(rx) && test_is_fill(rw));
	CHECK(jit_dual_rw(rx) == rw && jit_dual_rx(rw) == rx);
	CHECK(jit_dual_rw(rx + 100) == (char *)rw + 100);
	CHECK(jit_dual_rx((char *)rw + 100) == rx + 100);
	FAILS(jit_dual_rw(rw), EINVAL);
	FAILS(jit_dual_rx(rx), EINVAL);
	FAILS(jit_dual_rw(&x), EINVAL);
	FAILS(jit_dual_rx(&x), EINVAL);
	FAILS(jit_dual_rw(NULL), EINVAL);

	put_ret(rw, 1);
	CHECK(jit_dual_commit(rx, CODE_RET_LEN, 0) == 0);
	CHECK(call(rx) == 1);
	put_ret(rw, 2);				/* patch in place */
	CHECK(jit_dual_commit(rw, CODE_RET_LEN, 0) == 0);
	CHECK(call(rx) == 2);
	put_ret((unsigned char *)rw + 64, 3);
	CHECK(jit_dual_commit(rx + 64, CODE_RET_LEN, JIT_DUAL_SYNC_CORE) == 0);
	CHECK(call(rx + 64) == 3);
	CHECK(jit_dual_commit(rx, 256, 0) == 0);

	FAILS_INT(jit_dual_commit(rx, CODE_RET_LEN, 2), EINVAL);
	FAILS_INT(jit_dual_commit(rx, 0, 0), EINVAL);
	FAILS_INT(jit_dual_commit(rx, 257, 0), EINVAL);
	FAILS_INT(jit_dual_commit(rx + 200, SIZE_MAX, 0), EINVAL);
	FAILS_INT(jit_dual_commit(&x, 4, 0), EINVAL);
	FAILS_INT(jit_dual_commit(NULL, 4, 0), EINVAL);
	FAILS(jit_dual_alloc(0, &rw2), EINVAL);
	FAILS(jit_dual_alloc(64, NULL), EINVAL);
	FAILS_INT(jit_destroy_code(rx), EINVAL); /* not jit_create_code's */

	rx2 = jit_dual_alloc(64, &rw2);
	CHECK(rx2 && rx2 != rx);
	FAILS_INT(jit_dual_free(rx + 64), EINVAL);	/* interior */
	FAILS_INT(jit_dual_free((char *)rw + 64), EINVAL);
	FAILS_INT(jit_dual_free(&x), EINVAL);
	CHECK(jit_dual_free(NULL) == 0);
	CHECK(call(rx) == 2);			/* nothing changed */
	CHECK(jit_dual_free(rx) == 0);		/* by the RX view */
	CHECK(jit_dual_free(rw2) == 0);		/* by the RW view */
	FAILS_INT(jit_dual_free(rx), EINVAL);
	FAILS_INT(jit_dual_free(rw2), EINVAL);
	FAILS_INT(jit_dual_commit(rx, CODE_RET_LEN, 0), EINVAL);
}

/* The child runs the code and has no RW view; the parent keeps its own. */
static void forked(void)
{
	void *rw;
	char *rx = jit_dual_alloc(64, &rw), perms[5];
	int st;
	pid_t pid;

	CHECK(rx);
	put_ret(rw, 42);
	CHECK(jit_dual_commit(rx, CODE_RET_LEN, 0) == 0);
	perms_at(rw, perms);
	CHECK(perms[1] == 'w');
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(call(rx) == 42);
		perms_at(rw, perms);
		CHECK(perms[0] != 'r' && perms[1] != 'w');
		perms_at(rx, perms);
		CHECK(perms[0] == 'r' && perms[2] == 'x');
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	put_ret(rw, 43);
	CHECK(jit_dual_commit(rw, CODE_RET_LEN, 0) == 0);
	CHECK(call(rx) == 43);
	CHECK(jit_dual_free(rx) == 0);
}

/*
 * Retargeting under a running thread.  The entry is the landing pad of
 * the architecture, where it has one (a call lands there: "bti c" on
 * aarch64, so that the entry also runs in a program guarded by BTI), and
 * a branch to one of NSLOT 16-byte slots; each round writes "return
 * round" into the next slot, commits it, patches the branch with one
 * store (code_branch_retarget in test_arch.h), commits with
 * JIT_DUAL_SYNC_CORE and then publishes the round.  A caller that saw
 * round g before its call must get at least g.  Slots are rewritten NSLOT
 * rounds after they were left, when no caller is inside.
 */
#define NSLOT	8
#define ROUNDS	2000

static const unsigned char pad[] = TEST_LANDING_PAD;
#define PAD	(TEST_LANDING_PADS ? sizeof(pad) : 0)	/* the branch's offset */

static _Atomic unsigned round_done;
static _Atomic int stop;
static char *entry;

static void *runner(void *arg)
{
	unsigned long *bad = arg;

	while (!atomic_load(&stop)) {
		unsigned g = atomic_load_explicit(&round_done,
						  memory_order_acquire);
		unsigned v = (unsigned)call(entry);

		if (v < g || v > ROUNDS)
			(*bad)++;
	}
	return NULL;
}

static void sync_core(void)
{
	unsigned char *rw;
	unsigned long bad = 0;
	pthread_t t;
	struct jit_stats a, b;

	entry = jit_dual_alloc(16 * (NSLOT + 1), (void **)&rw);
	CHECK(entry);
	put_ret(rw + 16, 0);
	memcpy(rw, pad, PAD);
	code_branch(rw + PAD, 16 - PAD);	/* to slot 0 */
	CHECK(jit_dual_commit(entry, 16 * (NSLOT + 1), 0) == 0);
	CHECK(call(entry) == 0);
	CHECK(jit_get_stats(&a) == 0);
	CHECK(pthread_create(&t, NULL, runner, &bad) == 0);
	for (unsigned g = 1; g <= ROUNDS; g++) {
		unsigned s = 16 * (1 + g % NSLOT);

		put_ret(rw + s, g);
		CHECK(jit_dual_commit(entry + s, CODE_RET_LEN, 0) == 0);
		code_branch_retarget(rw + PAD, s - PAD);
		CHECK(jit_dual_commit(entry + PAD, CODE_BRANCH_LEN,
				      JIT_DUAL_SYNC_CORE) == 0);
		atomic_store_explicit(&round_done, g, memory_order_release);
		CHECK(call(entry) == (int)g);
	}
	atomic_store(&stop, 1);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(jit_get_stats(&b) == 0);
	printf("sync-core: %d retargets, %lu stale results, %lu membarriers\n",
	       ROUNDS, bad, b.membarriers - a.membarriers);
	CHECK(bad == 0);
	CHECK(b.membarriers - a.membarriers >= ROUNDS);
	CHECK(jit_dual_free(rw) == 0);
}

int main(void)
{
	basics();
	forked();
	sync_core();
	return 0;
}
