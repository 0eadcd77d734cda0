/* SPDX-License-Identifier: MIT */
/*
 * Tooling: the cost of naming 10,000 JIT objects with each publisher (none,
 * unwind info, GDB JIT interface, perf jitdump, perf map, all), per object
 * over the first thousand and over the tenth: flat means the tenth costs
 * what the first did.  No debugger is attached: this is the process's own
 * cost (building objects, writing records), not gdb's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trampjit.h>
#include "bench.h"

#define TABLE	"naming 10,000 JIT objects (ns per object)"

struct config {
	const char *row;	/* publisher */
	unsigned flags;		/* JIT_DEBUG_* to enable */
	int unwind;		/* jit_name_unwind instead of jit_name */
};

static const struct config configs[] = {
	{ "registry only", 0, 0 },
	{ "unwind info (libgcc + libunwind)", 0, 1 },
	{ "GDB JIT interface", JIT_DEBUG_GDB, 0 },
	{ "perf jitdump", JIT_DEBUG_JITDUMP, 0 },
	{ "perf map", JIT_DEBUG_PERFMAP, 0 },
	{ "all publishers + unwind info", JIT_DEBUG_ALL, 1 },
};

/* One run: name every object, block by block; unname them all. */
static int run(const struct config *c, void **code, long n, long block,
	       double *first, double *last, double *unname)
{
	char name[32];
	double t0 = 0, t;

	if (jit_debug_enable(c->flags))
		return -1;
	for (long i = 0; i < n; i++) {
		int r;

		if (i % block == 0)
			t0 = bench_now_ns();
		snprintf(name, sizeof(name), "jit_fn_%ld", i);
		r = c->unwind ? jit_name_unwind(code[i], 16, name, NULL, 0) :
				jit_name(code[i], 16, name);
		if (r)
			return -1;
		if (i % block == block - 1) {
			t = (bench_now_ns() - t0) / (double)block;
			if (i / block == 0)
				*first = t;
			*last = t;
		}
	}
	t0 = bench_now_ns();
	for (long i = 0; i < n; i++)
		if (jit_unname(code[i]))
			return -1;
	*unname = (bench_now_ns() - t0) / (double)n;
	return jit_debug_disable(JIT_DEBUG_ALL);
}

static void debug_section(void)
{
	long n = bench_n(10000), block = n / 10;
	int reps = bench_reps() < 5 ? bench_reps() : 5;
	unsigned char fn[16];
	char dir[] = "/tmp/trampjit-bench-XXXXXX", cmd[128];
	void **code = calloc((size_t)n, sizeof(*code));

	if (!code || !mkdtemp(dir)) {
		bench_note(TABLE, "skipped: no memory or temporary directory");
		free(code);
		return;
	}
	setenv("JITDUMPDIR", dir, 1);
	memset(fn, 0xcc, sizeof(fn));
	fn[0] = 0xc3;				/* ret */
	for (long i = 0; i < n; i++) {
		code[i] = jit_create_code(fn, sizeof(fn));
		if (!code[i]) {
			bench_note(TABLE, "skipped: jit_create_code: %s",
				   strerror(errno));
			goto out;
		}
	}
	for (size_t k = 0; k < sizeof(configs) / sizeof(*configs); k++) {
		const struct config *c = &configs[k];
		double f[5], l[5], u[5], ratio[5];

		bench_progress("naming: %s", c->row);
		for (int r = 0; r < reps; r++) {
			if (run(c, code, n, block, &f[r], &l[r], &u[r])) {
				bench_note(TABLE, "%s: %s", c->row,
					   strerror(errno));
				jit_debug_disable(JIT_DEBUG_ALL);
				goto next;
			}
			ratio[r] = l[r] / f[r];
		}
		bench_result(TABLE, c->row, "first 1000", bench_stats(f, reps),
			     "ns");
		bench_result(TABLE, c->row, "tenth 1000", bench_stats(l, reps),
			     "ns");
		bench_result(TABLE, c->row, "tenth/first",
			     bench_stats(ratio, reps), "x");
		bench_result(TABLE, c->row, "unname", bench_stats(u, reps),
			     "ns");
next:;
	}
	bench_note(TABLE, "%ld objects of 16 bytes from jit_create_code, "
		   "named one by one, medians of %d runs; GDB objects hold "
		   "64 names each and only the one that changed is rebuilt",
		   n, reps);
out:
	for (long i = 0; i < n && code[i]; i++)
		jit_destroy_code(code[i]);
	free(code);
	snprintf(cmd, sizeof(cmd), "rm -rf %s /tmp/perf-%d.map", dir,
		 (int)getpid());
	if (system(cmd))
		bench_note(TABLE, "could not remove %s", dir);
	unsetenv("JITDUMPDIR");
}

BENCH_SECTION(40, "tooling: naming JIT objects", debug_section)
