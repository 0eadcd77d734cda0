// SPDX-License-Identifier: MIT
// The iTLB peer: n small functions in asmjit's JitAllocator (dual
// mapping), kept alive for bench_itlb.c to call, then released.
#include <stddef.h>
#include <string.h>

// HAVE_ASMJIT comes from the Makefile (see asmjit_peer.cc).
#ifdef HAVE_ASMJIT
#include <asmjit/core.h>
#endif

extern "C" int asmjit_itlb_make(long n, const void *src, size_t size,
				void **fns);
extern "C" void asmjit_itlb_free(void);

#ifdef HAVE_ASMJIT
static asmjit::JitAllocator *alloc;
#endif

// Allocate and fill n functions of size bytes into fns[]: 0, or -1 when
// asmjit is missing or refuses.
extern "C" int asmjit_itlb_make(long n, const void *src, size_t size,
				void **fns)
{
#ifdef HAVE_ASMJIT
	using namespace asmjit;
	JitAllocator::CreateParams params{};

	params.options = JitAllocatorOptions::kUseDualMapping;
	alloc = new JitAllocator(&params);
	for (long i = 0; i < n; i++) {
		void *rx, *rw;

		if (alloc->alloc(&rx, &rw, size) != kErrorOk) {
			asmjit_itlb_free();
			return -1;
		}
		memcpy(rw, src, size);
		fns[i] = rx;
	}
	return 0;
#else
	(void)n;
	(void)src;
	(void)size;
	(void)fns;
	return -1;
#endif
}

extern "C" void asmjit_itlb_free(void)
{
#ifdef HAVE_ASMJIT
	delete alloc;	// releases every block
	alloc = nullptr;
#endif
}
