/* SPDX-License-Identifier: MIT */
/*
 * Bad input to the tooling API: NULL, empty, very long, non-UTF-8 and
 * control-character names, ranges that are not code of this process,
 * malformed unwind programs, unknown flags, a jitdump directory that cannot
 * be written.  Each is a clean error with errno; nothing crashes, and the
 * code and trampolines keep working.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include "debug-code.h"

#define FAILS(e, err)							\
	do {								\
		errno = 0;						\
		CHECK((e) == -1);					\
		if (errno != (err))					\
			fprintf(stderr, "%s: errno %d, want %d\n", #e,	\
				errno, err);				\
		CHECK(errno == (err));					\
	} while (0)

static long callee(long x)
{
	return x + 1;
}

static void *code;		/* a JIT function calling callee */
static struct tramp *t;		/* a BIND trampoline to callee */

static long target(void *data, long x)
{
	return x + (long)(intptr_t)data;
}

static void still_works(void)
{
	CHECK(((long (*)(long))code)(1) == 2);
	CHECK(((long (*)(long))tramp_code(t))(1) == 8);
}

static void names(void)
{
	static char longname[JIT_NAME_MAX + 2];
	static const char *const not_utf8[] = {
		"\xff\xfe", "bad\x80tail", "\xc0\x80", "\xe2\x82",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
	};

	FAILS(jit_name(code, JIT_CALL_LEN, NULL), EINVAL);
	FAILS(jit_name(code, JIT_CALL_LEN, ""), EINVAL);
	FAILS(jit_name(code, JIT_CALL_LEN, "line\nbreak"), EINVAL);
	FAILS(jit_name(code, JIT_CALL_LEN, "tab\there"), EINVAL);
	for (size_t i = 0; i < sizeof(not_utf8) / sizeof(*not_utf8); i++)
		FAILS(jit_name(code, JIT_CALL_LEN, not_utf8[i]), EILSEQ);
	memset(longname, 'a', JIT_NAME_MAX + 1);
	FAILS(jit_name(code, JIT_CALL_LEN, longname), ENAMETOOLONG);
	longname[JIT_NAME_MAX] = 0;
	CHECK(jit_name(code, JIT_CALL_LEN, longname) == 0);
	CHECK(jit_name(code, JIT_CALL_LEN, "caf\xc3\xa9 \xce\xbb "
		       "\xf0\x9f\x90\x8d") == 0);	/* é λ snake */
	FAILS(tramp_name(NULL, "x"), EINVAL);
	FAILS(tramp_name(t, NULL), EINVAL);
	CHECK(tramp_name(t, "my closure") == 0);
	still_works();
}

static void ranges(void)
{
	long local = 0;
	char *heap = malloc(64);
	char *stub = tramp_code(t);

	CHECK(heap != NULL);
	FAILS(jit_name(NULL, 16, "x"), EINVAL);
	FAILS(jit_name(code, 0, "x"), EINVAL);
	FAILS(jit_name((void *)-16, 32, "x"), EINVAL);	/* wraps */
	FAILS(jit_name(&local, sizeof(local), "x"), EINVAL); /* stack */
	FAILS(jit_name(heap, 64, "x"), EINVAL);
	FAILS(jit_name((void *)4096, 16, "x"), EINVAL);	/* unmapped */
	FAILS(jit_name(code, (size_t)1 << 40, "x"), EINVAL); /* too long */
	FAILS(jit_name(stub, (size_t)1 << 20, "x"), EINVAL); /* past table */
	FAILS(jit_name_unwind(heap, 64, "x", NULL, 0), EINVAL);
	FAILS(jit_unname(NULL), ENOENT);
	FAILS(jit_unname(heap), ENOENT);
	FAILS(jit_unname((char *)code + 1), ENOENT);
	free(heap);
	still_works();
}

static void cfi(void)
{
	static const unsigned char expr[] = { 0x0f, 2, 0x77, 8 };
	static const unsigned char trunc[] = { 0x0e, 0x80 };
	static const unsigned char far[] = { 0x02, 200, 0x0e, 16 };
	static const unsigned char reg[] = { 0x0d, 120 };	/* no such register */
	static const unsigned char vendor[] = { 0x1c };
	static const unsigned char ok[] = { 0x41, 0x0e, 16, 0x4d, 0x0e, 8 };

	FAILS(jit_name_unwind(code, JIT_CALL_LEN, "f", expr, sizeof(expr)),
	      EINVAL);
	FAILS(jit_name_unwind(code, JIT_CALL_LEN, "f", trunc, sizeof(trunc)),
	      EINVAL);
	FAILS(jit_name_unwind(code, JIT_CALL_LEN, "f", far, sizeof(far)),
	      EINVAL);
	FAILS(jit_name_unwind(code, JIT_CALL_LEN, "f", reg, sizeof(reg)),
	      EINVAL);
	FAILS(jit_name_unwind(code, JIT_CALL_LEN, "f", vendor,
			      sizeof(vendor)), EINVAL);
	FAILS(jit_name_unwind(code, JIT_CALL_LEN, "f", NULL, 4), EINVAL);
	CHECK(jit_name_unwind(code, JIT_CALL_LEN, "f", ok, sizeof(ok)) == 0);
	CHECK(jit_name_unwind(code, JIT_CALL_LEN, "f", jit_call_cfi,
			      sizeof(jit_call_cfi)) == 0);
	still_works();
}

static void publishers(const char *dir)
{
	char path[512], file[512];

	FAILS(jit_debug_enable(0x100), EINVAL);
	FAILS(jit_debug_disable(0x100), EINVAL);
	CHECK(jit_debug_enable(0) == 0);

	snprintf(path, sizeof(path), "%s/missing/dir", dir);
	setenv("JITDUMPDIR", path, 1);
	FAILS(jit_debug_enable(JIT_DEBUG_JITDUMP), ENOENT);
	snprintf(file, sizeof(file), "%s/file", dir);
	fclose(fopen(file, "w"));
	setenv("JITDUMPDIR", file, 1);
	FAILS(jit_debug_enable(JIT_DEBUG_JITDUMP | JIT_DEBUG_GDB), ENOTDIR);
	CHECK(jit_debug_flags() == JIT_DEBUG_GDB);	/* gdb still on */
	if (geteuid() != 0) {		/* root writes anywhere */
		snprintf(path, sizeof(path), "%s/ro", dir);
		CHECK(mkdir(path, 0555) == 0);
		setenv("JITDUMPDIR", path, 1);
		FAILS(jit_debug_enable(JIT_DEBUG_JITDUMP), EACCES);
	}
	CHECK(!(jit_debug_flags() & JIT_DEBUG_JITDUMP));
	still_works();

	/* Everything on: every kind of name still goes through. */
	setenv("JITDUMPDIR", dir, 1);
	CHECK(jit_debug_enable(JIT_DEBUG_ALL) == 0);
	CHECK(jit_debug_flags() == JIT_DEBUG_ALL);
	names();
	ranges();
	cfi();
	CHECK(jit_unname(code) == 0);
	FAILS(jit_unname(code), ENOENT);
	CHECK(jit_debug_disable(JIT_DEBUG_ALL) == 0);
	CHECK(jit_debug_flags() == 0);
	still_works();
}

int main(void)
{
	char dir[] = "/tmp/trampjit-bad-XXXXXX", cmd[256];

	code = jit_call_new((void *)callee);
	t = make(TRAMP_BIND, TRAMP_STATIC, (void *)target, (void *)7);
	still_works();
	names();
	ranges();
	cfi();
	CHECK(mkdtemp(dir) != NULL);
	publishers(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s /tmp/perf-%d.map", dir,
		 (int)getpid());
	CHECK(system(cmd) == 0);
	tramp_destroy(t);
	return 0;
}
