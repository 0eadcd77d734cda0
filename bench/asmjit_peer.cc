// SPDX-License-Identifier: MIT
// The JIT peer: asmjit's JitAllocator (Debian libasmjit-dev) in its
// dual-mapping mode, alloc + write + release per object, for bench_jit.c.
#include <stddef.h>
#include <string.h>
#include <time.h>

// HAVE_ASMJIT comes from the Makefile: set when the library links for
// this toolchain (a cross compiler may see the build machine's headers).
#ifdef HAVE_ASMJIT
#include <asmjit/core.h>
#endif

extern "C" double asmjit_peer_ns(size_t size, long n, const void *src);

#ifdef HAVE_ASMJIT
static double now_ns()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
#endif

// Nanoseconds per alloc + memcpy + release of `size` bytes, or -1 when
// asmjit is not installed (or refuses, e.g. under MDWE).
extern "C" double asmjit_peer_ns(size_t size, long n, const void *src)
{
#ifdef HAVE_ASMJIT
	using namespace asmjit;
	JitAllocator::CreateParams params{};
	params.options = JitAllocatorOptions::kUseDualMapping;
	JitAllocator alloc(&params);
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *rx, *rw;

		if (alloc.alloc(&rx, &rw, size) != kErrorOk)
			return -1;
		memcpy(rw, src, size);
		alloc.release(rx);
	}
	return (now_ns() - t0) / (double)n;
#else
	(void)size;
	(void)n;
	(void)src;
	return -1;
#endif
}
