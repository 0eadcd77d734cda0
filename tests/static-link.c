/* SPDX-License-Identifier: MIT */
/*
 * A statically linked program (tests/static-link.ldflags: -static) uses
 * every kind on every backend, JIT code, regions and sealed code files.
 * The library must never dlopen() there (that would load a second libc):
 * unwind info goes to the static libgcc unwinder, so glibc backtrace()
 * still sees through trampolines and named JIT code, and no shared object
 * appears in the process.  Built without -static (sanitizer builds, which
 * cannot link statically), the test skips.
 */
#define _GNU_SOURCE
#include <execinfo.h>
#include <sys/auxv.h>

#define UNWIND(buf, n) backtrace(buf, n)
#include "unwind-common.h"

/* mov $0x2a, %eax; ret */
static unsigned char ret42[CODE_RET_LEN];	/* return 42 */

static void run(enum tramp_backend b)
{
	kinds(b);
	step(b);
	fprintf(stderr, "static program, %s: every kind ok\n",
		backend_names[b]);
}

__attribute__((noinline)) static long jit_callee(long x)
{
	found = sees_want();
	return x * 2;
}

static void jit(void)
{
	void *fn = jit_call_new((void *)jit_callee);
	struct jit_region *r = jit_region_create(4096, JIT_APPEND_PWRITE);
	int fd = jitfd_create(ret42, sizeof(ret42), 0);
	void *code;

	CHECK(jit_name_unwind(fn, JIT_CALL_LEN, "static_jit", jit_call_cfi,
			      sizeof(jit_call_cfi)) == 0);
	found = 0;
	CHECK(call_through((long (*)(long))fn, 21) == 43 && found);
	CHECK(r && fd >= 0);
	code = jit_region_append(r, ret42, sizeof(ret42));
	CHECK(code && ((int (*)(void))code)() == 42);
	code = jitfd_map(fd);
	CHECK(code && ((int (*)(void))code)() == 42);
	CHECK(!jitfd_unmap(code));
	close(fd);
	jit_region_destroy(r);
	CHECK(!jit_unname(fn));
	CHECK(!jit_destroy_code(fn));
}

/* No shared object was loaded behind the program's back. */
static void no_shared_objects(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, ".so")) {
			fprintf(stderr, "shared object mapped: %s", line);
			exit(1);
		}
	}
	fclose(f);
}

int main(void)
{
	code_ret(ret42, 42);
	if (getauxval(AT_BASE))
		SKIP("not statically linked (sanitizer builds cannot link "
		     "with -static)");
	for_each_backend(run);
	jit();
	no_shared_objects();
	return 0;
}
