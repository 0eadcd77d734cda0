/* SPDX-License-Identifier: MIT */
/*
 * fork: the child can call every trampoline and make new ones; a retarget
 * in the parent after fork does not change the child's trampoline, and
 * one in the child does not change the parent's.  The fork happens while
 * another thread creates and destroys trampolines (no inherited lock).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static long ret_a(long x) { return x + 100; }
static long ret_b(long x) { return x + 200; }
static long bind_a(void *d, long x) { return (long)(intptr_t)d + x; }

static void h_add(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, tramp_arg(f, 0) + (uintptr_t)data);
}

static atomic_int stop;
static enum tramp_backend cur;

static void *churn(void *arg)
{
	struct tramp_spec spec = { .kind = TRAMP_BIND, .backend = cur,
				   .target = (void *)bind_a };

	while (!atomic_load(&stop)) {
		struct tramp *t = tramp_create(&spec);

		CHECK(t);
		tramp_destroy(t);
	}
	return NULL;
}

static void run(enum tramp_backend b)
{
	struct tramp *tc = make(TRAMP_CHAIN, b, (void *)ret_a, NULL);
	struct tramp *tb = make(TRAMP_BIND, b, (void *)bind_a, (void *)5);
	struct tramp *th = make(TRAMP_HANDLER, b, (void *)h_add, (void *)7);
	long (*fc)(long) = (long (*)(long))tramp_code(tc);
	long (*fb)(long) = (long (*)(long))tramp_code(tb);
	long (*fh)(long) = (long (*)(long))tramp_code(th);
	int pfd[2], cfd[2], st;
	pthread_t thr;
	char c;
	pid_t pid;

	cur = b;
	atomic_store(&stop, 0);
	CHECK(pthread_create(&thr, NULL, churn, NULL) == 0);
	usleep(1000);
	CHECK(pipe(pfd) == 0 && pipe(cfd) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct tramp *n;

		CHECK(fc(1) == 101 && fb(1) == 6 && fh(1) == 8);
		/* Wait until the parent has retargeted. */
		CHECK(read(pfd[0], &c, 1) == 1);
		CHECK(fc(1) == 101 && fb(1) == 6 && fh(1) == 8);
		/* Retarget here; the parent must not see it. */
		CHECK(tramp_retarget(tc, (void *)ret_b, NULL) == 0);
		CHECK(tramp_retarget(tb, (void *)bind_a, (void *)1000) == 0);
		CHECK(fc(1) == 201 && fb(1) == 1001);
		/* New trampolines work in the child (no inherited lock). */
		n = make(TRAMP_BIND, b, (void *)bind_a, (void *)3);
		CHECK(((long (*)(long))tramp_code(n))(4) == 7);
		tramp_destroy(n);
		CHECK(write(cfd[1], "x", 1) == 1);
		_exit(0);
	}
	CHECK(tramp_retarget(tc, (void *)ret_b, NULL) == 0);
	CHECK(tramp_retarget(th, (void *)h_add, (void *)70) == 0);
	CHECK(fc(1) == 201 && fh(1) == 71);
	CHECK(tramp_retarget(tc, (void *)ret_a, NULL) == 0);
	CHECK(write(pfd[1], "x", 1) == 1);
	CHECK(read(cfd[0], &c, 1) == 1);
	CHECK(fc(1) == 101 && fb(1) == 6);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	atomic_store(&stop, 1);
	pthread_join(thr, NULL);
	close(pfd[0]); close(pfd[1]); close(cfd[0]); close(cfd[1]);
	tramp_destroy(tc);
	tramp_destroy(tb);
	tramp_destroy(th);
	fprintf(stderr, "fork on %s: ok\n", backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
