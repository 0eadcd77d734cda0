/* SPDX-License-Identifier: MIT */
/*
 * jit_region_*: in every append mode, appends return distinct, aligned,
 * callable functions (also across page boundaries); a full region says
 * ENOMEM and keeps working; a fork child runs the old code, gets a private
 * copy (its appends and the parent's never meet) and, for ALIAS, no
 * writable view; fork copies nothing, the first append on each side
 * does; SWAP keeps the VMA count bounded; no mapping is rwx.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

static const char *const mode_names[] = { "pwrite", "alias", "swap" };

/* A function of len bytes returning v that runs through them. */
static unsigned char *func(size_t len, uint32_t v)
{
	unsigned char *b = malloc(len);

	CHECK(b && len >= CODE_RET_LEN);
	code_func(b, len, v);
	return b;
}

static void *append(struct jit_region *r, size_t len, uint32_t v)
{
	unsigned char *b = func(len, v);
	void *c = jit_region_append(r, b, len);

	if (c)
		CHECK(memcmp(c, b, len) == 0);
	free(b);
	return c;
}

static int call(void *c)
{
	return ((int (*)(void))c)();
}

/* Mappings overlapping [lo, hi); with w, only writable ones.  Fails on
   any rwx mapping. */
static int maps_in(uintptr_t lo, uintptr_t hi, int w)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512], perms[5];
	unsigned long s, e;
	int n = 0;

	CHECK(m);
	while (fgets(line, sizeof(line), m)) {
		CHECK(sscanf(line, "%lx-%lx %4s", &s, &e, perms) == 3);
		CHECK(!(perms[1] == 'w' && perms[2] == 'x'));
		if (s < hi && e > lo && (!w || perms[1] == 'w'))
			n++;
	}
	fclose(m);
	return n;
}

/* Writable mappings of a region's memfd. */
static int writable_region_views(void)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512], perms[5];
	int n = 0;

	CHECK(m);
	while (fgets(line, sizeof(line), m)) {
		CHECK(sscanf(line, "%*x-%*x %4s", perms) == 1);
		if (strstr(line, "memfd:trampjit-region") && perms[1] == 'w')
			n++;
	}
	fclose(m);
	return n;
}

static void basic(int mode)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct jit_region *r = jit_region_create(16 * ps, mode);
	void *f[300], *big, *big2;

	CHECK(r);
	for (uint32_t i = 0; i < 300; i++) {
		f[i] = append(r, CODE_RET_LEN + i % 11, 1000 + i);
		CHECK(f[i]);
		CHECK((uintptr_t)f[i] % JIT_REGION_ALIGN == 0);
		if (i)
			CHECK((char *)f[i] == (char *)f[i - 1] +
			      ((CODE_RET_LEN + (i - 1) % 11 + 15) & ~15u));
		CHECK(call(f[i]) == (int)(1000 + i));
	}
	for (uint32_t i = 0; i < 300; i++)
		CHECK(call(f[i]) == (int)(1000 + i));
	/* Across one page boundary, then across two. */
	big = append(r, ps + 100, 77);
	CHECK(big);
	CHECK(call(big) == 77);
	big2 = append(r, 2 * ps + 300, 78);
	CHECK(big2 && (char *)big2 >= (char *)big + ps + 100);
	CHECK(call(big2) == 78);
	for (uint32_t i = 0; i < 300; i++)
		CHECK(call(f[i]) == (int)(1000 + i));
	/* No room: ENOMEM, the region as it was. */
	errno = 0;
	CHECK(!append(r, 16 * ps, 1) && errno == ENOMEM);
	CHECK(call(big2) == 78);
	void *next = append(r, CODE_RET_LEN, 79);
	CHECK(next == (char *)big2 + ((2 * ps + 300 + 15) & ~(size_t)15));
	CHECK(call(next) == 79);
	CHECK(mode != JIT_APPEND_PWRITE || writable_region_views() == 0);
	CHECK(mode != JIT_APPEND_ALIAS || writable_region_views() == 1);
	jit_region_destroy(r);
}

/* Fill a one-page region with 16-byte slots until ENOMEM. */
static void exhaust(int mode)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), n = 0;
	struct jit_region *r = jit_region_create(1, mode);
	void *f[1024], *c;

	CHECK(r);
	while ((c = append(r, CODE_RET_LEN + n % (JIT_REGION_ALIGN + 1 - CODE_RET_LEN),
			   (uint32_t)n)) != NULL) {
		CHECK(n < 1024);
		f[n++] = c;
	}
	CHECK(errno == ENOMEM);
	CHECK(n == ps / JIT_REGION_ALIGN);
	errno = 0;
	CHECK(!append(r, CODE_RET_LEN, 1) && errno == ENOMEM);
	for (size_t i = 0; i < n; i++)
		CHECK(call(f[i]) == (int)i);
	jit_region_destroy(r);
}

/*
 * The child runs the old code and gets a private copy: the parent's append
 * after the fork does not reach it, and its own append at the same offset
 * does not reach the parent.  The fork copies nothing: the child maps the
 * parent's file until its first append, which moves its code to a file of
 * its own, as the parent's first append does on its side.
 */
static void forked(int mode)
{
	struct jit_region *r = jit_region_create(1 << 16, mode);
	void *f[20], *p;
	unsigned long ino;
	int fds[2], st;
	pid_t pid;
	char c;

	CHECK(r && pipe(fds) == 0);
	for (uint32_t i = 0; i < 20; i++)
		CHECK((f[i] = append(r, 40, 500 + i)) != NULL);
	ino = map_inode(f[0]);
	CHECK(ino != 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		for (uint32_t i = 0; i < 20; i++)
			CHECK(call(f[i]) == (int)(500 + i));
		CHECK(writable_region_views() == 0);
		CHECK(read(fds[0], &c, 1) == 1);
		CHECK(map_inode(f[0]) == ino);	/* nothing copied yet */
		p = (char *)f[19] + 48;
		CHECK(test_is_fill(p));
		CHECK(append(r, CODE_RET_LEN, 900) == p);
		CHECK(map_inode(f[0]) != ino && map_inode(p) == map_inode(f[0]));
		CHECK(call(p) == 900);
		for (uint32_t i = 0; i < 20; i++)
			CHECK(call(f[i]) == (int)(500 + i));
		jit_region_destroy(r);
		_exit(0);
	}
	CHECK(map_inode(f[0]) == ino);
	p = append(r, CODE_RET_LEN, 600);
	CHECK(p == (char *)f[19] + 48);
	CHECK(map_inode(f[0]) != ino);
	CHECK(write(fds[1], "x", 1) == 1);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(call(p) == 600);
	CHECK(call(f[3]) == 503);
	CHECK(mode != JIT_APPEND_ALIAS || writable_region_views() == 1);
	close(fds[0]);
	close(fds[1]);
	jit_region_destroy(r);
}

/* 1,000 swaps of pages: the VMAs of the region stay few. */
static void swap_vmas(void)
{
	size_t cap = 1 << 20;
	struct jit_region *r = jit_region_create(cap, JIT_APPEND_SWAP);
	struct jit_stats a, b;
	char *base = NULL;
	int most = 0;

	CHECK(r && jit_get_stats(&a) == 0);
	for (uint32_t i = 0; i < 1000; i++) {
		void *c = append(r, 200, i);

		CHECK(c);
		if (!base)
			base = c;
		CHECK(call(c) == (int)i);
		int n = maps_in((uintptr_t)base, (uintptr_t)base + cap, 0);

		most = n > most ? n : most;
	}
	CHECK(jit_get_stats(&b) == 0);
	printf("swap: %lu page swaps, at most %d VMAs over 1000 appends\n",
	       b.page_swaps - a.page_swaps, most);
	CHECK(b.page_swaps - a.page_swaps >= 1000);
	CHECK(most <= 24);
	jit_region_destroy(r);
	CHECK(maps_in((uintptr_t)base, (uintptr_t)base + cap, 0) == 0);
}

int main(void)
{
	for (int mode = JIT_APPEND_PWRITE; mode <= JIT_APPEND_SWAP; mode++) {
		printf("mode %s\n", mode_names[mode]);
		basic(mode);
		exhaust(mode);
		forked(mode);
		CHECK(writable_region_views() == 0);
		maps_in(0, 0, 0);
	}
	swap_vmas();
	return 0;
}
