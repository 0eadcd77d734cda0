/* SPDX-License-Identifier: MIT */
/*
 * jit_create_code / jit_destroy_code: packed small objects, filler around
 * them, large objects, destroy validation, quarantine reuse, both write
 * paths, fork privacy, and no writable or rwx mapping of the code.
 */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

typedef long fn(void);

/* mov $v, %rax; ret, padded with nops to len bytes (len >= 11) */
static void emit(unsigned char *b, size_t len, long v)
{
	memset(b, 0x90, len);
	b[len - 11] = 0x48;
	b[len - 10] = 0xb8;
	memcpy(b + len - 9, &v, 8);
	b[len - 1] = 0xc3;
}

static void *make_fn(size_t len, long v)
{
	unsigned char *b = malloc(len);
	void *code;

	CHECK(b);
	emit(b, len, v);
	code = jit_create_code(b, len);
	free(b);
	return code;
}

/* Lines of /proc/self/maps with perms starting with p (e.g. "rwx") or,
   with name, of the mapping called name having a 'w'. */
static int maps_count(const char *perms, const char *name)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ' ');

		if (!p)
			continue;
		if (perms && !strncmp(p + 1, perms, strlen(perms)))
			n++;
		if (name && strstr(line, name) && p[2] == 'w')
			n++;
	}
	fclose(f);
	return n;
}

static void basics(void)
{
	fn *a = make_fn(16, 1), *b = make_fn(16, 2);
	unsigned char *pa = (unsigned char *)a;

	CHECK(a && b);
	CHECK(a() == 1 && b() == 2);
	CHECK((uintptr_t)a % 64 == 0);
	/* packed: same page; the rest of a's granule is filler */
	CHECK(((uintptr_t)a >> 12) == ((uintptr_t)b >> 12));
	for (int i = 16; i < 64; i++)
		CHECK(pa[i] == 0xcc);
	/* validation: foreign, interior, double */
	errno = 0;
	CHECK(jit_destroy_code((void *)basics) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code(pa + 1) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code(pa + 32) == -1 && errno == EINVAL);
	fn *c = make_fn(200, 3);
	CHECK(c && c() == 3);
	CHECK(jit_destroy_code((char *)c + 64) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code((char *)c + 192) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code(c) == 0);
	CHECK(a() == 1);
	CHECK(jit_destroy_code(a) == 0);
	errno = 0;
	CHECK(jit_destroy_code(a) == -1 && errno == EINVAL);
	CHECK(b() == 2);
	CHECK(jit_destroy_code(b) == 0);
	CHECK(jit_destroy_code(NULL) == 0);
}

static void sizes(void)
{
	static const size_t lens[] = { 11, 64, 65, 1024, 4097, 65536,
				       (1 << 20) + 1, 3 << 20 };

	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		fn *f = make_fn(lens[i], (long)i + 100);

		CHECK(f);
		CHECK(f() == (long)i + 100);
		CHECK(jit_destroy_code((char *)f + 64) == -1);
		CHECK(jit_destroy_code(f) == 0);
	}
}

/* Many objects, freed and reused through several quarantine batches. */
static void churn(void)
{
	enum { N = 3000 };
	static fn *f[N];
	struct jit_stats s0, s1;

	CHECK(jit_get_stats(&s0) == 0);
	for (int r = 0; r < 3; r++) {
		for (long i = 0; i < N; i++) {
			f[i] = make_fn(16 + (size_t)(i % 200), i * 7 + r);
			CHECK(f[i]);
		}
		for (long i = 0; i < N; i++)
			CHECK(f[i]() == i * 7 + r);
		for (long i = 0; i < N; i++)
			CHECK(jit_destroy_code(f[i]) == 0);
	}
	CHECK(jit_get_stats(&s1) == 0);
	CHECK(s1.quarantine_flushes > s0.quarantine_flushes);
	CHECK(s1.membarriers > s0.membarriers);
}

/* A fork child keeps its code even after the parent frees and reuses it. */
static void fork_private(void)
{
	enum { N = 600 };
	static fn *f[N];
	int pfd[2];
	char c;
	pid_t pid;
	int st;

	for (long i = 0; i < N; i++)
		CHECK((f[i] = make_fn(32, i)));
	CHECK(pipe(pfd) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (read(pfd[0], &c, 1) != 1)
			_exit(2);
		for (long i = 0; i < N; i++)
			if (f[i]() != i)
				_exit(3);
		_exit(0);
	}
	for (long i = 0; i < N; i++)
		CHECK(jit_destroy_code(f[i]) == 0);
	for (long i = 0; i < N; i++)	/* reuse the space */
		CHECK((f[i] = make_fn(32, -i)));
	CHECK(write(pfd[1], "x", 1) == 1);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (long i = 0; i < N; i++) {
		CHECK(f[i]() == -i);
		CHECK(jit_destroy_code(f[i]) == 0);
	}
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	basics();
	sizes();
	churn();
	fork_private();
	/* the default path never maps the code writable */
	CHECK(maps_count(NULL, "memfd:trampjit-code (") == 0);
	CHECK(maps_count(NULL, "memfd:trampjit-code ") == 0);
	CHECK(jit_set_code_mode(JIT_APPEND_ALIAS) == JIT_APPEND_PWRITE);
	basics();
	sizes();
	churn();
	fork_private();
	CHECK(jit_set_code_mode(JIT_APPEND_SWAP) == -1 && errno == EINVAL);
	CHECK(jit_set_code_mode(JIT_APPEND_PWRITE) == JIT_APPEND_ALIAS);
	CHECK(maps_count("rwx", NULL) == 0);
	fprintf(stderr, "memfd: %s\n", jitfd_memfd_mode());
	return 0;
}
