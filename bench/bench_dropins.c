/* SPDX-License-Identifier: MIT */
/*
 * Drop-ins against what they replace, in the same run: libtrampjit-ffi's
 * ffi_closure_alloc + ffi_prep_closure_loc + ffi_closure_free against the
 * system libffi's; libtrampjit-nested's GCC 14 hooks against libgcc's
 * (from the system libgcc_s when it has them, GCC >= 14, or the file named
 * by TRAMPJIT_BENCH_LIBGCC); and the API they use: co-allocated data
 * against create + malloc, LIFO push + pop against create + destroy.
 * The drop-in libraries are loaded RTLD_LOCAL from the build directory.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#ifdef HAVE_LIBFFI
#include <ffi.h>
#endif
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trampjit.h>
#include "bench.h"

#define DROP	"drop-ins: create+free (ns per pair)"

#ifdef HAVE_LIBFFI
typedef void *alloc_fn(size_t, void **);
typedef ffi_status prep_fn(ffi_closure *, ffi_cif *,
			   void (*)(ffi_cif *, void *, void **, void *),
			   void *, void *);
typedef void free_fn(void *);
#endif
typedef void created_fn(void *, void *, void *);
typedef void deleted_fn(void);

#ifdef HAVE_LIBFFI
struct ffi_api {
	alloc_fn *alloc;
	prep_fn *prep;
	free_fn *free;
};
#endif

struct nested_api {
	created_fn *created;
	deleted_fn *deleted;
	int call;		/* call through the trampoline too */
};

#ifdef HAVE_LIBFFI
static ffi_cif cif;

static void closure_fn(ffi_cif *c, void *ret, void **args, void *data)
{
	*(ffi_arg *)ret = 0;
}
#endif

static long chain_target(long x)
{
	return x + 1;
}

#ifdef HAVE_LIBFFI
static void loop_ffi(void *arg, long n)
{
	struct ffi_api *a = arg;

	for (long i = 0; i < n; i++) {
		void *code;
		ffi_closure *c = a->alloc(sizeof(*c), &code);

		if (!c || a->prep(c, &cif, closure_fn, NULL, code) != FFI_OK)
			abort();
		a->free(c);
	}
}
#endif

static void loop_nested(void *arg, long n)
{
	struct nested_api *a = arg;

	for (long i = 0; i < n; i++) {
		long (*fn)(long);

		a->created((void *)i, (void *)chain_target, &fn);
		if (a->call && fn(i) != i + 1)
			abort();
		a->deleted();
	}
}

static void loop_data(void *arg, long n)
{
	struct tramp_spec spec = {
		.kind = TRAMP_BIND, .target = (void *)chain_target,
		.data_size = 64,
	};

	for (long i = 0; i < n; i++) {
		struct tramp *t = tramp_create(&spec);

		if (!t)
			abort();
		*(long *)tramp_data(t) = i;
		tramp_destroy(t);
	}
}

static void loop_malloc(void *arg, long n)
{
	struct tramp_spec spec = {
		.kind = TRAMP_BIND, .target = (void *)chain_target,
	};

	for (long i = 0; i < n; i++) {
		struct tramp *t;

		spec.data = calloc(1, 64);
		t = tramp_create(&spec);
		if (!t || !spec.data)
			abort();
		*(long *)spec.data = i;
		tramp_destroy(t);
		free(spec.data);
	}
}

static void loop_lifo(void *arg, long n)
{
	for (long i = 0; i < n; i++) {
		if (!tramp_lifo_push(TRAMP_CHAIN, (void *)chain_target,
				     (void *)i))
			abort();
		tramp_lifo_pop();
	}
}

static void loop_create(void *arg, long n)
{
	struct tramp_spec spec = {
		.kind = TRAMP_CHAIN, .target = (void *)chain_target,
	};

	for (long i = 0; i < n; i++) {
		spec.data = (void *)i;
		tramp_destroy(tramp_create(&spec));
	}
}

/* A drop-in library of this build, loaded RTLD_LOCAL, or NULL. */
static void *drop_in(const char *name)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = 0;
	/* O/bench/trampjit-bench -> O/name */
	snprintf(path, sizeof(path), "%s/%s", dirname(dirname(exe)), name);
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

/* Record row: trampjit's figure, the other's, and the ratio. */
static void pair(const char *row, const char *other, double ours,
		 double theirs)
{
	bench_result(DROP, row, "trampjit", bench_scalar(ours), "ns");
	if (theirs > 0) {
		bench_result(DROP, row, other, bench_scalar(theirs), "ns");
		bench_result(DROP, row, "ratio", bench_scalar(ours / theirs),
			     "x");
	} else {
		bench_text(DROP, row, other, "n/a");
	}
}

#ifdef HAVE_LIBFFI
static void ffi_rows(long n)
{
	static ffi_type *args[] = { &ffi_type_sint };
	struct ffi_api stock = {
		ffi_closure_alloc, ffi_prep_closure_loc, ffi_closure_free,
	}, ours;
	void *h = drop_in("libtrampjit-ffi.so");

	if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint, args))
		abort();
	if (!h) {
		bench_note(DROP, "libffi row skipped: %s", dlerror());
		return;
	}
	ours.alloc = (alloc_fn *)dlsym(h, "ffi_closure_alloc");
	ours.prep = (prep_fn *)dlsym(h, "ffi_prep_closure_loc");
	ours.free = (free_fn *)dlsym(h, "ffi_closure_free");
	if (!ours.alloc || !ours.prep || !ours.free)
		abort();
	pair("libffi closure alloc+prep+free", "libffi 3.4",
	     bench_time(loop_ffi, &ours, n).med,
	     bench_time(loop_ffi, &stock, n).med);
}
#else
static void ffi_rows(long n)
{
	bench_note(DROP, "libffi row skipped: no libffi for this toolchain");
}
#endif

static void nested_rows(long n)
{
	const char *path = getenv("TRAMPJIT_BENCH_LIBGCC");
	void *h = drop_in("libtrampjit-nested.so");
	void *g = dlopen(path ? path : "libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
	struct nested_api ours = { 0 }, gcc = { 0 };

	if (!h) {
		bench_note(DROP, "nested rows skipped: %s", dlerror());
		return;
	}
	ours.created = (created_fn *)dlsym(h, "__gcc_nested_func_ptr_created");
	ours.deleted = (deleted_fn *)dlsym(h, "__gcc_nested_func_ptr_deleted");
	if (!ours.created || !ours.deleted)
		abort();
	if (g) {
		gcc.created = (created_fn *)dlvsym(g,
			"__gcc_nested_func_ptr_created", "GCC_14.0.0");
		gcc.deleted = (deleted_fn *)dlvsym(g,
			"__gcc_nested_func_ptr_deleted", "GCC_14.0.0");
	}
	if (!gcc.created || !gcc.deleted)
		bench_note(DROP, "libgcc columns: %s has no heap trampolines "
			   "(GCC < 14); set TRAMPJIT_BENCH_LIBGCC to a GCC 14 "
			   "libgcc_s.so.1", path ? path : "libgcc_s.so.1");
	for (int call = 0; call < 2; call++) {
		ours.call = gcc.call = call;
		pair(call ? "GCC nested: created, one call, deleted" :
			    "GCC nested: created+deleted", "libgcc 14",
		     bench_time(loop_nested, &ours, n).med,
		     gcc.created ? bench_time(loop_nested, &gcc, n).med : -1);
	}
}

static void dropins_section(void)
{
	long n = bench_n(1000000);

	ffi_rows(n);
	nested_rows(n);
	pair("BIND + 64 B of data: co-allocated vs calloc", "create+calloc",
	     bench_time(loop_data, NULL, n).med,
	     bench_time(loop_malloc, NULL, n).med);
	pair("CHAIN: LIFO push+pop vs create+destroy", "create+destroy",
	     bench_time(loop_lifo, NULL, n).med,
	     bench_time(loop_create, NULL, n).med);
	bench_note(DROP, "Targets: ratio <= 1 on every row (the drop-ins cost "
		   "no more than what they replace; co-allocation and LIFO "
		   "cost less than the general path).  libgcc writes each "
		   "trampoline into a writable+executable page, so a call "
		   "after it pays a self-modifying-code pipeline clear.");
}

BENCH_SECTION(35, "drop-ins: libffi closures and GCC nested functions",
	      dropins_section)
