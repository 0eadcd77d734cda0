/* SPDX-License-Identifier: MIT */
/*
 * jit_dual_alloc_flags(JIT_DUAL_FORK_PRIVATE): a fork child keeps a
 * readable, writable RW view of such a buffer, and its stores patch its
 * own copy, never the parent's; the parent's stores after the fork never
 * reach the child.  A buffer without the flag, even in the same chunk,
 * has no writable view in the child (a store kills it with SIGSEGV).
 * Also for a big buffer (whole chunks), and unknown flags are EINVAL.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define BIG	((size_t)3 << 20)

static int call(const void *c)
{
	return ((int (*)(void))c)();
}

static void put(void *rw, void *rx, int v)
{
	code_ret(rw, (uint32_t)v);
	CHECK(jit_dual_commit(rx, CODE_RET_LEN, 0) == 0);
	CHECK(call(rx) == v);
}

static int wait_status(pid_t pid)
{
	int st;

	CHECK(waitpid(pid, &st, 0) == pid);
	return st;
}

/* A grandchild storing through rw dies of SIGSEGV. */
static int store_faults(void *rw)
{
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		*(volatile unsigned char *)rw = 0xc3;
		_exit(0);
	}
	st = wait_status(pid);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
}

static void run(size_t len, const char *what)
{
	void *prw, *srw;
	char *prx = jit_dual_alloc_flags(len, &prw, JIT_DUAL_FORK_PRIVATE);
	char *srx = jit_dual_alloc(64, &srw);	/* shared: no flag */
	int to_child[2], to_parent[2], st;
	char c;
	pid_t pid;

	CHECK(prx && srx);
	put(prw, prx, 1);
	put(srw, srx, 2);
	CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(100);
		CHECK(call(prx) == 1 && call(srx) == 2);
		/* Not writable before the child's first private store: */
		CHECK(store_faults(srw));
		CHECK(((unsigned char *)prw)[0] == ((unsigned char *)prx)[0]);
		put(prw, prx, 11);		/* its own copy */
		CHECK(call(srx) == 2);
		CHECK(write(to_parent[1], "c", 1) == 1);
		CHECK(read(to_child[0], &c, 1) == 1);	/* parent stored */
		CHECK(call(prx) == 11 && call(srx) == 2);
		_exit(0);
	}
	CHECK(read(to_parent[0], &c, 1) == 1);
	CHECK(call(prx) == 1 && call(srx) == 2);	/* not the child's */
	put(prw, prx, 21);
	put(srw, srx, 22);
	CHECK(write(to_child[1], "p", 1) == 1);
	st = wait_status(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(call(prx) == 21 && call(srx) == 22);
	CHECK(jit_dual_free(prx) == 0);
	CHECK(jit_dual_free(srx) == 0);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	fprintf(stderr, "%s: ok\n", what);
}

/* Once the private buffer is freed, children get no view of its chunk. */
static void freed(void)
{
	void *prw, *srw;
	char *prx = jit_dual_alloc_flags(64, &prw, JIT_DUAL_FORK_PRIVATE);
	char *srx = jit_dual_alloc(64, &srw);
	pid_t pid;
	int st;

	CHECK(prx && srx);
	put(srw, srx, 5);
	CHECK(jit_dual_free(prx) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(call(srx) == 5);
		CHECK(store_faults(srw));
		_exit(0);
	}
	st = wait_status(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(jit_dual_free(srx) == 0);
}

int main(void)
{
	void *rw = NULL;

	alarm(200);	/* a child that failed leaves us waiting */
	errno = 0;
	CHECK(!jit_dual_alloc_flags(64, &rw, 2) && errno == EINVAL);
	CHECK(!jit_dual_alloc_flags(64, NULL, 0) && errno == EINVAL);
	CHECK(!jit_dual_alloc_flags(0, &rw, JIT_DUAL_FORK_PRIVATE) &&
	      errno == EINVAL);
	run(64, "small buffer");
	run(BIG, "big buffer");
	freed();
	return 0;
}
