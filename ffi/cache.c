/* SPDX-License-Identifier: MIT */
/*
 * libtrampjit-ffi's closures, and a per-thread cache of freed ones.
 *
 * A closure is a static TRAMP_CHAIN trampoline with co-allocated data (the
 * ffi_closure).  Freeing one does not give it back to trampjit's pool at
 * once: the thread keeps up to CLOSURE_CACHE_MAX freed closures per data
 * class, each trampoline still allocated and pointed at closure_freed, so
 * that allocating a closure is a pop and a pair store, preparing it a pair
 * store, and freeing it a pair store and a push: no lock, no atomic, no
 * call (the fast paths are inline in cache.h).
 *
 * A slot's target says what its closure is: closure_unprepared
 * (allocated), a libffi entry (prepared), closure_freed (in a cache), or
 * 0 (back in the pool).  The cache is an array per thread, apart from the
 * closures: a program writing to a closure it freed cannot corrupt it.
 *
 * Each thread remembers the closure it allocated last, with its slot and
 * table, so that preparing and freeing it needs no directory lookup (any
 * other closure is looked up).  A closure's slot and table never change
 * (tables live as long as the process), so the memo stays right whichever
 * thread has freed or reused the closure since; liveness is always read
 * from the slot.
 *
 * Thread exit gives the cache back to the pool (a pthread key destructor).
 * A fork child inherits the forking thread's cache, whose closures are its
 * private copies like every other closure; the caches of the other threads
 * stay unused there (CLOSURE_CACHE_MAX closures per class each at most).
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "cache.h"

/* initial-exec: no __tls_get_addr on the fast paths. */
_Thread_local __attribute__((tls_model("initial-exec")))
struct closure_cache *closure_tls;
struct closure_cache closure_off = {
	.n = { [0 ... NCLASSES - 2] = CLOSURE_CACHE_MAX + 1 },
};

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static int key_ok;		/* key was created */

static _Noreturn void die(const char *msg, size_t len)
{
	if (write(2, msg, len) < 0)
		abort();
	abort();
}

void closure_unprepared(void)
{
	static const char msg[] =
		"libtrampjit-ffi: closure called before it was prepared\n";

	die(msg, sizeof(msg) - 1);
}

void closure_freed(void)
{
	static const char msg[] =
		"libtrampjit-ffi: closure called after ffi_closure_free\n";

	die(msg, sizeof(msg) - 1);
}

/* Thread exit: every cached closure back to the pool, and no cache for
   the closures this thread may still allocate or free. */
static void cache_exit(void *arg)
{
	struct closure_cache *cc = arg;

	closure_tls = &closure_off;
	for (unsigned k = 0; k < NCLASSES - 1; k++)
		while (cc->n[k])
			tramp_destroy_data(cc->c[k][--cc->n[k]].closure);
	free(cc);
}

static void make_key(void)
{
	key_ok = !pthread_key_create(&key, cache_exit);
}

/* This thread's cache, made on first use. */
static struct closure_cache *cache(void)
{
	struct closure_cache *cc = closure_tls;

	if (cc)
		return cc;
	pthread_once(&key_once, make_key);
	cc = key_ok ? calloc(1, sizeof(*cc)) : NULL;
	if (cc && pthread_setspecific(key, cc)) {
		free(cc);
		cc = NULL;
	}
	closure_tls = cc ? cc : &closure_off;
	return closure_tls;
}

void *closure_alloc_new(size_t size, void **code)
{
	struct closure_cache *cc = cache();
	struct tramp_spec spec = {
		.kind = FFI_LAYOUT_KIND, .target = (void *)closure_unprepared,
		.data_size = size,
	};
	struct tramp *t;
	void *data;

	t = tramp_create_coalloc(&spec, code, &data);
	if (t && cc != &closure_off)
		cached_put(&cc->memo, data, t, pool_table_of(t), *code);
	return t ? data : NULL;
}

/* Keeps errno: freeing or preparing something else is no error. */
void *closure_lookup(const void *closure, struct table **tbp)
{
	int err = errno;
	void *s = tramp_data_slot(closure, tbp);

	errno = err;
	return s;
}

void closure_free_slow(void *closure, void *slot, struct table *tb)
{
	struct closure_cache *cc = cache();
	unsigned k = tb->dclass - 1u;

	if (cc->n[k] < CLOSURE_CACHE_MAX)
		cache_put(cc, k, closure, slot, tb);
	else
		tramp_destroy_data(closure);
}
