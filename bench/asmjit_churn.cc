// SPDX-License-Identifier: MIT
// The JIT peer of the random-replacement workload (bench_churn.c): asmjit's
// JitAllocator in its dual-mapping mode holding a live set of objects, one
// released and one allocated + written per operation, at random.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// HAVE_ASMJIT comes from the Makefile (see asmjit_peer.cc).
#ifdef HAVE_ASMJIT
#include <asmjit/core.h>
#endif

extern "C" double asmjit_churn_ns(size_t size, long live, long n,
				  const void *src);

#ifdef HAVE_ASMJIT
static double now_ns()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
#endif

// Nanoseconds per replacement (release one object at random, allocate and
// write a new one in its place) with `live` objects of `size` bytes, or -1
// when asmjit is not installed (or refuses, e.g. under MDWE).
extern "C" double asmjit_churn_ns(size_t size, long live, long n,
				  const void *src)
{
#ifdef HAVE_ASMJIT
	using namespace asmjit;
	JitAllocator::CreateParams params{};
	params.options = JitAllocatorOptions::kUseDualMapping;
	JitAllocator alloc(&params);
	void **rx = (void **)calloc((size_t)live, sizeof(void *));
	uint64_t x = 88172645463325252ull;
	double t0, ns = -1;

	if (!rx)
		return -1;
	for (long i = 0; i < live; i++) {
		void *rw;

		if (alloc.alloc(&rx[i], &rw, size) != kErrorOk)
			goto out;
		memcpy(rw, src, size);
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		size_t k;
		void *rw;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (size_t)(x % (uint64_t)live);
		alloc.release(rx[k]);
		if (alloc.alloc(&rx[k], &rw, size) != kErrorOk)
			goto out;
		memcpy(rw, src, size);
	}
	ns = (now_ns() - t0) / (double)n;
out:
	free(rx);
	return ns;
#else
	(void)size;
	(void)live;
	(void)n;
	(void)src;
	return -1;
#endif
}
