/* SPDX-License-Identifier: MIT */
/*
 * Static trampolines: call latency of every kind against direct and
 * indirect calls and the two stub-shape floors; create+destroy throughput
 * with 1 and 100,000 live, on 1 and 2 threads; libffi closures as the peer.
 */
#ifdef HAVE_LIBFFI
#include <ffi.h>
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <trampjit.h>
#include "bench.h"

#define CALLS	"trampoline call latency"
#define CREATE	"trampoline create+destroy"

__attribute__((noinline)) long bench_inc(long x)
{
	__asm__ volatile("");
	return x + 1;
}

__attribute__((noinline)) long bench_bind_inc(void *data, long x)
{
	__asm__ volatile("");
	return x + 1;
}

void bench_handler_inc(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, tramp_arg(f, 0) + 1);
}

long floor_indirect_stub(long), floor_direct_stub(long);

static long (*volatile fnptr)(long);

static void loop_direct(void *arg, long n)
{
	long s = 0;

	for (long i = 0; i < n; i++)
		s = bench_inc(s);
	__asm__ volatile("" : : "r"(s));
}

static void loop_ptr(void *arg, long n)
{
	long (*fn)(long) = fnptr;
	long s = 0;

	for (long i = 0; i < n; i++) {
		s = fn(s);
		__asm__ volatile("" : "+r"(fn));
	}
	if (s != n)
		abort();
}

/* Call latency of fn (set in fnptr), as ns and as ratios. */
static void call_row(const char *row, long (*fn)(long))
{
	struct stats s;
	double ind;

	fnptr = fn;
	s = bench_time(loop_ptr, NULL, bench_n(20000000));
	bench_result(CALLS, row, "ns/call", s, "ns");
	ind = bench_get(CALLS, "indirect call", "ns/call");
	if (ind > 0)
		bench_result(CALLS, row, "vs indirect",
			     bench_scalar(s.med / ind), "x");
}

#ifdef HAVE_LIBFFI
/* libffi: a closure with signature long(long). */
static void ffi_inc(ffi_cif *cif, void *ret, void **args, void *data)
{
	*(ffi_arg *)ret = *(long *)args[0] + 1;
}

static ffi_cif inc_cif;
static ffi_type *inc_args[1] = { &ffi_type_slong };

static void *ffi_make(void **code)
{
	ffi_closure *c = ffi_closure_alloc(sizeof(ffi_closure), code);

	if (!c || ffi_prep_closure_loc(c, &inc_cif, ffi_inc, NULL, *code) !=
	    FFI_OK)
		return NULL;
	return c;
}

static void ffi_init(void)
{
	ffi_prep_cif(&inc_cif, FFI_DEFAULT_ABI, 1, &ffi_type_slong, inc_args);
}
#else
/* No libffi for this toolchain: the peer rows are left out. */
static void *ffi_make(void **code)
{
	return NULL;
}

static void ffi_closure_free(void *c)
{
}

static void ffi_init(void)
{
}
#endif

static void call_section(void)
{
	struct tramp_context ctx = { .pc = (void *)bench_inc };
	struct { enum tramp_kind k; const char *name; void *target; }
	kinds[] = {
		{ TRAMP_CHAIN, "static CHAIN", (void *)bench_inc },
		{ TRAMP_BIND, "static BIND", (void *)bench_bind_inc },
		{ TRAMP_HANDLER, "static HANDLER", (void *)bench_handler_inc },
		{ TRAMP_CONTEXT, "static CONTEXT", NULL },
	};
	void *code;
	void *c;

	ffi_init();
	bench_result(CALLS, "direct call", "ns/call",
		     bench_time(loop_direct, NULL, bench_n(20000000)), "ns");
	call_row("indirect call", bench_inc);
	call_row("floor: stub ending in indirect jmp", floor_indirect_stub);
	call_row("floor: direct jmp from library text", floor_direct_stub);
	for (unsigned i = 0; i < 4; i++) {
		struct tramp_spec spec = {
			.kind = kinds[i].k, .target = kinds[i].target,
			.handler = (tramp_handler_fn *)kinds[i].target,
			.context = &ctx,
		};
		struct tramp *t = tramp_create(&spec);

		if (!t) {
			bench_note(CALLS, "%s: tramp_create failed: %m",
				   kinds[i].name);
			continue;
		}
		call_row(kinds[i].name, (long (*)(long))tramp_code(t));
		tramp_destroy(t);
	}
	c = ffi_make(&code);
	if (c) {
		call_row("libffi closure (peer)", (long (*)(long))code);
		ffi_closure_free(c);
	}
	double h = bench_get(CALLS, "static HANDLER", "ns/call");
	double f = bench_get(CALLS, "libffi closure (peer)", "ns/call");
	if (h > 0 && f > 0)
		bench_result(CALLS, "static HANDLER", "vs libffi",
			     bench_scalar(h / f), "x");
	bench_note(CALLS, "Targets: CHAIN and BIND <= 2.5x indirect call "
		   "(sitting on the indirect-jmp floor); HANDLER <= 0.5x "
		   "a libffi closure call.");
}

/* Create+destroy throughput: each op creates one and destroys one, with
   `live` trampolines kept alive meanwhile. */
struct churn {
	long live;		/* kept alive during the loop */
	long n;			/* operations */
	int ffi;		/* libffi peer instead of trampjit */
	double ns;		/* result: ns per op */
};

static void *churn_run(void *arg)
{
	struct churn *c = arg;
	void **keep = calloc((size_t)c->live + 1, sizeof(void *));
	struct tramp_spec spec = { .kind = TRAMP_BIND, .target = bench_bind_inc };
	double t0;
	void *code;

	for (long i = 0; i < c->live; i++)
		keep[i] = c->ffi ? ffi_make(&code) : tramp_create(&spec);
	t0 = bench_now_ns();
	for (long i = 0; i < c->n; i++) {
		if (c->ffi) {
			void *cl = ffi_make(&code);

			ffi_closure_free(cl);
		} else {
			spec.data = (void *)i;
			tramp_destroy(tramp_create(&spec));
		}
	}
	c->ns = (bench_now_ns() - t0) / (double)c->n;
	for (long i = 0; i < c->live; i++) {
		if (c->ffi)
			ffi_closure_free(keep[i]);
		else
			tramp_destroy(keep[i]);
	}
	free(keep);
	return NULL;
}

/* Whether libffi closures can be made here. */
static int ffi_make_ok(void)
{
	void *code, *c;

	ffi_init();
	c = ffi_make(&code);
	if (!c)
		return 0;
	ffi_closure_free(c);
	return 1;
}

/* Mops/s of nthreads running churn_run at once (median of reps). */
static struct stats churn(int nthreads, long live, int ffi)
{
	double v[16];
	int reps = bench_opts.quick ? 1 : 5;

	for (int r = 0; r < reps; r++) {
		struct churn c[2];
		pthread_t th[2];
		double t0 = bench_now_ns(), ops = 0;

		for (int i = 0; i < nthreads; i++) {
			c[i] = (struct churn){ live, bench_n(2000000), ffi, 0 };
			pthread_create(&th[i], NULL, churn_run, &c[i]);
		}
		for (int i = 0; i < nthreads; i++) {
			pthread_join(th[i], NULL);
			ops += (double)c[i].n;
		}
		(void)t0;
		/* throughput: sum over threads of ops / own loop time */
		v[r] = 0;
		for (int i = 0; i < nthreads; i++)
			v[r] += 1e3 / c[i].ns;
		(void)ops;
	}
	return bench_stats(v, reps);
}

static void create_section(void)
{
	static const long lives[] = { 1, 100000 };

	for (unsigned l = 0; l < 2; l++) {
		char row[64];
		struct stats t1, t2, f1;

		snprintf(row, sizeof(row), "%ld live", lives[l]);
		t1 = churn(1, lives[l], 0);
		t2 = churn(2, lives[l], 0);
		bench_result(CREATE, row, "trampjit 1 thread", t1, "Mops/s");
		bench_result(CREATE, row, "trampjit 2 threads", t2, "Mops/s");
		if (ffi_make_ok()) {
			f1 = churn(1, lives[l], 1);
			bench_result(CREATE, row, "libffi 1 thread", f1,
				     "Mops/s");
			bench_result(CREATE, row, "vs libffi",
				     bench_scalar(t1.med / f1.med), "x");
		}
		bench_result(CREATE, row, "2 vs 1 thread",
			     bench_scalar(t2.med / t1.med), "x");
	}
	if (!ffi_make_ok())
		bench_note(CREATE, "No libffi for this toolchain: no peer.");
	bench_note(CREATE, "Targets: >= 3x libffi alloc+prep+free with 1 and "
		   "100,000 live; 2 threads >= 1.6x one thread.");
}

BENCH_SECTION(10, "trampoline calls", call_section)
BENCH_SECTION(11, "trampoline create+destroy", create_section)
