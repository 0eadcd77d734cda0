/* SPDX-License-Identifier: MIT */
/*
 * trampjit-plain-loop: trampolines against libffi closures as a user
 * measures them: a single-threaded program linking libtrampjit.so, plain
 * loops, both libraries in the same process, interleaved.  Prints
 * "name value" lines (ns per operation, CPU time of this thread, so that
 * other load on the machine does not count), which bench_plain.c reads.
 *
 * It must stay single-threaded: once a process has created a thread,
 * glibc's mutexes take the atomic path for good, and libffi's closure
 * allocation (a mutex pair per call) slows down by half; the bench
 * process has created threads, a user's plain loop has not.
 */
#include <ffi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <trampjit.h>

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long inc(long x)
{
	return x + 1;
}

static void handler_inc(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, tramp_arg(f, 0) + 1);
}

static void ffi_inc(ffi_cif *cif, void *ret, void **args, void *data)
{
	*(ffi_arg *)ret = (ffi_arg)(*(long *)args[0] + 1);
}

static ffi_cif cif;
static ffi_type *cif_args[1] = { &ffi_type_slong };

static double tramp_churn(long n)
{
	struct tramp_spec spec = { .kind = TRAMP_CHAIN };
	double t0;

	memcpy(&spec.target, &(long (*)(long)){ inc }, sizeof(spec.target));
	t0 = cpu_ns();
	for (long i = 0; i < n; i++)
		tramp_destroy(tramp_create(&spec));
	return (cpu_ns() - t0) / (double)n;
}

static double ffi_churn(long n)
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

static double calls(long (*volatile fn)(long), long n)
{
	double t0 = cpu_ns();
	long x = 0;

	for (long i = 0; i < n; i++)
		x = fn(x);
	if (x != n)
		return -1;
	return (cpu_ns() - t0) / (double)n;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define REPS	5

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	struct tramp_spec hs = { .kind = TRAMP_HANDLER,
				 .handler = handler_inc };
	double v[4][REPS];
	long (*hfn)(long), (*ffn)(long);
	struct tramp *t;
	ffi_closure *c;
	void *code;

	if (n < 1 || ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_slong,
				  cif_args) != FFI_OK)
		return 1;
	t = tramp_create(&hs);
	c = ffi_closure_alloc(sizeof(*c), &code);
	if (!t || !c || ffi_prep_closure_loc(c, &cif, ffi_inc, NULL, code))
		return 1;
	memcpy(&ffn, &code, sizeof(ffn));
	code = tramp_code(t);
	memcpy(&hfn, &code, sizeof(hfn));
	/* Warm up, then alternate so drift hits both alike; medians. */
	tramp_churn(n / 10 + 1);
	ffi_churn(n / 10 + 1);
	for (int r = 0; r < REPS; r++) {
		v[0][r] = tramp_churn(n);
		v[1][r] = ffi_churn(n);
		v[2][r] = calls(hfn, 5 * n);
		v[3][r] = calls(ffn, 5 * n);
		for (int k = 0; k < 4; k++)
			if (v[k][r] < 0)
				return 1;
	}
	for (int k = 0; k < 4; k++)
		qsort(v[k], REPS, sizeof(v[k][0]), dcmp);
	printf("tramp_create+destroy %.3f\n", v[0][REPS / 2]);
	printf("ffi_alloc+prep+free %.3f\n", v[1][REPS / 2]);
	printf("handler_call %.3f\n", v[2][REPS / 2]);
	printf("ffi_closure_call %.3f\n", v[3][REPS / 2]);
	tramp_destroy(t);
	ffi_closure_free(c);
	return 0;
}
