/* SPDX-License-Identifier: MIT */
/*
 * The x86_64 handler frame is public: the inline accessors of trampjit.h,
 * the exported functions (called through pointers, as a program built at
 * -O0 or a foreign function interface calls them) and the documented
 * fields agree on a frame built by a real call, NULL frames included.
 */
#include <stdint.h>
#include "harness.h"

#if defined(__x86_64__) && defined(__LP64__)
/* The exported functions: a function's address is never the inline copy. */
static uintptr_t (*volatile x_arg)(const struct tramp_frame *, unsigned) =
	tramp_arg;
static double (*volatile x_arg_double)(const struct tramp_frame *,
				       unsigned) = tramp_arg_double;
static float (*volatile x_arg_float)(const struct tramp_frame *,
				     unsigned) = tramp_arg_float;
static const uintptr_t *(*volatile x_stack_args)(const struct tramp_frame *) =
	tramp_stack_args;
static unsigned (*volatile x_vector_count)(const struct tramp_frame *) =
	tramp_vector_count;
static void (*volatile x_set_return2)(struct tramp_frame *, uintptr_t,
				      uintptr_t) = tramp_set_return2;
static void (*volatile x_set_return_double2)(struct tramp_frame *, double,
					     double) =
	tramp_set_return_double2;
static void (*volatile x_set_return_float)(struct tramp_frame *, float) =
	tramp_set_return_float;

static int checked;

/* long(long x8, double x10, ...), called with 8 longs, 10 doubles and a
   float in the varargs: two longs, two doubles and the float (as a
   double) on the stack. */
static void h_compare(struct tramp_frame *f, void *data)
{
	struct tramp_frame copy;
	double d;

	for (unsigned i = 0; i < 8; i++)
		CHECK(tramp_arg(f, i) == x_arg(f, i));
	for (unsigned i = 0; i < 6; i++)
		CHECK(f->gpr[i] == 100 + i && tramp_arg(f, i) == 100 + i);
	for (unsigned i = 0; i < 8; i++) {
		CHECK(tramp_arg_double(f, i) == x_arg_double(f, i));
		CHECK(tramp_arg_double(f, i) == 0.5 + i);
		memcpy(&d, &f->xmm[i][0], sizeof(d));
		CHECK(d == 0.5 + i);
		CHECK(tramp_arg_float(f, i) == x_arg_float(f, i));
	}
	/* Both classes overflow: stack words 106, 107, 8.5, 9.5, 1.0. */
	for (unsigned i = 8; i < 12; i++) {
		CHECK(tramp_arg_double(f, i) == x_arg_double(f, i));
		CHECK(tramp_arg_float(f, i) == x_arg_float(f, i));
	}
	CHECK(tramp_arg_double(f, 10) == 8.5);
	CHECK(tramp_arg_double(f, 12) == 1.0);
	CHECK(tramp_stack_args(f) == x_stack_args(f));
	CHECK(tramp_stack_args(f) == f->stack);
	CHECK(f->stack[0] == 106 && f->stack[1] == 107);
	CHECK(tramp_vector_count(f) == x_vector_count(f));
	CHECK(tramp_vector_count(f) == (f->al & 0xff));
	CHECK(tramp_vector_count(f) >= 8);
	CHECK(f->ret[0] == 0 && f->ret[1] == 0 && f->nx87 == 0);

	/* Writers: the inline and the exported one leave the same frame. */
	memcpy(&copy, f, sizeof(copy));
	tramp_set_return2(f, 7, 8);
	x_set_return2(&copy, 7, 8);
	tramp_set_return_double2(f, 1.25, 2.5);
	x_set_return_double2(&copy, 1.25, 2.5);
	CHECK(!memcmp(&copy, f, sizeof(copy)));
	tramp_set_return_float(f, 3.5f);
	x_set_return_float(&copy, 3.5f);
	CHECK(!memcmp(&copy, f, sizeof(copy)));
	CHECK(f->ret[0] == 7 && f->ret[1] == 8 && f->vret[0][1] == 0);
	tramp_set_return(f, (uintptr_t)data);
	checked++;
}

typedef long varfn(long, long, long, long, long, long, long, long, double,
		   double, double, double, double, double, double, double,
		   double, double, ...);

int main(void)
{
	struct tramp_spec spec = { .kind = TRAMP_HANDLER,
				   .handler = h_compare,
				   .data = (void *)42 };
	struct tramp_frame *volatile none = NULL;
	float fl = 0;
	struct tramp *t;
	varfn *fn;

	/* NULL frames: what the exported functions do, inline too. */
	CHECK(tramp_arg(none, 0) == 0 && tramp_arg(none, 9) == 0);
	CHECK(tramp_arg_double(none, 0) == 0);
	CHECK(tramp_arg_float(none, 12) == fl);
	CHECK(tramp_stack_args(none) == NULL);
	CHECK(tramp_vector_count(none) == 0);
	tramp_set_return(none, 1);
	tramp_set_return2(none, 1, 2);
	tramp_set_return_double(none, 1);
	tramp_set_return_double2(none, 1, 2);
	tramp_set_return_float(none, 1);

	t = tramp_create(&spec);
	CHECK(t);
	fn = (varfn *)tramp_code(t);
	CHECK(fn(100, 101, 102, 103, 104, 105, 106, 107, 0.5, 1.5, 2.5, 3.5,
		 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 1.0f) == 42);
	CHECK(checked == 1);
	tramp_destroy(t);
	return 0;
}
#else
int main(void)
{
	SKIP("the frame layout is public on x86_64 only");
}
#endif
