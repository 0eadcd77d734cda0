/* SPDX-License-Identifier: MIT */
/*
 * fork while other threads write: one thread keeps storing a counter
 * into a dual-view buffer through its RW pointer (after the buffer's
 * "return 42", one aligned 32-bit store at a time) and committing, another
 * keeps creating and destroying code on the pwrite and alias paths.  The
 * main thread forks again and again; each child must see its buffer's
 * chunk frozen (the same bytes a while later, while the parent goes on
 * storing), run the buffer's code, and create code of its own.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define FORKS	40
#define CHUNK	((size_t)2 << 20)

static _Atomic int stop;
static unsigned char *rx, *rw;		/* "return 42", counter at +64 */

static int call(const void *c)
{
	return ((int (*)(void))c)();
}

static void *patcher(void *arg)
{
	for (uint32_t n = 1; !atomic_load(&stop); n++) {
		atomic_store_explicit((_Atomic uint32_t *)(void *)(rw + 64),
				      n, memory_order_relaxed);
		CHECK(jit_dual_commit(rx + 64, 4, 0) == 0);
	}
	return arg;
}

static void *creator(void *arg)
{
	unsigned char b[CODE_RET_LEN];

	for (uint32_t n = 0; !atomic_load(&stop); n++) {
		void *c;

		code_ret(b, n);
		CHECK(jit_set_code_mode(n & 1 ? JIT_APPEND_ALIAS :
				      JIT_APPEND_PWRITE) >= 0);
		c = jit_create_code(b, sizeof(b));
		CHECK(c && call(c) == (int)n);
		CHECK(jit_destroy_code(c) == 0);
	}
	return arg;
}

static void child(void)
{
	char *chunk = (char *)((uintptr_t)rx & ~(uintptr_t)(CHUNK - 1));
	char *copy = malloc(CHUNK);
	unsigned char b[CODE_RET_LEN];
	void *c;

	CHECK(copy);
	memcpy(copy, chunk, CHUNK);
	CHECK(call(rx) == 42);
	usleep(5000);			/* the parent stores on */
	CHECK(call(rx) == 42);
	CHECK(!memcmp(copy, chunk, CHUNK));
	code_ret(b, 7);
	c = jit_create_code(b, sizeof(b));
	CHECK(c && call(c) == 7);
	_exit(0);
}

int main(void)
{
	pthread_t t[2];
	int st;

	alarm(200);
	rx = jit_dual_alloc(128, (void **)&rw);
	CHECK(rx);
	code_ret(rw, 42);
	CHECK(jit_dual_commit(rx, CODE_RET_LEN, 0) == 0);
	CHECK(pthread_create(&t[0], NULL, patcher, NULL) == 0);
	CHECK(pthread_create(&t[1], NULL, creator, NULL) == 0);
	for (int i = 0; i < FORKS; i++) {
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0)
			child();
		CHECK(waitpid(pid, &st, 0) == pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	atomic_store(&stop, 1);
	CHECK(pthread_join(t[0], NULL) == 0 && pthread_join(t[1], NULL) == 0);
	return 0;
}
