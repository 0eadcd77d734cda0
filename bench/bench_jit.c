/* SPDX-License-Identifier: MIT */
/*
 * JIT code: jit_create_code + jit_destroy_code throughput for 64 B, 1 KiB
 * and 64 KiB objects on each write path, against the baselines measured in
 * the same run (fresh mmap + memcpy + mprotect RX per object, a sealed
 * memfd per object) and asmjit's JitAllocator (dual mapping) as the peer;
 * TLB shootdowns and membarrier calls per 1,000 operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <trampjit.h>
#include "bench.h"

#define JIT	"jit: create+destroy"
#define SYNC	"jit: TLB shootdowns and membarriers per 1,000 operations"
#define RATIO	"jit: targets"

double asmjit_peer_ns(size_t size, long n, const void *src);

static unsigned char *src;	/* the object's bytes: mov $1,%eax; ret */

struct job {
	size_t size;		/* object size */
};

static void loop_jit(void *arg, long n)
{
	struct job *j = arg;

	for (long i = 0; i < n; i++) {
		void *c = jit_create_code(src, j->size);

		if (!c || jit_destroy_code(c))
			abort();
	}
}

static void loop_mprotect(void *arg, long n)
{
	struct job *j = arg;

	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, j->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			abort();
		memcpy(p, src, j->size);
		if (mprotect(p, j->size, PROT_READ | PROT_EXEC))
			abort();
		munmap(p, j->size);
	}
}

static void loop_jitfd(void *arg, long n)
{
	struct job *j = arg;

	for (long i = 0; i < n; i++) {
		int fd = jitfd_create(src, j->size, JITFD_CLOEXEC);
		void *c = fd >= 0 ? jitfd_map(fd) : NULL;

		if (!c)
			abort();
		jitfd_unmap(c);
		close(fd);
	}
}

/*
 * Time loop over n operations into (table, row, col) in ns per operation,
 * and record the TLB shootdowns and membarrier calls per 1,000 operations
 * into sync (columns "<col> TLB/1000", "<col> membarrier/1000").
 */
double bench_jit_measure(const char *table, const char *sync,
			 const char *row, const char *col,
			 void (*loop)(void *, long), void *job, long n)
{
	struct jit_stats s0, s1;
	long tlb0, tlb1;
	struct stats st;
	double ops;
	char c[96];

	jit_get_stats(&s0);
	tlb0 = bench_tlb_shootdowns();
	st = bench_time(loop, job, n);
	tlb1 = bench_tlb_shootdowns();
	jit_get_stats(&s1);
	bench_result(table, row, col, st, "ns");
	/* bench_time runs n/10 warm-up plus bench_reps() * n operations */
	ops = (double)n * bench_reps() + (double)(n / 10 ? n / 10 : 1);
	snprintf(c, sizeof(c), "%s TLB/1000", col);
	if (tlb0 >= 0)
		bench_result(sync, row, c, bench_scalar((double)(tlb1 - tlb0) *
			     1000 / ops), "");
	snprintf(c, sizeof(c), "%s membarrier/1000", col);
	bench_result(sync, row, c, bench_scalar((double)(s1.membarriers -
		     s0.membarriers) * 1000 / ops), "");
	return st.med;
}

static double measure(const char *row, const char *col,
		      void (*loop)(void *, long), struct job *j, long n)
{
	return bench_jit_measure(JIT, SYNC, row, col, loop, j, n);
}

static void jit_section(void)
{
	static const size_t sizes[] = { 64, 1024, 65536 };
	static const char *const cols[] = { "64 B", "1 KiB", "64 KiB" };

	src = malloc(65536);
	if (!src)
		return;
	memset(src, 0xcc, 65536);
	memcpy(src, "\xb8\x01\x00\x00\x00\xc3", 6);
	for (unsigned i = 0; i < 3; i++) {
		struct job j = { sizes[i] };
		long n = bench_n(sizes[i] > 4096 ? 20000 : 200000);
		double pw, al, mp, peer;

		bench_progress("jit: %s objects", cols[i]);
		jit_set_code_mode(JIT_APPEND_PWRITE);
		pw = measure("jit_create_code, pwrite (no writable view)",
			     cols[i], loop_jit, &j, n);
		jit_set_code_mode(JIT_APPEND_ALIAS);
		al = measure("jit_create_code, alias (RW view)", cols[i],
			     loop_jit, &j, n);
		jit_set_code_mode(JIT_APPEND_PWRITE);
		mp = measure("baseline: mmap+memcpy+mprotect RX+munmap",
			     cols[i], loop_mprotect, &j, n / 10 ? n / 10 : 1);
		measure("baseline: sealed memfd per object (jitfd)", cols[i],
			loop_jitfd, &j, n / 10 ? n / 10 : 1);
		peer = asmjit_peer_ns(sizes[i], n, src);
		if (peer > 0) {
			double v[16];
			int reps = bench_reps();

			for (int r = 0; r < reps && r < 16; r++)
				v[r] = asmjit_peer_ns(sizes[i], n, src);
			bench_result(JIT, "peer: asmjit JitAllocator (dual "
				     "mapping)", cols[i],
				     bench_stats(v, reps < 16 ? reps : 16),
				     "ns");
		}
		bench_result(RATIO, "pwrite speed-up over mmap+mprotect "
			     "(target >= 20x at 64 B)", cols[i],
			     bench_scalar(mp / pw), "x");
		bench_result(RATIO, "pwrite cost / alias cost (target <= 10x)",
			     cols[i], bench_scalar(pw / al), "x");
		if (peer > 0)
			bench_result(RATIO, "alias speed vs asmjit (target "
				     ">= 1x)", cols[i],
				     bench_scalar(peer / al), "x");
	}
	if (asmjit_peer_ns(64, 1, src) < 0)
		bench_note(JIT, "asmjit peer: not measured (install "
			   "libasmjit-dev and rebuild).");
	bench_note(JIT, "ns per create+destroy pair (create, write, free), "
		   "objects of each size.");
	bench_note(SYNC, "TLB counts are machine-wide (/proc/interrupts); "
		   "target: zero in steady state. membarrier SYNC_CORE calls "
		   "release quarantined space in batches.");
	free(src);
}

BENCH_SECTION(30, "jit code", jit_section)
