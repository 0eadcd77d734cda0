/* SPDX-License-Identifier: MIT */
/*
 * The JIT heap under a live set, and fork with live code, each figure
 * beside its goal:
 *  - random replacement: 4,096 live objects of 64 B, 1 KiB or 16 KiB; each
 *    operation frees one at random and allocates, writes and commits a new
 *    one, on every write path, against asmjit's JitAllocator (dual
 *    mapping) doing the same (goal: >= 1.2x asmjit's speed);
 *  - the pwrite floor: one pwrite(2) of the object into a memfd, against
 *    the pwrite path's replacement (goal: <= 1.5x the floor);
 *  - fork + _exit + waitpid in a process holding 8 MiB of live dual-view
 *    code, against one holding 8 MiB of plain heap (goal: <= 1.2x).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trampjit.h>
#include "bench.h"

#define CHURN	"jit heap: random replacement, 4,096 live objects (ns/op)"
#define GOALS	"jit heap: figures and goals"
#define LIVE	4096

double asmjit_churn_ns(size_t size, long live, long n, const void *src);

enum path { DUAL, ALIAS, PWRITE };

struct churn {
	enum path path;		/* write path under test */
	size_t size;		/* object size */
	void **obj;		/* the live set (RX addresses) */
	uint64_t x;		/* xorshift state */
	const unsigned char *src;	/* the bytes of an object */
};

static size_t pick(struct churn *c)
{
	c->x ^= c->x << 13;
	c->x ^= c->x >> 7;
	c->x ^= c->x << 17;
	return (size_t)(c->x % LIVE);
}

static void *make(struct churn *c)
{
	void *rx, *rw;

	if (c->path != DUAL)
		return jit_create_code(c->src, c->size);
	rx = jit_dual_alloc(c->size, &rw);
	if (!rx)
		return NULL;
	memcpy(rw, c->src, c->size);
	if (jit_dual_commit(rx, c->size, 0))
		return NULL;
	return rx;
}

static void drop(struct churn *c, void *p)
{
	if (c->path == DUAL ? jit_dual_free(p) : jit_destroy_code(p))
		abort();
}

static void loop_churn(void *arg, long n)
{
	struct churn *c = arg;

	for (long i = 0; i < n; i++) {
		size_t k = pick(c);

		drop(c, c->obj[k]);
		c->obj[k] = make(c);
		if (!c->obj[k])
			abort();
	}
}

/* ns per replacement on path, live set made first and freed after. */
static struct stats churn(enum path path, size_t size,
			  const unsigned char *src, long n)
{
	struct churn c = { path, size, calloc(LIVE, sizeof(void *)),
			   88172645463325252ull, src };
	struct stats st;

	if (!c.obj)
		abort();
	jit_set_code_mode(path == ALIAS ? JIT_APPEND_ALIAS :
			  JIT_APPEND_PWRITE);
	for (long i = 0; i < LIVE; i++)
		if (!(c.obj[i] = make(&c)))
			abort();
	st = bench_time(loop_churn, &c, n);
	for (long i = 0; i < LIVE; i++)
		drop(&c, c.obj[i]);
	jit_set_code_mode(JIT_APPEND_PWRITE);
	free(c.obj);
	return st;
}

struct floor {
	int fd;			/* a memfd */
	size_t size;		/* bytes per write */
	const unsigned char *src;
};

/* One pwrite(2) of the object per operation, at changing offsets. */
static void loop_pwrite(void *arg, long n)
{
	struct floor *f = arg;

	for (long i = 0; i < n; i++)
		if (pwrite(f->fd, f->src, f->size,
			   (off_t)((size_t)(i % LIVE) * f->size)) !=
		    (ssize_t)f->size)
			abort();
}

static struct stats pwrite_floor(size_t size, const unsigned char *src,
				 long n)
{
	struct floor f = { memfd_create("bench-floor", MFD_CLOEXEC), size,
			   src };
	struct stats st;

	if (f.fd < 0 || ftruncate(f.fd, (off_t)(LIVE * size)))
		abort();
	st = bench_time(loop_pwrite, &f, n);
	close(f.fd);
	return st;
}

/* One pass over the three sizes: every path, the floor and the peer,
   each figure beside its goal. */
static void churn_pass(int pass, const unsigned char *src)
{
	static const size_t sizes[] = { 64, 1024, 16384 };
	static const char *const cols[] = { "64 B", "1 KiB", "16 KiB" };
	char row[128];

	for (unsigned i = 0; i < 3; i++) {
		long n = bench_n(sizes[i] > 4096 ? 30000 : 100000);
		struct stats dual, alias, pw, fl;
		double v[16], peer;
		int reps = bench_reps() < 16 ? bench_reps() : 16;

		bench_progress("jit heap: random replacement, %s, pass %d",
			       cols[i], pass);
		dual = churn(DUAL, sizes[i], src, n);
		alias = churn(ALIAS, sizes[i], src, n);
		pw = churn(PWRITE, sizes[i], src, n);
		fl = pwrite_floor(sizes[i], src, n);
		snprintf(row, sizeof(row), "jit_dual_alloc+write+commit, "
			 "jit_dual_free, pass %d", pass);
		bench_result(CHURN, row, cols[i], dual, "ns");
		snprintf(row, sizeof(row), "jit_create_code alias, "
			 "jit_destroy_code, pass %d", pass);
		bench_result(CHURN, row, cols[i], alias, "ns");
		snprintf(row, sizeof(row), "jit_create_code pwrite, "
			 "jit_destroy_code, pass %d", pass);
		bench_result(CHURN, row, cols[i], pw, "ns");
		snprintf(row, sizeof(row), "floor: one pwrite(2) into a memfd, "
			 "pass %d", pass);
		bench_result(CHURN, row, cols[i], fl, "ns");
		snprintf(row, sizeof(row), "pwrite path / pwrite(2) floor, "
			 "pass %d (goal <= 1.5x)", pass);
		bench_result(GOALS, row, cols[i],
			     bench_scalar(pw.med / fl.med), "x");
		peer = asmjit_churn_ns(sizes[i], LIVE, n, src);
		if (peer <= 0)
			continue;
		for (int r = 0; r < reps; r++)
			v[r] = asmjit_churn_ns(sizes[i], LIVE, n, src);
		snprintf(row, sizeof(row), "peer: asmjit JitAllocator (dual "
			 "mapping), pass %d", pass);
		bench_result(CHURN, row, cols[i], bench_stats(v, reps), "ns");
		peer = bench_stats(v, reps).med;
		snprintf(row, sizeof(row), "dual-view speed vs asmjit, pass %d "
			 "(goal >= 1.2x)", pass);
		bench_result(GOALS, row, cols[i],
			     bench_scalar(peer / dual.med), "x");
		snprintf(row, sizeof(row), "alias speed vs asmjit, pass %d "
			 "(goal >= 1.2x)", pass);
		bench_result(GOALS, row, cols[i],
			     bench_scalar(peer / alias.med), "x");
	}
}

static void churn_section(void)
{
	unsigned char *src = malloc(16384);

	if (!src)
		return;
	memset(src, 0xcc, 16384);
	memcpy(src, "\xb8\x01\x00\x00\x00\xc3", 6);
	churn_pass(1, src);
	churn_pass(2, src);
	if (asmjit_churn_ns(64, 1, 1, src) < 0)
		bench_note(CHURN, "asmjit peer: not measured (install "
			   "libasmjit-dev and rebuild).");
	bench_note(CHURN, "Each operation frees a random one of 4,096 live "
		   "objects and allocates, writes and commits a new one (asmjit: "
		   "release, alloc, memcpy through the RW view).  Two passes, "
		   "each measuring every row afresh, so noise shows.");
	free(src);
}

BENCH_SECTION(32, "jit heap under a live set", churn_section)

/* ---- fork with live code ---------------------------------------------- */

#define HELD	((size_t)8 << 20)

/* ns per fork + _exit + waitpid, median of bench_reps() runs of n. */
static double fork_ns(long n)
{
	double v[64];
	int reps = bench_reps();

	for (int r = 0; r < reps; r++) {
		double t0 = bench_now_ns();

		for (long i = 0; i < n; i++) {
			pid_t pid = fork();

			if (pid == 0)
				_exit(0);
			if (pid < 0 || waitpid(pid, NULL, 0) != pid)
				abort();
		}
		v[r] = (bench_now_ns() - t0) / (double)n;
	}
	return bench_stats(v, reps).med;
}

/*
 * One side of the fork figure, in a fresh process (`--fork-point code`,
 * `region` or `plain`): hold 8 MiB of live dual-view code (16 KiB
 * buffers, written), of code appended to a region (16 KiB appends, ALIAS
 * mode) or of written malloc memory, and print ns per fork.
 */
int bench_fork_point(const char *what, int quick)
{
	long n = quick ? 3 : 200;

	bench_opts.quick = quick;
	if (!strcmp(what, "code")) {
		for (size_t i = 0; i < HELD / 16384; i++) {
			void *rw, *rx = jit_dual_alloc(16384, &rw);

			if (!rx)
				return 1;
			memset(rw, 0xc3, 16384);
		}
	} else if (!strcmp(what, "region")) {
		struct jit_region *r = jit_region_create(HELD,
							 JIT_APPEND_ALIAS);
		unsigned char *b = malloc(16384);

		if (!r || !b)
			return 1;
		memset(b, 0xc3, 16384);
		for (size_t i = 0; i < HELD / 16384; i++)
			if (!jit_region_append(r, b, 16384))
				return 1;
		free(b);
	} else {
		char *p = malloc(HELD);

		if (!p)
			return 1;
		memset(p, 1, HELD);
	}
	printf("%.0f\n", fork_ns(n));
	return 0;
}

/* Run a fork point in a fresh process; its ns per fork, or -1. */
static double fork_point(const char *what)
{
	char cmd[4400], args[64];
	double ns = -1;
	FILE *p;

	snprintf(args, sizeof(args), "%s--fork-point %s",
		 bench_opts.quick ? "--quick " : "", what);
	if (bench_self_cmd(cmd, sizeof(cmd), NULL, args))
		return -1;
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%lf", &ns) != 1)
		ns = -1;
	if (pclose(p))
		ns = -1;
	return ns;
}

static void fork_section(void)
{
	double code, region, plain;

	bench_progress("jit heap: fork with live code");
	code = fork_point("code");
	region = fork_point("region");
	plain = fork_point("plain");
	if (code < 0 || region < 0 || plain < 0) {
		bench_note(GOALS, "fork figures: not measured (the fork point "
			   "failed).");
		return;
	}
	bench_result(GOALS, "fork+exit+wait, 8 MiB of live dual-view code "
		     "(ns)", "fork", bench_scalar(code), "ns");
	bench_result(GOALS, "fork+exit+wait, 8 MiB of appended region code "
		     "(ns)", "fork", bench_scalar(region), "ns");
	bench_result(GOALS, "fork+exit+wait, 8 MiB of plain heap (ns)", "fork",
		     bench_scalar(plain), "ns");
	bench_result(GOALS, "fork with live code / without (goal <= 1.2x)",
		     "fork", bench_scalar(code / plain), "x");
	bench_result(GOALS, "fork with region code / without (goal <= 1.2x)",
		     "fork", bench_scalar(region / plain), "x");
}

BENCH_SECTION(33, "fork with live code", fork_section)
