/* SPDX-License-Identifier: MIT */
/*
 * gdb (batch mode) inserts software breakpoints in code of every JIT path
 * and in a trampoline stub while the GDB publisher is on, and code written
 * later into the page that holds a breakpoint runs correctly.  The child
 * creates code A (returns 41), stops at marker(), where gdb sets
 * "break *A" and continues; it calls A (hit 1), writes code B (returns 42)
 * into A's page, calls B (which must return 42), calls A (hit 2: the
 * breakpoint outlived the write), stops at marker() again, where gdb
 * takes its breakpoints out and puts them back, and calls A and B (hit 3).
 * The child exits non-zero on any wrong result, or if a mapping is
 * writable and executable or A's is not private read+execute.  Without
 * the publisher, gdb cannot insert the breakpoint (control run).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <unistd.h>
#include "gdb-batch.h"
#include "test_arch.h"

static unsigned char ret41[CODE_RET_LEN];	/* return 41 */
static unsigned char ret42[CODE_RET_LEN];	/* return 42 */

void *volatile code_a;

__attribute__((noinline)) void marker(void)
{
	__asm__ volatile("");
}

/* Call code as long (*)(long) with 41: JIT code returns its constant, the
   trampoline (CHAIN to callee) returns the argument. */
static long call(void *code)
{
	long (*fn)(long);

	memcpy(&fn, &code, sizeof(fn));
	return fn(41);
}

static long callee(long x)
{
	return x;
}

static int same_page(const void *a, const void *b)
{
	return (uintptr_t)a / 4096 == (uintptr_t)b / 4096;
}

/* No mapping is writable and executable; the one holding addr is
   read+execute and private (where the debugger's copy lives). */
static void check_maps(const void *addr)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512], perms[5];
	int found = 0;

	CHECK(m != NULL);
	while (fgets(line, sizeof(line), m)) {
		uintptr_t lo, hi;

		CHECK(sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3);
		CHECK(!(perms[1] == 'w' && perms[2] == 'x'));
		if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			CHECK(!strcmp(perms, "r-xp"));
			found = 1;
		}
	}
	fclose(m);
	CHECK(found);
}

/* Code B in A's page, written after the breakpoint went in. */
static void *write_b(const char *path, struct jit_region *r, void *rw)
{
	void *b = NULL;

	if (!strncmp(path, "create", 6)) {
		for (int i = 0; i < 64 && !(b && same_page(code_a, b)); i++)
			b = jit_create_code(ret42, sizeof(ret42));
	} else if (!strncmp(path, "region", 6)) {
		b = jit_region_append(r, ret42, sizeof(ret42));
	} else if (!strcmp(path, "dual")) {
		memcpy((char *)rw + 64, ret42, sizeof(ret42));
		CHECK(jit_dual_commit((char *)code_a + 64, sizeof(ret42),
				      JIT_DUAL_SYNC_CORE) == 0);
		b = (char *)code_a + 64;
	}
	CHECK(!b || same_page(code_a, b));
	return b;
}

static int child(const char *path)
{
	struct jit_region *r = NULL;
	struct tramp *t = NULL;
	void *rw = NULL, *b;

	if (!strcmp(path, "create")) {
		code_a = jit_create_code(ret41, sizeof(ret41));
	} else if (!strcmp(path, "create-alias")) {
		CHECK(jit_set_code_mode(JIT_APPEND_ALIAS) >= 0);
		code_a = jit_create_code(ret41, sizeof(ret41));
	} else if (!strncmp(path, "region-", 7)) {
		int m = !strcmp(path, "region-pwrite") ? JIT_APPEND_PWRITE :
			!strcmp(path, "region-alias") ? JIT_APPEND_ALIAS :
			JIT_APPEND_SWAP;

		r = jit_region_create(1 << 16, m);
		CHECK(r != NULL);
		code_a = jit_region_append(r, ret41, sizeof(ret41));
	} else if (!strcmp(path, "dual")) {
		code_a = jit_dual_alloc(128, &rw);
		CHECK(code_a != NULL);
		memcpy(rw, ret41, sizeof(ret41));
		CHECK(jit_dual_commit(code_a, sizeof(ret41), 0) == 0);
	} else if (!strcmp(path, "jitfd")) {
		int fd = jitfd_create(ret41, sizeof(ret41), JITFD_CLOEXEC);

		CHECK(fd >= 0);
		code_a = jitfd_map(fd);
		close(fd);
	} else if (!strcmp(path, "tramp")) {
		struct tramp_spec spec = { .kind = TRAMP_CHAIN,
					   .backend = TRAMP_STATIC };
		long (*target)(long) = callee;

		memcpy(&spec.target, &target, sizeof(spec.target));
		spec.data = (void *)41;
		t = tramp_create(&spec);
		CHECK(t != NULL);
		code_a = tramp_code(t);
	} else {
		return 2;
	}
	CHECK(code_a != NULL);
	marker();
	CHECK(call(code_a) == 41);
	b = write_b(path, r, rw);
	if (b)
		CHECK(call(b) == 42);
	CHECK(call(code_a) == 41);
	check_maps(code_a);
	marker();
	CHECK(call(code_a) == 41);
	if (b)
		CHECK(call(b) == 42);
	tramp_destroy(t);
	jit_region_destroy(r);
	return 0;
}

/* Run the child for path under gdb; returns gdb's output (malloc'ed). */
static char *gdb(const char *self, const char *path, int publisher)
{
	char script[512];

	snprintf(script, sizeof(script), "%s\n"
		 "break marker\nrun\n"
		 "break *(unsigned long)code_a\n"
		 "commands 2\nsilent\necho ==HIT==\\n\ncontinue\nend\n"
		 "commands 1\nsilent\ncontinue\nend\n"
		 "continue\n",
		 publisher ? "set environment TRAMPJIT_DEBUG gdb" :
			     "unset environment TRAMPJIT_DEBUG");
	return gdb_batch(script, self, path);
}

static int count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s++;
	}
	return n;
}

int main(int argc, char **argv)
{
	static const char *paths[] = {
		"create", "create-alias", "region-pwrite", "region-alias",
		"region-swap", "dual", "jitfd", "tramp",
	};
	char *out;

	code_ret(ret41, 41);
	code_ret(ret42, 42);
	if (argc == 3 && !strcmp(argv[1], "child"))
		_exit(child(argv[2]));	/* LeakSanitizer fails under ptrace */
	if (emulated())
		SKIP("under %s gdb's breakpoints live in the emulator's "
		     "translator and never reach the code pages, which is "
		     "what this test checks", getenv("TRAMPJIT_TEST_RUNNER"));
	if (!gdb_program())
		SKIP("gdb not installed");
	/* Control: shared read-only mappings take no breakpoint. */
	out = gdb(argv[0], "create", 0);
	if (!strstr(out, "Cannot insert breakpoint"))
		fprintf(stderr, "control run without the publisher:\n%s\n",
			out);
	CHECK(strstr(out, "Cannot insert breakpoint"));
	free(out);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int want = 3;

		out = gdb(argv[0], paths[i], 1);
		if (count(out, "==HIT==") != want ||
		    !strstr(out, "exited normally"))
			fprintf(stderr, "%s: gdb output:\n%s\n", paths[i],
				out);
		CHECK(count(out, "==HIT==") == want);
		CHECK(strstr(out, "exited normally"));
		fprintf(stderr, "breakpoints in %s: ok\n", paths[i]);
		free(out);
	}
	return 0;
}
