/* SPDX-License-Identifier: MIT */
/*
 * fork and the code heaps, every kind (pwrite, alias, dual-view, a big
 * object of whole chunks): the child keeps the code it had while the
 * parent rewrites it (a store through a dual-view RW pointer, frees,
 * reuse of the freed space, new code in the same chunks); the child's own
 * writes (frees, new code, reuse) never reach the parent; two forks in a
 * row with no write between them share nothing either.
 */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define CHUNK	((size_t)2 << 20)
#define BIG	((size_t)3 << 20)
#define CHURN	1500		/* objects: above a quarantine batch */

enum { PW, AL, DU, BG, N };

struct obj {
	void *rx;		/* the code */
	unsigned char *rw;	/* its RW view (dual) */
	int v;			/* what it returns */
	char *chunk;		/* its chunk(s) */
	size_t len;		/* their bytes */
	char *copy;		/* their bytes when last saved */
};

static struct obj o[N];

static int call(const void *c)
{
	return ((int (*)(void))c)();
}

static void *code(size_t len, int v, int mode)
{
	unsigned char *b = malloc(len);
	void *c;

	CHECK(b);
	memset(b, 0, len);
	code_ret(b, (uint32_t)v);
	CHECK(jit_set_code_mode(mode) >= 0);
	c = jit_create_code(b, len);
	CHECK(c);
	free(b);
	return c;
}

static void set(struct obj *x, void *rx, int v, size_t len)
{
	x->rx = rx;
	x->v = v;
	x->chunk = (char *)((uintptr_t)rx & ~(uintptr_t)(CHUNK - 1));
	x->len = len;
	free(x->copy);
	x->copy = malloc(len);
	CHECK(x->copy);
}

static void save(void)
{
	for (int i = 0; i < N; i++)
		memcpy(o[i].copy, o[i].chunk, o[i].len);
}

/* Every object returns its value and its chunks hold the saved bytes. */
static int intact(void)
{
	for (int i = 0; i < N; i++)
		if (call(o[i].rx) != o[i].v ||
		    memcmp(o[i].chunk, o[i].copy, o[i].len))
			return 0;
	return 1;
}

static void make_all(int base)
{
	void *rw;
	char *rx;

	set(&o[PW], code(100, base + 1, JIT_APPEND_PWRITE), base + 1, CHUNK);
	set(&o[AL], code(100, base + 2, JIT_APPEND_ALIAS), base + 2, CHUNK);
	set(&o[BG], code(BIG, base + 4, JIT_APPEND_PWRITE), base + 4,
	    2 * CHUNK);
	rx = jit_dual_alloc(100, &rw);
	CHECK(rx);
	o[DU].rw = rw;
	code_ret(rw, (uint32_t)base + 3);
	CHECK(jit_dual_commit(rx, CODE_RET_LEN, 0) == 0);
	set(&o[DU], rx, base + 3, CHUNK);
}

/* Frees, reuse of freed space (a released quarantine batch), new code. */
static void churn(int mode)
{
	static void *objs[CHURN];

	for (int i = 0; i < CHURN; i++)
		objs[i] = code(1024, i, mode);
	for (int i = 0; i < CHURN; i++) {
		CHECK(call(objs[i]) == i);
		CHECK(jit_destroy_code(objs[i]) == 0);
	}
	for (int i = 0; i < CHURN; i++) {
		void *rw, *rx = jit_dual_alloc(1024, &rw);

		CHECK(rx);
		code_ret(rw, (uint32_t)i);
		CHECK(jit_dual_commit(rx, CODE_RET_LEN, 0) == 0);
		CHECK(call(rx) == i);
		CHECK(jit_dual_free(rx) == 0);
	}
}

/* Everything a process writes after a fork: a store through the RW view
   of its dual-view buffer (a child has none for buffers it inherited: it
   makes a new one), frees, reuse, new code. */
static void rewrite(int base, int inherited)
{
	void *rw;
	char *rx;

	if (inherited) {
		CHECK(jit_dual_free(o[DU].rx) == 0);
		rx = jit_dual_alloc(100, &rw);
		CHECK(rx);
		o[DU].rw = rw;
		set(&o[DU], rx, 0, CHUNK);
	}
	code_ret(o[DU].rw, (uint32_t)base + 3);	/* the faulting store */
	CHECK(jit_dual_commit(o[DU].rx, CODE_RET_LEN, 0) == 0);
	o[DU].v = base + 3;
	CHECK(jit_destroy_code(o[PW].rx) == 0);
	CHECK(jit_destroy_code(o[AL].rx) == 0);
	CHECK(jit_destroy_code(o[BG].rx) == 0);
	churn(JIT_APPEND_PWRITE);
	churn(JIT_APPEND_ALIAS);
	set(&o[PW], code(100, base + 1, JIT_APPEND_PWRITE), base + 1, CHUNK);
	set(&o[AL], code(100, base + 2, JIT_APPEND_ALIAS), base + 2, CHUNK);
	set(&o[BG], code(BIG, base + 4, JIT_APPEND_PWRITE), base + 4,
	    2 * CHUNK);
	for (int i = 0; i < N; i++)
		CHECK(call(o[i].rx) == o[i].v);
}

static void wait_ok(pid_t pid)
{
	int st;

	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A child that waits for the parent's writes, checks it still has what
   it had, then writes itself and reports. */
static pid_t child(int go[2], int done[2], int base)
{
	pid_t pid = fork();
	char c;

	CHECK(pid >= 0);
	if (pid)
		return pid;
	alarm(100);
	CHECK(intact());
	CHECK(read(go[0], &c, 1) == 1);		/* the parent wrote */
	CHECK(intact());
	rewrite(base, 1);			/* the child writes */
	CHECK(write(done[1], "c", 1) == 1);
	_exit(0);
}

int main(void)
{
	int go[2], done[2];
	pid_t a, b;
	char c;

	alarm(200);	/* a child that failed leaves us waiting */
	CHECK(pipe(go) == 0 && pipe(done) == 0);
	make_all(0);
	save();

	/* One child; the parent writes, then the child does. */
	a = child(go, done, 100);
	rewrite(10, 0);
	save();
	CHECK(write(go[1], "p", 1) == 1);
	CHECK(read(done[0], &c, 1) == 1);
	wait_ok(a);
	CHECK(intact());
	fprintf(stderr, "one child: ok\n");

	/* Two forks with no write between: all three share the chunks. */
	a = child(go, done, 200);
	b = child(go, done, 300);
	rewrite(20, 0);
	save();
	CHECK(write(go[1], "pp", 2) == 2);
	CHECK(read(done[0], &c, 1) == 1 && read(done[0], &c, 1) == 1);
	wait_ok(a);
	wait_ok(b);
	CHECK(intact());
	fprintf(stderr, "two forks in a row: ok\n");

	/* A child forks in turn, after writing: the grandchild keeps the
	   child's code, the parent keeps its own. */
	a = fork();
	CHECK(a >= 0);
	if (a == 0) {
		rewrite(30, 1);
		save();
		b = child(go, done, 400);
		rewrite(40, 0);
		save();
		CHECK(write(go[1], "p", 1) == 1);
		CHECK(read(done[0], &c, 1) == 1);
		wait_ok(b);
		CHECK(intact());
		_exit(0);
	}
	wait_ok(a);
	CHECK(intact());
	fprintf(stderr, "grandchild: ok\n");
	return 0;
}
