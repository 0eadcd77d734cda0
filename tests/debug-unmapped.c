/* SPDX-License-Identifier: MIT */
/*
 * Names never outlive the mappings they describe in a harmful way:
 *  - after the library unmaps code (jitfd_unmap, a large JIT object's
 *    chunks, a region's teardown), jit_name() over that range is refused
 *    even though an earlier name had it read and cached /proc/self/maps;
 *  - the jitdump publisher never reads memory that is gone: a name whose
 *    code was unmapped (a destroyed region, a mapping the program
 *    unmapped itself) is not published, and the process does not crash.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "test_arch.h"

/* mov $0x2a, %eax; ret */
static unsigned char ret42[CODE_RET_LEN];	/* return 42 */

static void refused(void *code, size_t len)
{
	errno = 0;
	CHECK(jit_name(code, len, "stale") == -1 && errno == EINVAL);
}

static void stale_jitfd(void)
{
	int fd = jitfd_create(ret42, sizeof(ret42), 0);
	void *code = fd >= 0 ? jitfd_map(fd) : NULL;

	CHECK(code);
	close(fd);
	CHECK(!jit_name(code, sizeof(ret42), "jitfd"));
	CHECK(!jit_unname(code));
	CHECK(!jitfd_unmap(code));
	refused(code, sizeof(ret42));
}

static void stale_chunk(void)
{
	size_t len = (size_t)3 << 20;
	unsigned char *src = malloc(len);
	void *code;

	CHECK(src);
	memset(src, 0, len);
	code_ret(src, 0);
	code = jit_create_code(src, len);
	free(src);
	CHECK(code);
	CHECK(!jit_name((char *)code + 4096, 64, "interior"));
	CHECK(!jit_unname((char *)code + 4096));
	CHECK(!jit_destroy_code(code));
	refused((char *)code + 4096, 64);
}

static void *region_code(struct jit_region **r)
{
	void *code;

	*r = jit_region_create(1 << 16, JIT_APPEND_PWRITE);
	CHECK(*r);
	code = jit_region_append(*r, ret42, sizeof(ret42));
	CHECK(code && ((int (*)(void))code)() == 42);
	return code;
}

static void stale_region(void)
{
	struct jit_region *r;
	void *code = region_code(&r);

	CHECK(!jit_name(code, sizeof(ret42), "region"));
	CHECK(!jit_unname(code));
	jit_region_destroy(r);
	refused(code, sizeof(ret42));
}

/* The whole jitdump file, NUL-terminated. */
static char *slurp(const char *path, size_t *n)
{
	struct stat st;
	char *p;
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0 && !fstat(fd, &st));
	p = calloc(1, (size_t)st.st_size + 1);
	CHECK(p && read(fd, p, (size_t)st.st_size) == st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return p;
}

static int has(const char *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s) + 1) != NULL;
}

static void publisher(void)
{
	char dir[] = "/tmp/trampjit-unmapped-XXXXXX", path[4200];
	void *live = jit_create_code(ret42, sizeof(ret42)), *gone, *own;
	struct jit_region *r;
	size_t n;
	char *dump;

	CHECK(live && mkdtemp(dir));
	CHECK(!setenv("JITDUMPDIR", dir, 1));
	CHECK(!jit_name(live, sizeof(ret42), "name-of-live-code"));
	/* A name the region's teardown leaves behind, published later. */
	gone = region_code(&r);
	CHECK(!jit_name(gone, sizeof(ret42), "name-of-gone-code"));
	jit_region_destroy(r);
	CHECK(!jit_debug_enable(JIT_DEBUG_JITDUMP));

	/* A mapping of the program's own, unmapped behind the library's
	   back while the cached maps still show it. */
	own = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(own != MAP_FAILED);
	CHECK(!jit_name(own, 64, "name-of-own-code"));
	CHECK(!jit_unname(own));
	CHECK(!munmap(own, 4096));
	errno = 0;
	CHECK(jit_name(own, 64, "name-of-own-unmapped") == -1);
	CHECK(errno == EFAULT || errno == EINVAL);
	CHECK(!jit_debug_disable(JIT_DEBUG_JITDUMP));

	snprintf(path, sizeof(path), "%s/jit-%d.dump", dir, (int)getpid());
	dump = slurp(path, &n);
	CHECK(has(dump, n, "name-of-live-code"));
	CHECK(has(dump, n, "name-of-own-code"));
	CHECK(!has(dump, n, "name-of-gone-code"));
	CHECK(!has(dump, n, "name-of-own-unmapped"));
	free(dump);
	CHECK(!unlink(path) && !rmdir(dir));
	jit_unname(gone);
	jit_unname(own);
	CHECK(!jit_destroy_code(live));
}

int main(void)
{
	code_ret(ret42, 42);
	stale_jitfd();
	stale_chunk();
	stale_region();
	publisher();
	return 0;
}
