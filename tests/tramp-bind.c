/* SPDX-License-Identifier: MIT */
/* TRAMP_BIND: glibc qsort and bsearch call a comparator trampoline that
   carries its own context; all five shifted argument registers arrive. */
#include <stdint.h>
#include "harness.h"

struct order {
	int sign;		/* +1 ascending, -1 descending */
	long calls;		/* comparisons made through this context */
};

static int cmp(void *ctx, const void *a, const void *b)
{
	struct order *o = ctx;
	int x = *(const int *)a, y = *(const int *)b;

	o->calls++;
	return o->sign * ((x > y) - (x < y));
}

static long sum6(long ctx, long a, long b, long c, long d, long e)
{
	return ctx * 100000 + a * 10000 + b * 1000 + c * 100 + d * 10 + e;
}

static double mixed(void *ctx, double x, long a, double y)
{
	return *(double *)ctx + x * 10 + (double)a * 100 + y * 1000;
}

static void run(enum tramp_backend b)
{
	struct order up = { 1, 0 }, down = { -1, 0 };
	int v[1000], key, *hit;
	struct tramp *t = make(TRAMP_BIND, b, (void *)cmp, &up);
	int (*fn)(const void *, const void *) =
		(int (*)(const void *, const void *))tramp_code(t);

	for (int i = 0; i < 1000; i++)
		v[i] = (i * 7919) % 1000;
	qsort(v, 1000, sizeof(int), fn);
	for (int i = 0; i < 1000; i++)
		CHECK(v[i] == i);
	CHECK(up.calls > 1000);
	key = 637;
	hit = bsearch(&key, v, 1000, sizeof(int), fn);
	CHECK(hit && *hit == 637);
	key = 5000;
	CHECK(bsearch(&key, v, 1000, sizeof(int), fn) == NULL);

	/* Same code address, new context: the order flips. */
	CHECK(tramp_retarget(t, (void *)cmp, &down) == 0);
	qsort(v, 1000, sizeof(int), fn);
	for (int i = 0; i < 1000; i++)
		CHECK(v[i] == 999 - i);
	CHECK(down.calls > 1000);
	CHECK(tramp_lookup((void *)fn) == t);
	CHECK(tramp_kind_of(t) == TRAMP_BIND);
	CHECK(tramp_backend_of(t) == (int)b);
	tramp_destroy(t);

	/* Five register arguments shift to the last five registers. */
	t = make(TRAMP_BIND, b, (void *)sum6, (void *)7);
	CHECK(((long (*)(long, long, long, long, long))tramp_code(t))
	      (1, 2, 3, 4, 5) == 712345);
	tramp_destroy(t);

	/* Vector arguments are untouched. */
	double base = 0.5;
	t = make(TRAMP_BIND, b, (void *)mixed, &base);
	CHECK(((double (*)(double, long, double))tramp_code(t))(1, 2, 3)
	      == 0.5 + 10 + 200 + 3000);
	tramp_destroy(t);
	fprintf(stderr, "bind on %s: ok\n", backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
