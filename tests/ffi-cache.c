/* SPDX-License-Identifier: MIT */
/* libtrampjit-ffi's cache of freed closures, linked before libffi: a freed
   closure comes back with an empty trampoline field and works as a new
   one; while freed it is never callable and never prepared, and writing
   to it corrupts nothing; double frees
   and frees of closures freed elsewhere are ignored; closures freed on
   other threads, raw closures and both data classes reuse it; a fork
   child reuses its copy of the parent's cache; thread exit returns the
   cache, also for closures freed after it. */
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
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static void add_fn(ffi_cif *cif, void *ret, void **args, void *data)
{
	*(ffi_arg *)ret = (ffi_arg)(*(int *)args[0] + *(int *)data);
}

static ffi_cif cif;		/* int (int) */
static ffi_type *cif_args[] = { &ffi_type_sint };

typedef int int_fn(int);

static int call(void *code, int x)
{
	return ((int_fn *)code)(x);
}

/* Whether calling code kills the process (a closure given back to the
   pool jumps nowhere: it faults). */
static int call_dies(void *code)
{
	int status;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		call(code, 0);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	return WIFSIGNALED(status);
}

/* A closure of size bytes returning x + *data. */
static ffi_closure *new_closure(size_t size, int *data, void **code)
{
	ffi_closure *c = ffi_closure_alloc(size, code);

	CHECK(c && *code);
	CHECK(ffi_prep_closure_loc(c, &cif, add_fn, data, *code) == FFI_OK);
	return c;
}

static int zero_tramp(const ffi_closure *c)
{
	static const char zero[FFI_TRAMPOLINE_SIZE];

	return !memcmp(c->tramp, zero, sizeof(zero));
}

/* Freed closures come back, last freed first, empty, and work; a freed
   one is not callable and cannot be prepared. */
static void reuse(void)
{
	static const size_t sizes[] = { sizeof(ffi_closure), 200 };
	int a = 10, b = 20;

	for (unsigned i = 0; i < 2; i++) {
		void *code, *code2;
		ffi_closure *c = new_closure(sizes[i], &a, &code), *d;

		CHECK(call(code, 1) == 11);
		ffi_closure_free(c);
		CHECK(call_aborts(code));
		CHECK(ffi_prep_closure_loc(c, &cif, add_fn, &b, code) ==
		      FFI_BAD_ABI);
		CHECK(call_aborts(code));
		d = ffi_closure_alloc(sizes[i], &code2);
		CHECK(d == c && code2 == code && zero_tramp(d));
		/* Allocated again, not prepared yet: still not callable. */
		CHECK(call_aborts(code));
		CHECK(ffi_prep_closure_loc(d, &cif, add_fn, &b, code2) ==
		      FFI_OK);
		CHECK(call(code2, 1) == 21);
		ffi_closure_free(d);
	}
}

/* Freeing twice, or freeing what is not an allocated closure, changes
   nothing: the cache never holds a closure twice. */
static void double_free(void)
{
	int a = 1, base = 0;
	void *code, *c1, *c2;
	ffi_closure *c = new_closure(sizeof(ffi_closure), &a, &code);

	ffi_closure_free(c);
	errno = 1234;
	ffi_closure_free(c);
	ffi_closure_free(&base);
	ffi_closure_free((char *)c + 8);
	CHECK(errno == 1234);
	c1 = new_closure(sizeof(ffi_closure), &a, &code);
	c2 = new_closure(sizeof(ffi_closure), &a, &code);
	CHECK(c1 == c && c2 != c1);
	CHECK(call(code, 2) == 3);
	/* Preparing inside a closure of ours: refused, nothing written. */
	CHECK(ffi_prep_closure_loc((ffi_closure *)((char *)c1 + 8), &cif,
				   add_fn, &a, code) == FFI_BAD_ABI);
	ffi_closure_free(c2);
	ffi_closure_free(c1);
}

/* A program writing all over a closure it freed corrupts nothing of the
   library's: the closure comes back with an empty trampoline field. */
static void scribble(void)
{
	int a = 9;
	void *code, *code2, *code3;
	ffi_closure *c = new_closure(sizeof(ffi_closure), &a, &code), *d, *e;

	ffi_closure_free(c);
	memset(c, 0x5a, sizeof(*c));
	d = ffi_closure_alloc(sizeof(ffi_closure), &code2);
	CHECK(d == c && code2 == code && zero_tramp(d));
	CHECK(ffi_prep_closure_loc(d, &cif, add_fn, &a, code2) == FFI_OK);
	CHECK(call(code2, 1) == 10);
	e = new_closure(sizeof(ffi_closure), &a, &code3);
	CHECK(e != d && call(code3, 2) == 11);
	ffi_closure_free(e);
	ffi_closure_free(d);
}

/* Raw closures reuse plain ones and the other way round. */
static void raw_fn(ffi_cif *cif, void *ret, ffi_raw *args, void *data)
{
	*(ffi_arg *)ret = (ffi_arg)(args[0].sint * 100 + *(int *)data);
}

static void raw_reuse(void)
{
	int a = 3;
	void *code, *code2;
	ffi_closure *c = new_closure(sizeof(ffi_raw_closure), &a, &code);
	ffi_raw_closure *r;

	ffi_closure_free(c);
	r = ffi_closure_alloc(sizeof(*r), &code2);
	CHECK((void *)r == c && code2 == code);
	CHECK(ffi_prep_raw_closure_loc(r, &cif, raw_fn, &a, code2) == FFI_OK);
	CHECK(call(code2, 4) == 403);
	ffi_closure_free(r);
	CHECK(ffi_prep_raw_closure_loc(r, &cif, raw_fn, &a, code2) ==
	      FFI_BAD_ABI);
	c = new_closure(sizeof(ffi_raw_closure), &a, &code);
	CHECK((void *)c == r && call(code, 4) == 7);
	ffi_closure_free(c);
}

struct handoff {
	ffi_closure *c;		/* the closure passed over */
	void *code;		/* its code */
	int data;		/* what the other thread prepares it with */
	int ok;			/* what the other thread saw */
};

/* Free the main thread's closure here, then allocate it again here. */
static void *other_thread(void *arg)
{
	struct handoff *h = arg;
	void *code;
	ffi_closure *c;

	ffi_closure_free(h->c);
	c = ffi_closure_alloc(sizeof(ffi_closure), &code);
	h->ok = c == h->c && code == h->code && zero_tramp(c) &&
		ffi_prep_closure_loc(c, &cif, add_fn, &h->data, code) ==
		FFI_OK && call(code, 1) == h->data + 1;
	ffi_closure_free(c);
	return NULL;
}

/* A closure freed on another thread lands in that thread's cache; the
   allocating thread's knowledge of it follows. */
static void cross_thread(void)
{
	int a = 5;
	struct handoff h = { .data = 40 };
	pthread_t t;
	void *code;
	ffi_closure *d;

	h.c = new_closure(sizeof(ffi_closure), &a, &h.code);
	CHECK(pthread_create(&t, NULL, other_thread, &h) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(h.ok);
	/* Freed by the other thread (and given back to the pool when it
	   exited): not callable, not preparable, and freeing it here again
	   is ignored. */
	CHECK(call_dies(h.code));
	CHECK(ffi_prep_closure_loc(h.c, &cif, add_fn, &a, h.code) ==
	      FFI_BAD_ABI);
	ffi_closure_free(h.c);
	d = new_closure(sizeof(ffi_closure), &a, &code);
	CHECK(call(code, 1) == 6);
	ffi_closure_free(d);
}

/* The child pops its copy of the parent's cache and prepares it with its
   own data; the parent's closure is untouched. */
static void forked(void)
{
	int a = 100, child = 200, status;
	void *code;
	ffi_closure *c = new_closure(sizeof(ffi_closure), &a, &code);
	pid_t pid;

	ffi_closure_free(c);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		void *cc;
		ffi_closure *d = new_closure(sizeof(ffi_closure), &child, &cc);
		int ok = d == c && cc == code && call(cc, 1) == 201;

		ffi_closure_free(d);
		d = new_closure(sizeof(ffi_closure), &child, &cc);
		ok &= d == c && call(cc, 2) == 202;
		_exit(ok ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(call_aborts(code));
	c = new_closure(sizeof(ffi_closure), &a, &code);
	CHECK(call(code, 1) == 101);
	ffi_closure_free(c);
}

#define PER_THREAD	64
static pthread_key_t late_key;

/* Runs after the library's own thread-exit destructor (a key made later):
   closures freed then must not stay in a dead thread's cache. */
static void late_free(void *arg)
{
	ffi_closure **c = arg;

	for (int i = PER_THREAD / 2; i < PER_THREAD; i++)
		ffi_closure_free(c[i]);
	free(c);
}

static void *churn_thread(void *arg)
{
	ffi_closure **c = malloc(PER_THREAD * sizeof(*c));
	int a = 1;

	CHECK(c);
	for (int i = 0; i < PER_THREAD; i++) {
		void *code;

		c[i] = new_closure(sizeof(ffi_closure), &a, &code);
		CHECK(call(code, i) == i + 1);
	}
	for (int i = 0; i < PER_THREAD / 2; i++)
		ffi_closure_free(c[i]);
	if (arg)
		CHECK(pthread_setspecific(late_key, c) == 0);
	else
		late_free(c);
	return NULL;
}

/* Thread exit gives the cache back: hundreds of threads that each leave
   closures behind in their cache, or free them after its destructor,
   need no new trampoline table. */
static void thread_exit(void)
{
	int tables;

	/* The library's key exists once a closure was made. */
	CHECK(pthread_key_create(&late_key, late_free) == 0);
	for (int late = 0; late < 2; late++) {
		pthread_t t;

		CHECK(pthread_create(&t, NULL, churn_thread,
				     late ? &late_key : NULL) == 0);
		CHECK(pthread_join(t, NULL) == 0);
		tables = stub_tables();
		for (int i = 0; i < 400; i++) {
			CHECK(pthread_create(&t, NULL, churn_thread,
					     late ? &late_key : NULL) == 0);
			CHECK(pthread_join(t, NULL) == 0);
		}
		CHECK(tables > 0 && stub_tables() <= tables + 1);
	}
}

int main(void)
{
	CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint,
			   cif_args) == FFI_OK);
	reuse();
	double_free();
	scribble();
	raw_reuse();
	cross_thread();
	forked();
	thread_exit();
	return 0;
}
#endif
