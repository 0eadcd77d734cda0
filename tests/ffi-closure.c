/* SPDX-License-Identifier: MIT */
/* libtrampjit-ffi, linked before libffi: closures of every flavour (plain,
   raw, java raw) run from read+execute code that has no writable view;
   closure data is private (a fork child re-prepares its copy), threads
   allocate and free concurrently, bad input and bad ABIs fail cleanly. */
#ifndef HAVE_FFI_DROPIN
#include "harness.h"

int main(void)
{
	SKIP("no libtrampjit-ffi for this architecture (ffi/arch/<arch> "
	     "and <ffi.h> needed)");
}
#else
#include <ffi.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

/* The Java raw API is deprecated in libffi, and still exported. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* The mapping holding addr: its permissions and name, from /proc. */
static int mapping_of(const void *addr, char perms[5], char *name, size_t n)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	CHECK(f);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		int off = 0;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &lo, &hi,
			   perms, &off) < 3)
			continue;
		if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			snprintf(name, n, "%s", line + off);
			name[strcspn(name, "\n")] = 0;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* No mapping is writable and executable, and none of the code files of
   the closures has a writable view anywhere. */
static void no_writable_code(const char *code_file)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		char perms[5];

		CHECK(sscanf(line, "%*s %4s", perms) == 1);
		CHECK(!(perms[1] == 'w' && perms[2] == 'x'));
		if (*code_file && strstr(line, code_file))
			CHECK(perms[1] != 'w');
	}
	fclose(f);
}

static void add_fn(ffi_cif *cif, void *ret, void **args, void *data)
{
	*(ffi_arg *)ret = *(int *)args[0] + (int)*(double *)args[1] +
			  *(int *)data;
}

static ffi_cif cif_id;		/* int (int, double) */
static ffi_type *id_args[] = { &ffi_type_sint, &ffi_type_double };

static void *make_closure(int *data, void **code)
{
	ffi_closure *c = ffi_closure_alloc(sizeof(ffi_closure), code);

	CHECK(c && *code && (void *)c != *code);
	CHECK(ffi_prep_closure_loc(c, &cif_id, add_fn, data, *code) ==
	      FFI_OK);
	return c;
}

static void basics(void)
{
	int base = 100, other = 7;
	void *code;
	ffi_closure *c = make_closure(&base, &code);
	int (*fn)(int, double) = (int (*)(int, double))code;
	char perms[5], name[256];

	CHECK(fn(1, 2.5) == 103);
	/* Re-preparing changes what the same code does. */
	CHECK(ffi_prep_closure_loc(c, &cif_id, add_fn, &other, code) ==
	      FFI_OK);
	CHECK(fn(1, 2.5) == 10);
	CHECK(mapping_of(code, perms, name, sizeof(name)));
	CHECK(perms[0] == 'r' && perms[1] == '-' && perms[2] == 'x');
	CHECK(mapping_of(c, perms, name, sizeof(name)));
	CHECK(perms[1] == 'w' && perms[2] == '-' && perms[3] == 'p');
	CHECK(mapping_of(code, perms, name, sizeof(name)));
	no_writable_code(name);
	ffi_closure_free(c);
	ffi_closure_free(NULL);
}

static void raw_fn(ffi_cif *cif, void *ret, ffi_raw *args, void *data)
{
	*(ffi_arg *)ret = (ffi_arg)(args[0].sint * 10 + args[1].sint +
				    *(int *)data);
}

static void java_fn(ffi_cif *cif, void *ret, ffi_java_raw *args,
		    void *data)
{
	*(ffi_arg *)ret = (ffi_arg)(args[0].sint * 1000 + args[1].sint +
				    *(int *)data);
}

static void raw_closures(void)
{
	static ffi_type *args[] = { &ffi_type_sint, &ffi_type_sint };
	ffi_cif cif;
	int extra = 5;
	void *code;
	ffi_raw_closure *r;
	ffi_java_raw_closure *j;

	CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, args) ==
	      FFI_OK);
	r = ffi_closure_alloc(sizeof(*r), &code);
	CHECK(r);
	CHECK(ffi_prep_raw_closure_loc(r, &cif, raw_fn, &extra, code) ==
	      FFI_OK);
	CHECK(((int (*)(int, int))code)(3, 4) == 39);
	ffi_closure_free(r);
	j = ffi_closure_alloc(sizeof(*j), &code);
	CHECK(j);
	CHECK(ffi_prep_java_raw_closure_loc(j, &cif, java_fn, &extra, code) ==
	      FFI_OK);
	CHECK(((int (*)(int, int))code)(3, 4) == 3009);
	ffi_closure_free(j);
}

/* A fork child owns its copy of the closure data. */
static void forked(void)
{
	int base = 1, child_base = 50;
	void *code;
	ffi_closure *c = make_closure(&base, &code);
	int (*fn)(int, double) = (int (*)(int, double))code;
	int status;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		int ok = fn(1, 0) == 2;

		ok &= ffi_prep_closure_loc(c, &cif_id, add_fn, &child_base,
					   code) == FFI_OK;
		ok &= fn(1, 0) == 51;
		for (int i = 0; i < 100; i++) {	/* alloc and free too */
			void *cd;
			ffi_closure *d = make_closure(&child_base, &cd);

			ok &= ((int (*)(int, double))cd)(i, 0) == 50 + i;
			ffi_closure_free(d);
		}
		_exit(ok ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(c->user_data == &base && fn(1, 0) == 2);
	ffi_closure_free(c);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	void *code[64];
	ffi_closure *c[64];

	for (int r = 0; r < 200; r++) {
		for (int i = 0; i < 64; i++)
			c[i] = make_closure(&id, &code[i]);
		for (int i = 0; i < 64; i++)
			CHECK(((int (*)(int, double))code[i])(i, 0.5) ==
			      i + id);
		for (int i = 0; i < 64; i++)
			ffi_closure_free(c[i]);
	}
	return NULL;
}

static void threads(void)
{
	pthread_t th[4];

	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&th[i], NULL, worker,
				     (void *)(intptr_t)(i * 1000)) == 0);
	for (int i = 0; i < 4; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
}

static void bad_input(void)
{
	int base = 0;
	void *code = NULL;
	ffi_closure *c;
	ffi_cif cif = cif_id;

	CHECK(ffi_closure_alloc(sizeof(ffi_closure), NULL) == NULL);
	CHECK(ffi_closure_alloc(100000, &code) == NULL && errno == ENOMEM);
	/* Freeing something that is not a closure, or twice: ignored. */
	ffi_closure_free(&base);
	c = make_closure(&base, &code);
	ffi_closure_free(c);
	ffi_closure_free(c);

	/* An ABI libffi refuses: its own error code. */
	c = ffi_closure_alloc(sizeof(ffi_closure), &code);
	cif.abi = (ffi_abi)999;
	CHECK(ffi_prep_closure_loc(c, &cif, add_fn, &base, code) ==
	      FFI_BAD_ABI);
	CHECK(ffi_prep_closure_loc(c, NULL, add_fn, &base, code) ==
	      FFI_BAD_ABI);
	/* A closure called before it was prepared aborts, never jumps. */
	CHECK(call_aborts(code));
	ffi_closure_free(c);
}

int main(void)
{
	CHECK(ffi_prep_cif(&cif_id, FFI_DEFAULT_ABI, 2, &ffi_type_sint,
			   id_args) == FFI_OK);
	basics();
	raw_closures();
	forked();
	threads();
	bad_input();
	return 0;
}
#endif
