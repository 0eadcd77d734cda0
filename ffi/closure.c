/* SPDX-License-Identifier: MIT */
/*
 * libtrampjit-ffi: libffi's closure allocator and closure preparation on
 * trampjit, for every program that uses the system's libffi, without
 * rebuilding it.  Preload it (LD_PRELOAD) or link it before -lffi.
 *
 * A closure is a trampjit trampoline with co-allocated data: the data is
 * the ffi_closure the caller writes (private memory: a fork child owns its
 * copy and may write and re-prepare it), the code a static-backend stub in
 * read+execute pages of which no writable view exists.  Preparing a
 * closure lets the system's libffi prepare the closure data as it always
 * does (so cif checks, ABIs and error codes are libffi's own), checks that
 * the bytes libffi wrote are the trampoline layout this library knows
 * (arch/<arch>/ffi_layout.h) and that the entry they name lies inside that
 * libffi, then points the trampoline at that entry with the closure as its
 * data.  Where libffi's entry takes the closure in another register than
 * the static chain (aarch64, riscv64), the trampoline's target is instead
 * the arch's shim for that entry (arch/<arch>/ffi_shims.S), which moves
 * the chain there and jumps to the entry.  Any other layout fails with
 * FFI_BAD_ABI: nothing ever jumps to an address that was not checked.
 *
 * libffi is found with dlopen(RTLD_NOLOAD), which also sees a copy loaded
 * RTLD_LOCAL (Python's _ctypes), and otherwise with RTLD_NEXT.  Raw and
 * Java raw closures translate their arguments here: libffi's own helpers
 * for them pass the code address as the closure, which is not one here.
 * Allocation and freeing, through a per-thread cache of freed closures,
 * are cache.c's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <ffi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "ffi_layout.h"

#define EXPORT __attribute__((visibility("default")))
#define FFI_SONAME	"libffi.so.8"
#define V_CLOSURE	"LIBFFI_CLOSURE_8.0"
#define V_BASE		"LIBFFI_BASE_8.0"

_Static_assert(FFI_TRAMPOLINE_SIZE == FFI_LAYOUT_TRAMP_SIZE, "ffi layout");
_Static_assert(offsetof(ffi_closure, cif) == FFI_LAYOUT_TRAMP_SIZE,
	       "ffi layout");
_Static_assert(FFI_LAYOUT_ENTRY_AT + sizeof(void *) <= FFI_LAYOUT_TRAMP_SIZE,
	       "ffi layout");

typedef void closure_fn(ffi_cif *, void *, void **, void *);
typedef void raw_fn(ffi_cif *, void *, ffi_raw *, void *);
typedef void java_fn(ffi_cif *, void *, ffi_java_raw *, void *);

/* What this library uses of the real libffi. */
struct libffi {
	ffi_status (*prep)(ffi_closure *, ffi_cif *, closure_fn *, void *,
			   void *);
	ffi_status (*prep_raw)(ffi_raw_closure *, ffi_cif *, raw_fn *,
			       void *, void *);
	ffi_status (*prep_java)(ffi_java_raw_closure *, ffi_cif *, java_fn *,
				void *, void *);
	size_t (*raw_size)(ffi_cif *);
	void (*to_raw)(ffi_cif *, void **, ffi_raw *);
	size_t (*java_size)(ffi_cif *);
	void (*java_to_raw)(ffi_cif *, void **, ffi_java_raw *);
	void *base;		/* load address of libffi's object */
};

static struct libffi real;		/* valid once ready is set */
static atomic_int ready;
static pthread_mutex_t real_lock = PTHREAD_MUTEX_INITIALIZER;
/* Closure entries already checked to lie in libffi: set once each, never
   changed (the shims jump through them). */
#define NENTRIES 4
void *_Atomic ffi_entries[NENTRIES];

#ifdef FFI_LAYOUT_SHIMS
_Static_assert(FFI_LAYOUT_SHIMS == NENTRIES, "one shim per entry");
extern const char ffi_shims[];

/* The trampoline target for ffi_entries[i] (which is entry): its shim. */
static inline void *target_of(void *entry, int i)
{
	return (void *)(ffi_shims + i * FFI_LAYOUT_SHIM_STRIDE);
}
#else
/* The trampoline target for entry (ffi_entries[i], or in none of them
   when i is -1): the entry itself, the closure being the static chain. */
static inline void *target_of(void *entry, int i)
{
	return entry;
}
#endif

/* name@ver in h, if it is not this library's own. */
static void *sym(void *h, const char *name, const char *ver)
{
	void *p = dlvsym(h, name, ver);
	Dl_info it, self;

	if (!p || !dladdr(p, &it) || !dladdr((void *)sym, &self) ||
	    it.dli_fbase == self.dli_fbase)
		return NULL;
	return p;
}

static int resolve(void *h)
{
	struct libffi r;
	Dl_info it;

	r.prep = sym(h, "ffi_prep_closure_loc", V_CLOSURE);
	r.prep_raw = sym(h, "ffi_prep_raw_closure_loc", V_CLOSURE);
	r.prep_java = sym(h, "ffi_prep_java_raw_closure_loc", V_CLOSURE);
	r.raw_size = sym(h, "ffi_raw_size", V_BASE);
	r.to_raw = sym(h, "ffi_ptrarray_to_raw", V_BASE);
	r.java_size = sym(h, "ffi_java_raw_size", V_BASE);
	r.java_to_raw = sym(h, "ffi_java_ptrarray_to_raw", V_BASE);
	if (!r.prep || !r.prep_raw || !r.prep_java || !r.raw_size ||
	    !r.to_raw || !r.java_size || !r.java_to_raw ||
	    !dladdr((void *)r.prep, &it))
		return -1;
	r.base = it.dli_fbase;
	real = r;
	return 0;
}

/* libffi() the first time, or while no libffi is loaded. */
static __attribute__((noinline)) const struct libffi *libffi_load(void)
{
	pthread_mutex_lock(&real_lock);
	if (!atomic_load_explicit(&ready, memory_order_relaxed)) {
		void *h = dlopen(FFI_SONAME, RTLD_LAZY | RTLD_NOLOAD);

		if ((h && !resolve(h)) || !resolve(RTLD_NEXT))
			atomic_store_explicit(&ready, 1,
					      memory_order_release);
	}
	pthread_mutex_unlock(&real_lock);
	return atomic_load_explicit(&ready, memory_order_relaxed) ?
	       &real : NULL;
}

/* The real libffi, or NULL when none is loaded (then retried later). */
static inline const struct libffi *libffi(void)
{
	if (__builtin_expect(atomic_load_explicit(&ready,
						  memory_order_acquire), 1))
		return &real;
	return libffi_load();
}

/* target for an entry not yet in ffi_entries[]: ask the dynamic linker. */
static __attribute__((noinline)) void *target_check(const struct libffi *lib,
						    void *entry)
{
	Dl_info it;

	if (!entry || !dladdr(entry, &it) || it.dli_fbase != lib->base)
		return NULL;
	for (int i = 0; i < NENTRIES; i++) {
		void *expect = NULL;

		if (atomic_compare_exchange_strong(&ffi_entries[i], &expect,
						   entry) || expect == entry)
			return target_of(entry, i);
	}
#ifdef FFI_LAYOUT_SHIMS
	return NULL;		/* no shim left for it */
#else
	return target_of(entry, -1);
#endif
}

/* The trampoline target for entry if it is code of lib's object (checked
   once per entry), else NULL. */
static inline void *target(const struct libffi *lib, void *entry)
{
	for (int i = 0; i < NENTRIES; i++) {
		void *e = atomic_load_explicit(&ffi_entries[i],
					       memory_order_acquire);

		if (e == entry && e)
			return target_of(e, i);
		if (!e)
			break;
	}
	return target_check(lib, entry);
}

EXPORT void *ffi_closure_alloc(size_t size, void **code)
{
	if (!code) {
		errno = EINVAL;
		return NULL;
	}
	if (size > TRAMP_DATA_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	return closure_alloc(size ? size : 1, code);
}

EXPORT void ffi_closure_free(void *ptr)
{
	closure_free(ptr);
}

/*
 * Prepare c, a closure of ours whose trampoline is at slot: libffi fills
 * it in, then this checks what libffi wrote and points the trampoline at
 * the entry.  The trampoline field stays empty between preparations, so
 * libffi never mistakes the closure for one with a static trampoline of
 * its own.  Its code is where the closure runs, whatever codeloc the
 * caller passes: the closure data itself is never executable here.
 */
static ffi_status prep(const struct libffi *lib, void *slot, ffi_closure *c,
		       ffi_cif *cif, closure_fn *fun, void *user_data,
		       void *codeloc)
{
	static const unsigned char code[] = FFI_LAYOUT_CODE;
	_Static_assert(sizeof(code) == FFI_LAYOUT_CODE_SIZE, "ffi layout");
	ffi_status st = lib->prep(c, cif, fun, user_data, codeloc);
	void *entry, *to = NULL;

	if (st != FFI_OK)
		return st;
	memcpy(&entry, c->tramp + FFI_LAYOUT_ENTRY_AT, sizeof(entry));
	if (!memcmp(c->tramp, code, FFI_LAYOUT_CODE_SIZE))
		to = target(lib, entry);
	/* Unprepared again when refused, never half-prepared. */
	closure_set(slot, c, to ? to : (void *)closure_unprepared);
	memset(c->tramp, 0, FFI_LAYOUT_TRAMP_SIZE);
	return to ? FFI_OK : FFI_BAD_ABI;
}

/*
 * A closure that is not ours (not from ffi_closure_alloc) is libffi's
 * business; one of ours that is not allocated (freed, or an address
 * inside one) is refused.
 */
EXPORT ffi_status ffi_prep_closure_loc(ffi_closure *closure, ffi_cif *cif,
				       closure_fn *fun, void *user_data,
				       void *codeloc)
{
	const struct libffi *lib = libffi();
	void *slot;

	if (!lib || !cif || !closure)
		return FFI_BAD_ABI;
	slot = closure_slot(closure);
	if (!slot)
		return closure_area(closure) ? FFI_BAD_ABI :
		       lib->prep(closure, cif, fun, user_data, codeloc);
	return prep(lib, slot, closure, cif, fun, user_data, codeloc);
}

static void raw_translate(ffi_cif *cif, void *ret, void **args, void *data)
{
	ffi_raw_closure *cl = data;
	ffi_raw *raw = __builtin_alloca(real.raw_size(cif));

	real.to_raw(cif, args, raw);
	cl->fun(cif, ret, raw, cl->user_data);
}

/* Java raw values are the raw ones on little-endian 64-bit targets, so
   the return value needs no conversion there (libffi shifts it on
   big-endian ones). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ &&
	       sizeof(void *) == 8, "java raw return values");
static void java_translate(ffi_cif *cif, void *ret, void **args, void *data)
{
	ffi_java_raw_closure *cl = data;
	ffi_java_raw *raw = __builtin_alloca(real.java_size(cif));

	real.java_to_raw(cif, args, raw);
	cl->fun(cif, ret, raw, cl->user_data);
}

/* Raw and Java raw closures share one layout: an ffi_closure whose fun
   and user_data are translate and the closure itself, then the user's. */
_Static_assert(offsetof(ffi_raw_closure, fun) ==
	       offsetof(ffi_java_raw_closure, fun) &&
	       offsetof(ffi_raw_closure, user_data) ==
	       offsetof(ffi_java_raw_closure, user_data) &&
	       offsetof(ffi_raw_closure, translate_args) ==
	       offsetof(ffi_closure, fun), "raw closure layout");

/* Prepare a raw (java 0) or Java raw (java 1) closure. */
static ffi_status prep_raw(ffi_raw_closure *cl, ffi_cif *cif, raw_fn *fun,
			   void *user_data, void *codeloc, int java)
{
	const struct libffi *lib = libffi();
	ffi_status st;
	void *slot;

	if (!lib || !cif || !cl)
		return FFI_BAD_ABI;
	slot = closure_slot(cl);
	if (!slot && closure_area(cl))
		return FFI_BAD_ABI;
	if (!slot)
		return java ? lib->prep_java((ffi_java_raw_closure *)cl, cif,
					     (java_fn *)fun, user_data,
					     codeloc) :
			      lib->prep_raw(cl, cif, fun, user_data, codeloc);
	st = prep(lib, slot, (ffi_closure *)cl, cif,
		  java ? java_translate : raw_translate, cl, codeloc);
	if (st == FFI_OK) {
		cl->fun = fun;
		cl->user_data = user_data;
	}
	return st;
}

EXPORT ffi_status ffi_prep_raw_closure_loc(ffi_raw_closure *cl,
					   ffi_cif *cif, raw_fn *fun,
					   void *user_data, void *codeloc)
{
	return prep_raw(cl, cif, fun, user_data, codeloc, 0);
}

EXPORT ffi_status ffi_prep_java_raw_closure_loc(ffi_java_raw_closure *cl,
						ffi_cif *cif, java_fn *fun,
						void *user_data, void *codeloc)
{
	return prep_raw((ffi_raw_closure *)cl, cif, (raw_fn *)fun, user_data,
			codeloc, 1);
}
