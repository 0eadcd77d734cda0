/* SPDX-License-Identifier: MIT */
/*
 * Appendable regions and dual-view buffers: appends per second per mode,
 * and dual-view alloc + write + commit + free, for the same object sizes
 * as the JIT table, against asmjit's JitAllocator (dual mapping) measured
 * in the same run; TLB shootdowns and membarrier calls per 1,000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trampjit.h>
#include "bench.h"

#define APPEND	"jit: appends and dual-view buffers"
#define TARGETS	"jit: targets"
#define SYNC	"jit: TLB shootdowns and membarriers per 1,000 operations"

double asmjit_peer_ns(size_t size, long n, const void *src);

static unsigned char *src;

struct job {
	size_t size;		/* bytes per append or buffer */
	int mode;		/* region mode */
};

/* Appends into regions of 64 MiB, a new region whenever one fills. */
static void loop_append(void *arg, long n)
{
	struct job *j = arg;
	struct jit_region *r = jit_region_create((size_t)64 << 20, j->mode);

	for (long i = 0; r && i < n; i++) {
		if (!jit_region_append(r, src, j->size)) {
			jit_region_destroy(r);
			r = jit_region_create((size_t)64 << 20, j->mode);
			if (!r || !jit_region_append(r, src, j->size))
				abort();
		}
	}
	if (!r)
		abort();
	jit_region_destroy(r);
}

static void loop_dual(void *arg, long n)
{
	struct job *j = arg;

	for (long i = 0; i < n; i++) {
		void *rw, *rx = jit_dual_alloc(j->size, &rw);

		if (!rx)
			abort();
		memcpy(rw, src, j->size);
		if (jit_dual_commit(rx, j->size, 0) || jit_dual_free(rx))
			abort();
	}
}

static double measure(const char *row, const char *col,
		      void (*loop)(void *, long), struct job *j, long n)
{
	return bench_jit_measure(APPEND, SYNC, row, col, loop, j, n);
}

static void append_section(void)
{
	static const size_t sizes[] = { 64, 1024 };
	static const char *const cols[] = { "64 B", "1 KiB" };
	static const char *const modes[] = {
		"region append, pwrite", "region append, alias",
		"region append, swap",
	};

	src = malloc(1024);
	if (!src)
		return;
	memset(src, 0xcc, 1024);
	memcpy(src, "\xb8\x01\x00\x00\x00\xc3", 6);
	for (unsigned i = 0; i < 2; i++) {
		long n = bench_n(100000);
		double t[3], dual, peer;

		for (int m = 0; m < 3; m++) {
			struct job j = { sizes[i], m };

			bench_progress("appends: %s %s", modes[m], cols[i]);
			t[m] = measure(modes[m], cols[i], loop_append, &j,
				       m == JIT_APPEND_SWAP ? n / 10 : n);
		}
		struct job j = { sizes[i], 0 };
		dual = measure("dual-view alloc+write+commit+free", cols[i],
			       loop_dual, &j, n);
		peer = asmjit_peer_ns(sizes[i], n, src);
		if (peer > 0) {
			bench_result(APPEND, "peer: asmjit JitAllocator (dual "
				     "mapping)", cols[i], bench_scalar(peer),
				     "ns");
			bench_result(TARGETS, "alias append speed vs asmjit "
				     "(target >= 1x)", cols[i],
				     bench_scalar(peer / t[JIT_APPEND_ALIAS]),
				     "x");
			bench_result(TARGETS, "dual-view speed vs asmjit "
				     "(target >= 1x)", cols[i],
				     bench_scalar(peer / dual), "x");
		}
		bench_result(TARGETS, "pwrite append cost / alias append cost "
			     "(target <= 10x)", cols[i],
			     bench_scalar(t[JIT_APPEND_PWRITE] /
					  t[JIT_APPEND_ALIAS]), "x");
	}
	bench_note(APPEND, "ns per append (regions of 64 MiB, replaced when "
		   "full) or per dual-view buffer life. Appends: %.0f per "
		   "second with alias, %.0f with pwrite, %.0f with swap "
		   "(64 B).", 1e9 / bench_get(APPEND, "region append, alias",
					       "64 B"),
		   1e9 / bench_get(APPEND, "region append, pwrite", "64 B"),
		   1e9 / bench_get(APPEND, "region append, swap", "64 B"));
	free(src);
}

BENCH_SECTION(31, "appends and dual-view buffers", append_section)
