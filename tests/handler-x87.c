/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_HANDLER returns what the x86_64 ABI returns outside rax/rdx and
 * the low halves of xmm0/xmm1, on every backend: long double (st0, also
 * through libffi), _Complex long double (st0, st1), __float128 and __m128
 * (all 16 bytes of xmm0), and reads 16-byte vector arguments.  The x87
 * stack is left exactly as deep as the return type says, call after call.
 */
#if !defined(__x86_64__)
#include "harness.h"

int main(void)
{
	SKIP("x87 and SSE returns are the x86_64 ABI's");
}
#else
#include <complex.h>
#include <ffi.h>
#include <stdint.h>
#include <xmmintrin.h>
#include "harness.h"

/* Registers in use on the x87 stack (from the tag word). */
static int x87_depth(void)
{
	unsigned char env[28];
	uint16_t tag;
	int n = 0;

	__asm__ volatile("fnstenv %0\n\tfldenv %0" : "+m"(env));
	memcpy(&tag, env + 8, sizeof(tag));
	for (int i = 0; i < 8; i++)
		n += (tag >> (2 * i) & 3) != 3;
	return n;
}

/* long double(long double x, long k): x is passed in memory. */
static void h_ld(struct tramp_frame *f, void *data)
{
	long double x;

	memcpy(&x, tramp_stack_args(f), sizeof(x));
	tramp_set_return_long_double(f, x * 3 + (long double)tramp_arg(f, 0) +
				     *(long double *)data);
}

/* _Complex long double(long k) */
static void h_cld(struct tramp_frame *f, void *data)
{
	long k = (long)tramp_arg(f, 0);

	tramp_set_return_long_double2(f, (long double)k + 0.5L,
				      (long double)-k - 0.25L);
}

/* __float128(__float128): returns its argument with the sign flipped. */
static void h_f128(struct tramp_frame *f, void *data)
{
	unsigned char q[16];

	CHECK(tramp_arg_vector(f, 0, q) == 0);
	q[15] ^= 0x80;
	CHECK(tramp_set_return_vector(f, 0, q) == 0);
}

/* __m128(__m128 a, __m128 b): a + b lane by lane. */
static void h_m128(struct tramp_frame *f, void *data)
{
	float a[4], b[4], r[4];

	CHECK(tramp_arg_vector(f, 0, a) == 0);
	CHECK(tramp_arg_vector(f, 1, b) == 0);
	for (int i = 0; i < 4; i++)
		r[i] = a[i] + b[i];
	CHECK(tramp_set_return_vector(f, 0, r) == 0);
}

/* double(double): an ordinary return after the others. */
static void h_d(struct tramp_frame *f, void *data)
{
	tramp_set_return_double(f, tramp_arg_double(f, 0) * 2);
}

/* Sets nothing: rax, rdx, xmm0, xmm1 come back 0, the x87 stack empty. */
static void h_none(struct tramp_frame *f, void *data)
{
	char bad[16];

	memset(bad, 0, sizeof(bad));
	CHECK(tramp_arg_vector(f, TRAMP_NVECREGS, bad) == -1 &&
	      errno == EINVAL);
	CHECK(tramp_arg_vector(f, 0, NULL) == -1 && errno == EINVAL);
	CHECK(tramp_set_return_vector(f, 2, bad) == -1 && errno == EINVAL);
	CHECK(tramp_set_return_vector(f, 0, NULL) == -1 && errno == EINVAL);
}

static void run(enum tramp_backend b)
{
	static long double add = 0.125L;
	struct tramp *ld = make(TRAMP_HANDLER, b, (void *)h_ld, &add);
	struct tramp *cld = make(TRAMP_HANDLER, b, (void *)h_cld, NULL);
	struct tramp *q = make(TRAMP_HANDLER, b, (void *)h_f128, NULL);
	struct tramp *v = make(TRAMP_HANDLER, b, (void *)h_m128, NULL);
	struct tramp *d = make(TRAMP_HANDLER, b, (void *)h_d, NULL);
	struct tramp *none = make(TRAMP_HANDLER, b, (void *)h_none, NULL);
	long double (*fld)(long double, long) =
		(long double (*)(long double, long))tramp_code(ld);
	_Complex long double (*fcld)(long) =
		(_Complex long double (*)(long))tramp_code(cld);
	__float128 (*fq)(__float128) = (__float128 (*)(__float128))
		tramp_code(q);
	__m128 (*fv)(__m128, __m128) = (__m128 (*)(__m128, __m128))
		tramp_code(v);
	double (*fd)(double) = (double (*)(double))tramp_code(d);
	_Complex double (*fnone)(void) = (_Complex double (*)(void))
		tramp_code(none);
	long (*fnone_l)(void) = (long (*)(void))tramp_code(none);

	CHECK(x87_depth() == 0);
	for (int i = 0; i < 20; i++) {
		/* 1/3 is not exact in a double: the full 64-bit mantissa
		   must arrive. */
		long double x = 1.0L / 3 + i;
		long double r = fld(x, i);
		_Complex long double c = fcld(i);
		__float128 in = (__float128)i + 0.75, out = fq(in);
		__m128 s = fv(_mm_set_ps(1, 2, 3, (float)i),
			      _mm_set_ps(10, 20, 30, 40));
		float sv[4];

		CHECK(r == x * 3 + i + 0.125L);
		CHECK(creall(c) == i + 0.5L && cimagl(c) == -i - 0.25L);
		CHECK(out == -in);
		_mm_storeu_ps(sv, s);
		CHECK(sv[0] == 40 + i && sv[1] == 33 && sv[2] == 22 &&
		      sv[3] == 11);
		CHECK(fd(i + 0.5) == 2 * i + 1);
		CHECK(fnone() == 0 && fnone_l() == 0);
		CHECK(x87_depth() == 0);
	}

	/* long double through libffi, a caller nobody here wrote. */
	{
		ffi_cif cif;
		ffi_type *at[] = { &ffi_type_longdouble, &ffi_type_slong };
		long double x = 2.0L / 3, r;
		long k = 7;
		void *av[] = { &x, &k };

		CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2,
				   &ffi_type_longdouble, at) == FFI_OK);
		ffi_call(&cif, FFI_FN(tramp_code(ld)), &r, av);
		CHECK(r == x * 3 + 7 + 0.125L);
	}
	tramp_destroy(ld);
	tramp_destroy(cld);
	tramp_destroy(q);
	tramp_destroy(v);
	tramp_destroy(d);
	tramp_destroy(none);
	fprintf(stderr, "handler x87 and vector returns on %s: ok\n",
		backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
#endif
