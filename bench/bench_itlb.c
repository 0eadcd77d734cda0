/* SPDX-License-Identifier: MIT */
/*
 * iTLB: call throughput over 100,000 small JIT functions (64 bytes apart,
 * 6.4 MB of code) called round-robin, in address order and in random
 * order, from trampjit's heaps, asmjit's JitAllocator, and two references
 * with the same density: anonymous memory in 4 KiB pages and in 2 MiB
 * transparent huge pages (written, then mprotect read+execute), and the
 * shmem huge pages a memfd-backed heap could use (memfd + MADV_HUGEPAGE,
 * which the kernel grants only when shmem THP is enabled).
 */
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <trampjit.h>
#include "bench.h"
#include "test_arch.h"

#define ITLB	"iTLB: 100,000 small JIT functions called round-robin"
#define FN_SIZE	64
#define HUGE_SZ	((size_t)2 << 20)

int asmjit_itlb_make(long n, const void *src, size_t size, void **fns);
void asmjit_itlb_free(void);

/* Returns 1 (the architecture's code_ret), then zeros up to FN_SIZE. */
static unsigned char fn_bytes[FN_SIZE];

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per call over `rounds` passes through fns[0..n), CPU time. */
static double call_all(void *const *fns, long n, int rounds)
{
	double t0 = cpu_ns();
	long x = 0;

	for (int r = 0; r < rounds; r++)
		for (long i = 0; i < n; i++) {
			long (*fn)(long);

			memcpy(&fn, &fns[i], sizeof(fn));
			x += fn(x);
		}
	if (x != (long)rounds * n)
		abort();
	return (cpu_ns() - t0) / ((double)rounds * (double)n);
}

static double median_calls(void *const *fns, long n, int rounds)
{
	double v[5];

	call_all(fns, n, 1);
	for (int i = 0; i < 5; i++)
		v[i] = call_all(fns, n, rounds);
	return bench_stats(v, 5).med;
}

/* The hardware iTLB miss counter of this thread, or -1. */
static int itlb_counter(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HW_CACHE;
	a.config = PERF_COUNT_HW_CACHE_ITLB |
		   (PERF_COUNT_HW_CACHE_OP_READ << 8) |
		   (PERF_COUNT_HW_CACHE_RESULT_MISS << 16);
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

/* 2 MiB mappings (KiB, from /proc/self/smaps) of the mapping holding p. */
static long huge_kib(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0;
	long kib = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		long v;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && (sscanf(line, "AnonHugePages: %ld", &v) == 1 ||
			   sscanf(line, "ShmemPmdMapped: %ld", &v) == 1 ||
			   sscanf(line, "FilePmdMapped: %ld", &v) == 1))
			kib += v;
	}
	fclose(f);
	return kib;
}

/* A 2 MiB aligned anonymous area of len bytes holding n functions,
   huge or not, then read+execute.  NULL on failure. */
static char *anon_code(long n, size_t len, int huge)
{
	char *p = mmap(NULL, len + HUGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + HUGE_SZ - 1) & ~(HUGE_SZ - 1));
	madvise(a, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (long i = 0; i < n; i++)
		memcpy(a + (size_t)i * FN_SIZE, fn_bytes, FN_SIZE);
	if (mprotect(a, len, PROT_READ | PROT_EXEC)) {
		munmap(p, len + HUGE_SZ);
		return NULL;
	}
	return a;
}

/* The same in shared memory: a memfd written with pwrite, mapped
   read+execute with MADV_HUGEPAGE (shmem THP when the kernel allows). */
static char *shmem_code(long n, size_t len, int *fdp)
{
	int fd = (int)syscall(SYS_memfd_create, "itlb", 0);
	char *p, *a;

	if (fd < 0)
		return NULL;
	*fdp = fd;
	for (long i = 0; i < n; i++)
		if (pwrite(fd, fn_bytes, FN_SIZE, (off_t)i * FN_SIZE) !=
		    FN_SIZE)
			return NULL;
	p = mmap(NULL, len + HUGE_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + HUGE_SZ - 1) & ~(HUGE_SZ - 1));
	if (mmap(a, len, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd,
		 0) == MAP_FAILED)
		return NULL;
	madvise(a, len, MADV_HUGEPAGE);
	return a;
}

static const char *const names[] = {
	"trampjit jit_create_code (pwrite heap)",
	"trampjit jit_dual_alloc (dual-view heap)",
	"peer: asmjit JitAllocator (dual mapping)",
	"reference: anonymous, 4 KiB pages",
	"reference: anonymous, 2 MiB THP",
	"shmem THP: memfd + MADV_HUGEPAGE",
};

static void itlb_row(int m, long n, void **fns, void **shuf, long *perm)
{
	size_t len = (size_t)n * FN_SIZE;
	char *base = NULL;
	int fd = -1, rounds = bench_opts.quick ? 1 : 10, ctr;
	const char *row = names[m];

	switch (m) {
	case 0:
		for (long i = 0; i < n; i++)
			if (!(fns[i] = jit_create_code(fn_bytes, FN_SIZE)))
				goto fail;
		break;
	case 1:
		for (long i = 0; i < n; i++) {
			void *rw;

			if (!(fns[i] = jit_dual_alloc(FN_SIZE, &rw)))
				goto fail;
			memcpy(rw, fn_bytes, FN_SIZE);
			if (jit_dual_commit(fns[i], FN_SIZE, 0))
				goto fail;
		}
		break;
	case 2:
		if (asmjit_itlb_make(n, fn_bytes, FN_SIZE, fns)) {
			bench_note(ITLB, "%s: not measured (asmjit missing or "
				   "refused)", row);
			return;
		}
		break;
	default:
		base = m == 5 ? shmem_code(n, len, &fd) :
		       anon_code(n, len, m == 4);
		if (!base)
			goto fail;
		for (long i = 0; i < n; i++)
			fns[i] = base + (size_t)i * FN_SIZE;
	}
	for (long i = 0; i < n; i++)
		shuf[i] = fns[perm[i]];
	bench_result(ITLB, row, "in order",
		     bench_scalar(median_calls(fns, n, rounds)), "ns");
	bench_result(ITLB, row, "random order, pass 1",
		     bench_scalar(median_calls(shuf, n, rounds)), "ns");
	bench_result(ITLB, row, "random order, pass 2",
		     bench_scalar(median_calls(shuf, n, rounds)), "ns");
	ctr = itlb_counter();
	if (ctr >= 0) {
		long long misses = 0;

		call_all(shuf, n, rounds);	/* counted */
		if (read(ctr, &misses, sizeof(misses)) == sizeof(misses))
			bench_result(ITLB, row, "iTLB misses per call",
				     bench_scalar((double)misses /
						  ((double)rounds * n)), "");
		close(ctr);
	}
	bench_result(ITLB, row, "2 MiB mapped (KiB)",
		     bench_scalar((double)huge_kib(fns[0])), "");
	switch (m) {
	case 0:
		for (long i = 0; i < n; i++)
			jit_destroy_code(fns[i]);
		break;
	case 1:
		for (long i = 0; i < n; i++)
			jit_dual_free(fns[i]);
		break;
	case 2:
		asmjit_itlb_free();
		break;
	default:
		munmap(base, len);
		if (fd >= 0)
			close(fd);
	}
	return;
fail:
	bench_note(ITLB, "%s: not measured: %m", row);
}

static void itlb_section(void)
{
	long n = bench_opts.quick ? 2000 : 100000;
	void **fns = calloc((size_t)n, sizeof(*fns));
	void **shuf = calloc((size_t)n, sizeof(*shuf));
	long *perm = calloc((size_t)n, sizeof(*perm));
	char mode[128] = "unknown";
	FILE *f;

	if (!fns || !shuf || !perm)
		goto out;
	memset(fn_bytes, 0, sizeof(fn_bytes));
	code_ret(fn_bytes, 1);
	srand(12345);
	for (long i = 0; i < n; i++)
		perm[i] = i;
	for (long i = n - 1; i > 0; i--) {
		long j = (long)(((double)rand() / ((double)RAND_MAX + 1)) *
				(double)(i + 1)), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (int m = 0; m < 6; m++)
		itlb_row(m, n, fns, shuf, perm);
	for (int pass = 1; pass <= 2; pass++) {
		char col[32];
		double small, huge;

		snprintf(col, sizeof(col), "random order, pass %d", pass);
		small = bench_get(ITLB, names[3], col);
		huge = bench_get(ITLB, names[4], col);
		if (small > 0 && huge > 0)
			bench_note(ITLB, "%s: 2 MiB pages take %.2fx the time "
				   "of 4 KiB pages (same code, same density).",
				   col, huge / small);
	}
	f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "r");
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			snprintf(mode, sizeof(mode), "unreadable");
		mode[strcspn(mode, "\n")] = 0;
		fclose(f);
	}
	bench_note(ITLB, "ns per call (CPU time), %ld functions of %d bytes "
		   "each, 64 bytes apart; 2 MiB mapped: KiB of the first "
		   "function's mapping mapped by huge pages.  This kernel's "
		   "shmem_enabled: %s (memfd-backed code, as the library's "
		   "heaps are, gets huge pages only with within_size, always "
		   "or advise; MFD_HUGETLB needs reserved hugetlb pages).  "
		   "Goal: use huge pages where they win.", n, FN_SIZE, mode);
out:
	free(fns);
	free(shuf);
	free(perm);
}

BENCH_SECTION(40, "iTLB", itlb_section)
