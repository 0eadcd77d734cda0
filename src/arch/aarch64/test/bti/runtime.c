/* SPDX-License-Identifier: MIT */
/*
 * What the BTI-marked test program (tests/bti-guard) would otherwise take
 * from objects without a BTI note (Debian 12's crtbeginS.o,
 * libc_nonshared.a and libgcc.a), so that the link marks it: __dso_handle,
 * pthread_atfork, the outline atomics of -moutline-atomics and the
 * instruction-cache maintenance behind __builtin___clear_cache.  Built with
 * -mno-outline-atomics (the Makefile), so the atomics below are inline
 * load/store-exclusive loops, valid on every ARMv8 core.
 */
#include <pthread.h>
#include <stdint.h>

#define HIDDEN	__attribute__((visibility("hidden")))

/* crtbeginS.o: the handle of this object for atexit and atfork. */
HIDDEN void *__dso_handle = &__dso_handle;

int __register_atfork(void (*prepare)(void), void (*parent)(void),
		      void (*child)(void), void *dso);

/* libc_nonshared.a: atfork handlers belong to this object. */
int pthread_atfork(void (*prepare)(void), void (*parent)(void),
		   void (*child)(void))
{
	return __register_atfork(prepare, parent, child, __dso_handle);
}

/*
 * libgcc's outline atomics, __aarch64_<op><bytes>_<model>: every one gcc
 * 12 may call.  Each returns the old value; cas takes (expected, desired,
 * ptr), the others (value, ptr).
 */
#define MODELS(X, op, n, T)						\
	X(op, n, T, relax, __ATOMIC_RELAXED, __ATOMIC_RELAXED)		\
	X(op, n, T, acq, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)		\
	X(op, n, T, rel, __ATOMIC_RELEASE, __ATOMIC_RELAXED)		\
	X(op, n, T, acq_rel, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)

#define CAS(op, n, T, m, s, f)						\
	HIDDEN T __aarch64_cas##n##_##m(T e, T d, T *p)			\
	{								\
		__atomic_compare_exchange_n(p, &e, d, 0, s, f);		\
		return e;						\
	}
/* swp and the load-operate-store ones, by the builtin of each. */
#define OP(op, n, T, m, s, f)						\
	HIDDEN T __aarch64_##op##n##_##m(T v, T *p)			\
	{								\
		return OP_##op(p, v, s);				\
	}
#define OP_swp(p, v, s)		__atomic_exchange_n(p, v, s)
#define OP_ldadd(p, v, s)	__atomic_fetch_add(p, v, s)
#define OP_ldclr(p, v, s)	__atomic_fetch_and(p, (__typeof__(v))~v, s)
#define OP_ldeor(p, v, s)	__atomic_fetch_xor(p, v, s)
#define OP_ldset(p, v, s)	__atomic_fetch_or(p, v, s)

#define SIZES(X, op)							\
	MODELS(X, op, 1, uint8_t) MODELS(X, op, 2, uint16_t)		\
	MODELS(X, op, 4, uint32_t) MODELS(X, op, 8, uint64_t)

/* 16 bytes: a load-exclusive pair is single-copy atomic only when its
   store-exclusive succeeds, so a failed compare stores the old value
   back. */
#define CAS16(m, ld, st)						\
	HIDDEN unsigned __int128 __aarch64_cas16_##m(unsigned __int128 e, \
		unsigned __int128 d, unsigned __int128 *p)		\
	{								\
		uint64_t lo, hi;					\
		uint32_t busy;						\
									\
		__asm__ volatile("0:	" ld "	%0, %1, %3\n\t"		\
			"cmp	%0, %4\n\t"					\
			"ccmp	%1, %5, #0, eq\n\t"			\
			"b.ne	1f\n\t"					\
			st "	%w2, %6, %7, %3\n\t"			\
			"cbnz	%w2, 0b\n\t"				\
			"b	2f\n"					\
			"1:	" st "	%w2, %0, %1, %3\n\t"		\
			"cbnz	%w2, 0b\n"				\
			"2:"						\
			: "=&r"(lo), "=&r"(hi), "=&r"(busy), "+Q"(*p)	\
			: "r"((uint64_t)e), "r"((uint64_t)(e >> 64)),	\
			  "r"((uint64_t)d), "r"((uint64_t)(d >> 64))	\
			: "cc", "memory");				\
		return (unsigned __int128)hi << 64 | lo;		\
	}

SIZES(CAS, cas)
CAS16(relax, "ldxp", "stxp")
CAS16(acq, "ldaxp", "stxp")
CAS16(rel, "ldxp", "stlxp")
CAS16(acq_rel, "ldaxp", "stlxp")
SIZES(OP, swp)
SIZES(OP, ldadd)
SIZES(OP, ldclr)
SIZES(OP, ldeor)
SIZES(OP, ldset)

/*
 * libgcc's __clear_cache, which __builtin___clear_cache calls: clean the
 * data cache to the point of unification and invalidate the instruction
 * cache over [base, end), by the line sizes CTR_EL0 gives, skipping what
 * CTR_EL0.IDC/DIC say the hardware does itself.
 */
HIDDEN void __clear_cache(void *base, void *end)
{
	uintptr_t a, dline, iline, e = (uintptr_t)end;
	uint64_t ctr;

	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	dline = (uintptr_t)4 << (ctr >> 16 & 15);
	iline = (uintptr_t)4 << (ctr & 15);
	if (!(ctr >> 28 & 1))
		for (a = (uintptr_t)base & -dline; a < e; a += dline)
			__asm__ volatile("dc cvau, %0" : : "r"(a) : "memory");
	__asm__ volatile("dsb ish" : : : "memory");
	if (!(ctr >> 29 & 1))
		for (a = (uintptr_t)base & -iline; a < e; a += iline)
			__asm__ volatile("ic ivau, %0" : : "r"(a) : "memory");
	__asm__ volatile("dsb ish\n\tisb" : : : "memory");
}
