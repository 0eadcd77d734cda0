/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_HANDLER: the compiler and libffi's ffi_call (a caller nobody here
 * wrote; where the toolchain has libffi) call handler trampolines with
 * integer, float, stack-passed, varargs and struct-returning signatures;
 * a handler may destroy its own trampoline.
 */
#ifdef HAVE_LIBFFI
#include <ffi.h>
#endif
#include <stdint.h>
#include "harness.h"
#include "test_arch.h"

static int calls;

/* int(int) */
static void h_int(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, (uintptr_t)(int)(tramp_arg(f, 0) * 3 +
					     (uintptr_t)data));
}

/* double(double, int, float) */
static void h_dif(struct tramp_frame *f, void *data)
{
	tramp_set_return_double(f, tramp_arg_double(f, 0) * 100 +
				(double)(int)tramp_arg(f, 0) * 10 +
				(double)tramp_arg_float(f, 1));
}

/* long(long, double, long, double, long, long, double, long, long,
        double, long, long): 8 integers (2 on the stack) and 4 doubles. */
static void h_mixed(struct tramp_frame *f, void *data)
{
	long s = 0;
	double d = 0;

	for (unsigned i = 0; i < 8; i++)
		s = s * 10 + (long)tramp_arg(f, i);
	for (unsigned i = 0; i < 4; i++)
		d = d * 10 + tramp_arg_double(f, i);
	tramp_set_return(f, (uintptr_t)(s * 10000 + (long)d));
}

/* double(double x10, long, long): doubles 8 and 9 on the stack, or in
   the first two integer registers where FP arguments spill there (the
   longs then take the next two). */
static void h_doubles(struct tramp_frame *f, void *data)
{
	unsigned k = TEST_FP_IN_GPRS ? 2 : 0;
	double d = 0;

	for (unsigned i = 0; i < 10; i++)
		d = d * 2 + tramp_arg_double(f, i);
	tramp_set_return_double(f, d + (double)(tramp_arg(f, k) * 1000000 +
					       tramp_arg(f, k + 1) * 10000000));
}

/* long(int n, ...): n pairs of (long, double) follow.  Where FP
   arguments spill into integer registers, variadic doubles travel there,
   in order with the longs. */
static void h_varargs(struct tramp_frame *f, void *data)
{
	int n = (int)tramp_arg(f, 0);
	double s = 0, x;
	uintptr_t bits;

	CHECK(tramp_vector_count(f) >= (unsigned)n);
	for (unsigned i = 0; i < (unsigned)n; i++) {
		if (TEST_FP_IN_GPRS) {
			bits = tramp_arg(f, 2 + 2 * i);
			memcpy(&x, &bits, sizeof(x));
			s += (double)(long)tramp_arg(f, 1 + 2 * i) * x;
		} else {
			s += (double)(long)tramp_arg(f, 1 + i) *
			     tramp_arg_double(f, i);
		}
	}
	tramp_set_return(f, (uintptr_t)(long)s);
}

struct two_longs { long a, b; };
struct two_doubles { double x, y; };
struct long_double { long a; double x; };
struct big { long v[4]; };

static void h_two_longs(struct tramp_frame *f, void *data)
{
	tramp_set_return2(f, tramp_arg(f, 0) + 1, tramp_arg(f, 0) + 2);
}

static void h_two_doubles(struct tramp_frame *f, void *data)
{
	tramp_set_return_double2(f, tramp_arg_double(f, 0) / 2,
				 tramp_arg_double(f, 0) * 2);
}

/* {long, double}: rax + xmm0 on x86_64, x0 + x1 on aarch64, a0 + fa0 on
   riscv64. */
static void h_long_double(struct tramp_frame *f, void *data)
{
	double q = 0.25;
	uint64_t bits;

	memcpy(&bits, &q, sizeof(bits));
	if (TEST_MIXED_STRUCT_GPRS) {
		tramp_set_return2(f, tramp_arg(f, 0) * 7, bits);
	} else {
		tramp_set_return(f, tramp_arg(f, 0) * 7);
		tramp_set_return_double(f, q);
	}
}

/* struct big(long): returned in memory through the hidden pointer. */
static void h_big(struct tramp_frame *f, void *data)
{
	struct big *out = tramp_struct_return(f);

	for (int i = 0; i < 4; i++)
		out->v[i] = (long)tramp_arg(f, TEST_SRET_ARG0) + i;
	tramp_set_return(f, (uintptr_t)out);
}

/* Destroys its own trampoline, then still returns a value. */
static void h_suicide(struct tramp_frame *f, void *data)
{
	struct tramp **self = data;

	tramp_destroy(*self);
	*self = NULL;
	calls++;
	tramp_set_return(f, 99);
}

/* The calls as the compiler makes them. */
static void run_c(enum tramp_backend b)
{
	struct tramp *t;

	t = make(TRAMP_HANDLER, b, (void *)h_int, (void *)5);
	CHECK(((int (*)(int))tramp_code(t))(14) == 47);
	CHECK(tramp_retarget(t, (void *)h_int, (void *)1) == 0);
	CHECK(((int (*)(int))tramp_code(t))(2) == 7);
	tramp_destroy(t);

	t = make(TRAMP_HANDLER, b, (void *)h_dif, NULL);
	CHECK(((double (*)(double, int, float))tramp_code(t))(1.5, 3, 0.25f) ==
	      150 + 30 + 0.25);
	tramp_destroy(t);

	t = make(TRAMP_HANDLER, b, (void *)h_mixed, NULL);
	CHECK(((long (*)(long, double, long, double, long, long, double, long,
			 long, double, long, long))tramp_code(t))(
		1, 1, 2, 2, 3, 4, 3, 5, 6, 4, 7, 8) ==
	      12345678L * 10000 + 1234);
	tramp_destroy(t);

	t = make(TRAMP_HANDLER, b, (void *)h_doubles, NULL);
	CHECK(((double (*)(double, double, double, double, double, double,
			   double, double, double, double, long, long))
	       tramp_code(t))(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 3, 4) ==
	      341 + 3000000 + 40000000);
	tramp_destroy(t);

	t = make(TRAMP_HANDLER, b, (void *)h_varargs, NULL);
	CHECK(((long (*)(int, ...))tramp_code(t))(3, 2L, 10.0, 3L, 100.0, 4L,
						   1000.0) == 20 + 300 + 4000);
	tramp_destroy(t);

	t = make(TRAMP_HANDLER, b, (void *)h_two_longs, NULL);
	struct two_longs rl = ((struct two_longs (*)(long))tramp_code(t))(40);
	CHECK(rl.a == 41 && rl.b == 42);
	CHECK(tramp_retarget(t, (void *)h_two_doubles, NULL) == 0);
	struct two_doubles rd =
		((struct two_doubles (*)(double))tramp_code(t))(8);
	CHECK(rd.x == 4 && rd.y == 16);
	CHECK(tramp_retarget(t, (void *)h_long_double, NULL) == 0);
	struct long_double rm =
		((struct long_double (*)(long))tramp_code(t))(40);
	CHECK(rm.a == 280 && rm.x == 0.25);
	CHECK(tramp_retarget(t, (void *)h_big, NULL) == 0);
	struct big rb = ((struct big (*)(long))tramp_code(t))(40);
	for (int i = 0; i < 4; i++)
		CHECK(rb.v[i] == 40 + i);
	tramp_destroy(t);
}

#ifdef HAVE_LIBFFI
/* The same calls made by libffi. */
static void run_ffi(enum tramp_backend b)
{
	ffi_cif cif;
	ffi_arg r;
	struct tramp *t;

	/* int(int) */
	{
		ffi_type *at[] = { &ffi_type_sint };
		int a = 14;
		void *av[] = { &a };

		t = make(TRAMP_HANDLER, b, (void *)h_int, (void *)5);
		CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint,
				   at) == FFI_OK);
		ffi_call(&cif, FFI_FN(tramp_code(t)), &r, av);
		CHECK((int)r == 47);
		tramp_destroy(t);
	}
	/* double(double, int, float) */
	{
		ffi_type *at[] = { &ffi_type_double, &ffi_type_sint,
				   &ffi_type_float };
		double x = 1.5, d;
		int i = 3;
		float y = 0.25f;
		void *av[] = { &x, &i, &y };

		t = make(TRAMP_HANDLER, b, (void *)h_dif, NULL);
		CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_double,
				   at) == FFI_OK);
		ffi_call(&cif, FFI_FN(tramp_code(t)), &d, av);
		CHECK(d == 150 + 30 + 0.25);
		tramp_destroy(t);
	}
	/* 12 mixed arguments, two integers on the stack */
	{
		ffi_type *L = &ffi_type_slong, *D = &ffi_type_double;
		ffi_type *at[] = { L, D, L, D, L, L, D, L, L, D, L, L };
		long l[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
		double dv[4] = { 1, 2, 3, 4 };
		void *av[] = { &l[0], &dv[0], &l[1], &dv[1], &l[2], &l[3],
			       &dv[2], &l[4], &l[5], &dv[3], &l[6], &l[7] };

		t = make(TRAMP_HANDLER, b, (void *)h_mixed, NULL);
		CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 12, L, at) == FFI_OK);
		ffi_call(&cif, FFI_FN(tramp_code(t)), &r, av);
		CHECK((long)r == 12345678L * 10000 + 1234);
		tramp_destroy(t);
	}
	/* 10 doubles and 2 longs: two doubles on the stack */
	{
		ffi_type *at[12];
		double dv[10], d;
		long l[2] = { 3, 4 };
		void *av[12];

		for (int i = 0; i < 10; i++) {
			at[i] = &ffi_type_double;
			dv[i] = i & 1;
			av[i] = &dv[i];
		}
		at[10] = at[11] = &ffi_type_slong;
		av[10] = &l[0];
		av[11] = &l[1];
		t = make(TRAMP_HANDLER, b, (void *)h_doubles, NULL);
		CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 12, &ffi_type_double,
				   at) == FFI_OK);
		ffi_call(&cif, FFI_FN(tramp_code(t)), &d, av);
		CHECK(d == 341 + 3000000 + 40000000);
		tramp_destroy(t);
	}
	/* varargs: long(int n, ...) with (long, double) pairs */
	{
		ffi_type *at[] = { &ffi_type_sint, &ffi_type_slong,
				   &ffi_type_double, &ffi_type_slong,
				   &ffi_type_double, &ffi_type_slong,
				   &ffi_type_double };
		int n = 3;
		long l[3] = { 2, 3, 4 };
		double dv[3] = { 10, 100, 1000 };
		void *av[] = { &n, &l[0], &dv[0], &l[1], &dv[1], &l[2],
			       &dv[2] };

		t = make(TRAMP_HANDLER, b, (void *)h_varargs, NULL);
		CHECK(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 1, 7,
				       &ffi_type_slong, at) == FFI_OK);
		ffi_call(&cif, FFI_FN(tramp_code(t)), &r, av);
		CHECK((long)r == 20 + 300 + 4000);
		tramp_destroy(t);
	}
	/* 16-byte struct returns: {long,long}, {double,double},
	   {long,double}; and a 32-byte struct returned in memory. */
	{
		ffi_type *e_ll[] = { &ffi_type_slong, &ffi_type_slong, NULL };
		ffi_type *e_dd[] = { &ffi_type_double, &ffi_type_double, NULL };
		ffi_type *e_ld[] = { &ffi_type_slong, &ffi_type_double, NULL };
		ffi_type *e_big[] = { &ffi_type_slong, &ffi_type_slong,
				      &ffi_type_slong, &ffi_type_slong, NULL };
		ffi_type s_ll = { 0, 0, FFI_TYPE_STRUCT, e_ll };
		ffi_type s_dd = { 0, 0, FFI_TYPE_STRUCT, e_dd };
		ffi_type s_ld = { 0, 0, FFI_TYPE_STRUCT, e_ld };
		ffi_type s_big = { 0, 0, FFI_TYPE_STRUCT, e_big };
		ffi_type *al[] = { &ffi_type_slong };
		ffi_type *ad[] = { &ffi_type_double };
		long a = 40;
		double x = 8;
		void *avl[] = { &a }, *avd[] = { &x };
		struct two_longs rl;
		struct two_doubles rd;
		struct long_double rm;
		struct big rb;

		t = make(TRAMP_HANDLER, b, (void *)h_two_longs, NULL);
		CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &s_ll, al) ==
		      FFI_OK);
		ffi_call(&cif, FFI_FN(tramp_code(t)), &rl, avl);
		CHECK(rl.a == 41 && rl.b == 42);
		CHECK(tramp_retarget(t, (void *)h_two_doubles, NULL) == 0);
		CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &s_dd, ad) ==
		      FFI_OK);
		ffi_call(&cif, FFI_FN(tramp_code(t)), &rd, avd);
		CHECK(rd.x == 4 && rd.y == 16);
		CHECK(tramp_retarget(t, (void *)h_long_double, NULL) == 0);
		CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &s_ld, al) ==
		      FFI_OK);
		ffi_call(&cif, FFI_FN(tramp_code(t)), &rm, avl);
		CHECK(rm.a == 280 && rm.x == 0.25);
		CHECK(tramp_retarget(t, (void *)h_big, NULL) == 0);
		CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &s_big, al) ==
		      FFI_OK);
		ffi_call(&cif, FFI_FN(tramp_code(t)), &rb, avl);
		for (int i = 0; i < 4; i++)
			CHECK(rb.v[i] == 40 + i);
		tramp_destroy(t);
	}
}
#endif

static void run(enum tramp_backend b)
{
	run_c(b);
#ifdef HAVE_LIBFFI
	run_ffi(b);
#else
	fprintf(stderr, "note: no libffi for %s here: calls made by the "
		"compiler only\n", TEST_ARCH_NAME);
#endif
	/* A handler destroys its own trampoline. */
	{
		struct tramp *self;
		void *code;

		calls = 0;
		self = make(TRAMP_HANDLER, b, (void *)h_suicide, &self);
		code = tramp_code(self);
		CHECK(((long (*)(void))code)() == 99);
		CHECK(self == NULL && calls == 1);
		CHECK(tramp_lookup(code) == NULL);
	}
	fprintf(stderr, "handler on %s: ok\n", backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
