/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_HANDLER on riscv64 follows the LP64D hardware floating-point
 * convention, on every backend: floats come back NaN-boxed in fa0 (the
 * compiled caller reads NaN otherwise), structs of one integer and one FP
 * member in a0 and fa0 in either order, {float, float} and _Complex double
 * in fa0 and fa1, long double (IEEE quad) in a0:a1 as argument and result,
 * _Complex long double through the hidden pointer in a0, and the ninth
 * double argument in a0.
 */
#if !defined(__riscv) || __riscv_xlen != 64
#include "harness.h"

int main(void)
{
	SKIP("the LP64D calling convention is riscv64's");
}
#else
#include <complex.h>
#include <stdint.h>
#include "harness.h"

struct dl { double d; long l; };
struct fi { int i; float x; };
struct ff { float a, b; };

static uint64_t boxed(float v)
{
	uint32_t b;

	memcpy(&b, &v, sizeof(b));
	return 0xffffffff00000000ull | b;
}

/* float(float, double, int) */
static void h_float(struct tramp_frame *f, void *data)
{
	tramp_set_return_float(f, tramp_arg_float(f, 0) +
			       (float)tramp_arg_double(f, 1) +
			       (float)(int)tramp_arg(f, 0));
}

/* struct dl(long): fa0 and a0. */
static void h_dl(struct tramp_frame *f, void *data)
{
	tramp_set_return_double(f, 0.5 * (double)(long)tramp_arg(f, 0));
	tramp_set_return(f, (uintptr_t)(long)tramp_arg(f, 0) * 3);
}

/* struct fi(int): a0 and fa0. */
static void h_fi(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, (uintptr_t)((int)tramp_arg(f, 0) + 1));
	tramp_set_return_float(f, 0.25f);
}

/* struct ff(void): fa0, fa1, each boxed. */
static void h_ff(struct tramp_frame *f, void *data)
{
	uint64_t a = boxed(1.5f), b = boxed(-2.0f);

	CHECK(tramp_set_return_vector(f, 0, &a) == 0);
	CHECK(tramp_set_return_vector(f, 1, &b) == 0);
	CHECK(tramp_set_return_vector(f, 2, &b) == -1 && errno == EINVAL);
}

/* _Complex double(double) */
static void h_cd(struct tramp_frame *f, void *data)
{
	tramp_set_return_double2(f, tramp_arg_double(f, 0),
				 -tramp_arg_double(f, 0));
}

/* long double(long double, long): the quad in a0:a1, k in a2. */
static void h_ld(struct tramp_frame *f, void *data)
{
	uintptr_t w[2] = { tramp_arg(f, 0), tramp_arg(f, 1) };
	long double x;

	memcpy(&x, w, sizeof(x));
	tramp_set_return_long_double(f, x * (long double)(long)tramp_arg(f, 2));
}

/* _Complex long double(long): in memory, the visible argument at 1. */
static void h_cld(struct tramp_frame *f, void *data)
{
	long k = (long)tramp_arg(f, 1);

	tramp_set_return_long_double2(f, (long double)k / 4, -(long double)k);
}

/* double(double x9): the ninth in a0. */
static void h_nine(struct tramp_frame *f, void *data)
{
	double s = 0;

	for (unsigned i = 0; i < 9; i++)
		s = s * 2 + tramp_arg_double(f, i);
	tramp_set_return_double(f, s);
}

static void run(enum tramp_backend b)
{
	struct tramp *t = make(TRAMP_HANDLER, b, (void *)h_float, NULL);
	void *c = tramp_code(t);
	float fr;

	fr = ((float (*)(float, double, int))c)(0.5f, 2.0, 4);
	CHECK(fr == 6.5f);
	CHECK(tramp_retarget(t, (void *)h_dl, NULL) == 0);
	struct dl dl = ((struct dl (*)(long))c)(8);
	CHECK(dl.d == 4.0 && dl.l == 24);
	CHECK(tramp_retarget(t, (void *)h_fi, NULL) == 0);
	struct fi fi = ((struct fi (*)(int))c)(41);
	CHECK(fi.i == 42 && fi.x == 0.25f);
	CHECK(tramp_retarget(t, (void *)h_ff, NULL) == 0);
	struct ff ff = ((struct ff (*)(void))c)();
	CHECK(ff.a == 1.5f && ff.b == -2.0f);
	CHECK(tramp_retarget(t, (void *)h_cd, NULL) == 0);
	double complex cd = ((double complex (*)(double))c)(3.0);
	CHECK(creal(cd) == 3.0 && cimag(cd) == -3.0);
	CHECK(tramp_retarget(t, (void *)h_ld, NULL) == 0);
	long double ld = ((long double (*)(long double, long))c)(1.25L, 3);
	CHECK(ld == 3.75L);
	CHECK(tramp_retarget(t, (void *)h_cld, NULL) == 0);
	long double complex cld =
		((long double complex (*)(long))c)(10);
	CHECK(creall(cld) == 2.5L && cimagl(cld) == -10.0L);
	CHECK(tramp_retarget(t, (void *)h_nine, NULL) == 0);
	double nine = ((double (*)(double, double, double, double, double,
				   double, double, double, double))c)(
		1, 0, 0, 0, 0, 0, 0, 0, 1);
	CHECK(nine == 257);
	tramp_destroy(t);
	fprintf(stderr, "LP64D returns on %s: ok\n", backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
#endif
