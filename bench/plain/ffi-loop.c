/* SPDX-License-Identifier: MIT */
/*
 * trampjit-ffi-loop: libtrampjit-ffi against the libffi it stands in
 * front of, as a user measures them: a program linked with -ltrampjit-ffi
 * before -lffi (what LD_PRELOAD does too), plain loops of
 * ffi_closure_alloc + ffi_prep_closure_loc + ffi_closure_free.  The
 * drop-in through the program's own calls, libffi's through libffi.so.8's
 * own symbols, interleaved; first in a process that never made a thread,
 * then after one was made and joined (glibc's mutexes, a pair of which
 * libffi takes per closure, stay on their atomic path from then on).
 * Prints "name value" lines (ns per closure, CPU time of this thread,
 * medians of 5), which bench_plain.c reads.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ffi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void closure_fn(ffi_cif *, void *, void **, void *);

struct api {
	void *(*alloc)(size_t, void **);
	ffi_status (*prep)(ffi_closure *, ffi_cif *, closure_fn *, void *,
			   void *);
	void (*free)(void *);
};

static ffi_cif cif;
static ffi_type *cif_args[1] = { &ffi_type_slong };

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void ffi_inc(ffi_cif *c, void *ret, void **args, void *data)
{
	*(ffi_arg *)ret = (ffi_arg)(*(long *)args[0] + 1);
}

/* The drop-in, called as a user's program calls libffi. */
static double dropin_churn(long n)
{
	double t0 = cpu_ns();

	for (long i = 0; i < n; i++) {
		void *code;
		ffi_closure *c = ffi_closure_alloc(sizeof(*c), &code);

		if (!c || ffi_prep_closure_loc(c, &cif, ffi_inc, NULL, code))
			return -1;
		ffi_closure_free(c);
	}
	return (cpu_ns() - t0) / (double)n;
}

static double stock_churn(const struct api *a, long n)
{
	double t0 = cpu_ns();

	for (long i = 0; i < n; i++) {
		void *code;
		ffi_closure *c = a->alloc(sizeof(*c), &code);

		if (!c || a->prep(c, &cif, ffi_inc, NULL, code))
			return -1;
		a->free(c);
	}
	return (cpu_ns() - t0) / (double)n;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define REPS	5

/* Medians of both, alternating so that drift hits both alike. */
static int measure(const struct api *stock, long n, double *ours,
		   double *theirs)
{
	double v[2][REPS];

	dropin_churn(n / 10 + 1);
	stock_churn(stock, n / 10 + 1);
	for (int r = 0; r < REPS; r++) {
		v[0][r] = dropin_churn(n);
		v[1][r] = stock_churn(stock, n);
		if (v[0][r] < 0 || v[1][r] < 0)
			return -1;
	}
	qsort(v[0], REPS, sizeof(v[0][0]), dcmp);
	qsort(v[1], REPS, sizeof(v[1][0]), dcmp);
	*ours = v[0][REPS / 2];
	*theirs = v[1][REPS / 2];
	return 0;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	void *h = dlopen("libffi.so.8", RTLD_NOW | RTLD_NOLOAD);
	struct api stock;
	double v[4];
	pthread_t t;

	if (n < 1 || !h || ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1,
					 &ffi_type_slong, cif_args) != FFI_OK)
		return 1;
	stock.alloc = dlvsym(h, "ffi_closure_alloc", "LIBFFI_CLOSURE_8.0");
	stock.prep = dlvsym(h, "ffi_prep_closure_loc", "LIBFFI_CLOSURE_8.0");
	stock.free = dlvsym(h, "ffi_closure_free", "LIBFFI_CLOSURE_8.0");
	/* The program's own calls must reach the drop-in, not libffi. */
	if (!stock.alloc || !stock.prep || !stock.free ||
	    stock.alloc == ffi_closure_alloc ||
	    stock.prep == ffi_prep_closure_loc ||
	    stock.free == ffi_closure_free) {
		fprintf(stderr, "ffi-loop: libtrampjit-ffi is not in front of "
			"libffi.so.8\n");
		return 1;
	}
	if (measure(&stock, n, &v[0], &v[1]) ||
	    pthread_create(&t, NULL, nothing, NULL) ||
	    pthread_join(t, NULL) || measure(&stock, n, &v[2], &v[3]))
		return 1;
	printf("dropin_plain %.3f\n", v[0]);
	printf("libffi_plain %.3f\n", v[1]);
	printf("dropin_threaded %.3f\n", v[2]);
	printf("libffi_threaded %.3f\n", v[3]);
	return 0;
}
