/* SPDX-License-Identifier: MIT */
/*
 * The table layout holds at every page size up to 64 KiB (the largest
 * arm64 page): on every backend, the 64 KiB block around a trampoline's
 * code is all mapped with the code's protection, and the 64 KiB block
 * around its co-allocated data has nothing executable.  So no 16 or 64 KiB
 * page would ever hold both code and data, whatever page size this
 * machine runs (the test reads /proc/self/maps, not the page size).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "harness.h"

#define BLOCK	((uintptr_t)64 << 10)
#define COUNT	3000	/* trampolines per backend: more than one table */

/* Calls fn(lo, hi, perms) for each mapping overlapping [lo, hi), in
   order; returns the end of the last contiguous one from lo, or lo when
   lo itself is not mapped. */
static uintptr_t mappings(uintptr_t lo, uintptr_t hi,
			  void (*fn)(const char *perm, const char *want),
			  const char *want)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], perm[5];
	unsigned long s, e;
	uintptr_t at = lo;

	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &s, &e, perm) != 3 ||
		    e <= lo || s >= hi)
			continue;
		fn(perm, want);
		if (s <= at && e > at)
			at = e;
	}
	fclose(f);
	return at;
}

static void same_as(const char *perm, const char *want)
{
	if (strncmp(perm, want, 3)) {
		fprintf(stderr, "a %s mapping next to code mapped %s\n", perm,
			want);
		CHECK(!"code block uniform");
	}
}

static void not_exec(const char *perm, const char *want)
{
	(void)want;
	if (perm[2] == 'x') {
		fprintf(stderr, "an executable mapping (%s) next to data\n",
			perm);
		CHECK(!"data block without code");
	}
}

/* The protection of the mapping holding p. */
static void perm_of(const void *p, char perm[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long s, e;

	CHECK(f);
	perm[0] = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &s, &e, perm) == 3 &&
		    s <= (uintptr_t)p && (uintptr_t)p < e)
			break;
	fclose(f);
	CHECK(perm[0]);
}

static void check(struct tramp *t)
{
	uintptr_t code = (uintptr_t)tramp_code(t) & ~(BLOCK - 1);
	uintptr_t data = (uintptr_t)tramp_data(t) & ~(BLOCK - 1);
	char perm[5];

	perm_of(tramp_code(t), perm);
	CHECK(perm[1] != 'w');
	CHECK(mappings(code, code + BLOCK, same_as, perm) >= code + BLOCK);
	mappings(data, data + BLOCK, not_exec, NULL);
}

static long ident(long x) { return x; }

static void layout(enum tramp_backend b)
{
	static struct tramp *t[COUNT];

	for (int i = 0; i < COUNT; i++)
		t[i] = make_sized(TRAMP_CHAIN, b, (void *)ident, NULL, 16);
	check(t[0]);
	check(t[COUNT / 2]);
	check(t[COUNT - 1]);
	CHECK(((long (*)(long))tramp_code(t[COUNT - 1]))(3) == 3);
	for (int i = 0; i < COUNT; i++)
		tramp_destroy(t[i]);
}

int main(void)
{
	for_each_backend(layout);
	return 0;
}
