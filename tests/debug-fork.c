/* SPDX-License-Identifier: MIT */
/*
 * Publishing across fork: a child's names go to its own jit-PID.dump and
 * perf-PID.map (opened at its first tooling call), never into the parent's
 * files, and the parent keeps publishing to its own.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "debug-code.h"

static long callee(long x)
{
	return x + 1;
}

/* Does file path contain the string s? */
static int file_has(const char *path, const char *s)
{
	FILE *f = fopen(path, "rb");
	static char buf[1 << 20];
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	return memmem(buf, n, s, strlen(s)) != NULL;
}

int main(void)
{
	char dir[] = "/tmp/trampjit-fork-XXXXXX", dump[256], map[64];
	char cdump[256], cmap[64], cmd[512];
	void *code = jit_call_new((void *)callee);
	int st;
	pid_t c;

	CHECK(mkdtemp(dir) != NULL);
	setenv("JITDUMPDIR", dir, 1);
	CHECK(jit_debug_enable(JIT_DEBUG_JITDUMP | JIT_DEBUG_PERFMAP) == 0);
	CHECK(jit_name(code, JIT_CALL_LEN, "parent_before_fork") == 0);
	c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		CHECK(jit_name(code, JIT_CALL_LEN, "child_name") == 0);
		CHECK(jit_debug_flags() ==
		      (JIT_DEBUG_JITDUMP | JIT_DEBUG_PERFMAP));
		_exit(((long (*)(long))code)(1) == 2 ? 0 : 1);
	}
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
	CHECK(jit_name(code, JIT_CALL_LEN, "parent_after_fork") == 0);
	snprintf(dump, sizeof(dump), "%s/jit-%d.dump", dir, (int)getpid());
	snprintf(cdump, sizeof(cdump), "%s/jit-%d.dump", dir, (int)c);
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", (int)getpid());
	snprintf(cmap, sizeof(cmap), "/tmp/perf-%d.map", (int)c);
	CHECK(file_has(dump, "parent_before_fork"));
	CHECK(file_has(dump, "parent_after_fork"));
	CHECK(!file_has(dump, "child_name"));
	CHECK(file_has(cdump, "child_name"));
	CHECK(file_has(cdump, "parent_before_fork"));	/* republished */
	CHECK(!file_has(cdump, "parent_after_fork"));
	CHECK(file_has(map, "parent_after_fork") && !file_has(map,
							      "child_name"));
	CHECK(file_has(cmap, "child_name"));
	CHECK(jit_debug_disable(JIT_DEBUG_ALL) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s", dir, map, cmap);
	CHECK(system(cmd) == 0);
	return 0;
}
