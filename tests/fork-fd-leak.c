/* SPDX-License-Identifier: MIT */
/*
 * Many forks, each followed by writes on both sides (stores through a
 * dual-view RW pointer, new code in every heap, frees, a big object): the
 * copies made after each fork leave no descriptor and no mapping behind
 * (/proc/self/fd, and the library's lines of /proc/self/maps, stay put),
 * in the parent and in a child that keeps forking in turn.
 */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define FORKS	100
#define BIG	((size_t)3 << 20)

static int call(const void *c)
{
	return ((int (*)(void))c)();
}

static void *code(size_t len, int v, int mode)
{
	unsigned char b[64];
	unsigned char *big = len > sizeof(b) ? calloc(1, len) : b;
	void *c;

	CHECK(big);
	code_ret(big, (uint32_t)v);
	CHECK(jit_set_code_mode(mode) >= 0);
	c = jit_create_code(big, len > sizeof(b) ? len : CODE_RET_LEN);
	if (big != b)
		free(big);
	CHECK(c && call(c) == v);
	return c;
}

static unsigned char *rx, *rw;

/* One round of writes in every heap. */
static void writes(int i)
{
	void *a = code(64, i, JIT_APPEND_PWRITE);
	void *b = code(64, i + 1, JIT_APPEND_ALIAS);

	code_ret(rw, (uint32_t)i + 2);
	CHECK(jit_dual_commit(rx, CODE_RET_LEN, 0) == 0);
	CHECK(call(rx) == i + 2);
	CHECK(jit_destroy_code(a) == 0);
	CHECK(jit_destroy_code(b) == 0);
	if (i % 16 == 0)
		CHECK(jit_destroy_code(code(BIG, i, JIT_APPEND_PWRITE)) == 0);
}

static void forks(const char *who)
{
	int fds, maps, st;

	for (int i = 0; i < 4; i++) {	/* every heap in steady state */
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0)
			_exit(0);
		writes(i * 16);
		CHECK(waitpid(pid, &st, 0) == pid);
	}
	fds = open_fds();
	/* Only the library's code memfds: the sanitizers' own mappings come
	   and go. */
	maps = maps_count("memfd:trampjit");
	for (int i = 0; i < FORKS; i++) {
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0) {
			/* The child copies too (it has no view of the
			   buffer it inherited: a new one). */
			rx = jit_dual_alloc(64, (void **)&rw);
			CHECK(rx);
			writes(i + 1000);
			_exit(0);
		}
		writes(i);
		CHECK(waitpid(pid, &st, 0) == pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	fprintf(stderr, "%s: %d -> %d descriptors, %d -> %d mappings\n", who,
		fds, open_fds(), maps, maps_count("memfd:trampjit"));
	CHECK(open_fds() <= fds);
	CHECK(maps_count("memfd:trampjit") <= maps + 2);
}

int main(void)
{
	pid_t pid;
	int st;

	rx = jit_dual_alloc(64, (void **)&rw);
	CHECK(rx);
	writes(0);
	forks("parent");
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		rx = jit_dual_alloc(64, (void **)&rw);
		CHECK(rx);
		forks("child");
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
