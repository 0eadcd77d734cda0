/* SPDX-License-Identifier: MIT */
/*
 * libtrampjit-nested: the GCC 14 heap-trampoline hooks on trampjit, so
 * that programs built with -ftrampoline-impl=heap need no writable and
 * executable page (libgcc's own implementation maps them, and aborts
 * under PR_SET_MDWE).
 *
 * GCC calls __gcc_nested_func_ptr_created(chain, func, dst) when a
 * function whose nested functions have their address taken is entered,
 * and __gcc_nested_func_ptr_deleted() when it is left, on the same
 * thread, in last-in first-out order.  Each trampoline is a TRAMP_CHAIN
 * trampoline (static chain register := chain, jump to func) on the
 * thread's trampjit LIFO stack, so both hooks cost a few nanoseconds.
 *
 * longjmp, pthread_exit and C++ exceptions through C frames leave a
 * function without calling deleted().  Each entry therefore records the
 * hook's frame address (a mark of the enclosing function's stack depth)
 * and its return address (the call site).  An entry marked deeper than a
 * hook call belongs to a frame that no longer exists.  One marked at the
 * same depth belongs to the current frame only while that frame is still
 * initialising its trampolines: GCC makes all created() calls of a frame
 * one after the other on entry, each from its own call site.  So a
 * created() that does not directly follow a created() at the same depth,
 * or that repeats a call site found there, starts a new frame, and the
 * entries at that depth are dead.  Dead entries are dropped on the next
 * hook call, so the stack stays bounded by the live nesting (times the
 * distinct functions that die by longjmp at one depth).  A thread's exit
 * frees its entries.  Neither hook is async-signal-safe (nor is
 * libgcc's).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trampjit.h>

#define EXPORT __attribute__((visibility("default")))

struct mark {
	uintptr_t sp;		/* frame address of the created() call */
	uintptr_t site;		/* its return address */
};

struct marks {
	struct mark *e;		/* one per live entry */
	unsigned n;		/* live entries (= this thread's pushes) */
	unsigned cap;		/* marks allocated */
	uintptr_t last;		/* sp of the last hook call if it was a
				   created(), else 0 */
};

static _Thread_local __attribute__((tls_model("initial-exec")))
struct marks marks;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;

static void marks_free(void *unused)
{
	(void)unused;
	free(marks.e);
	marks = (struct marks){ 0 };
}

static void key_init(void)
{
	if (pthread_key_create(&key, marks_free))
		key = (pthread_key_t)-1;
}

/* No way to report an error to the generated code: stop loudly, as
   libgcc does. */
static _Noreturn void fail(int err)
{
	fprintf(stderr, "libtrampjit-nested: cannot make a trampoline: %s\n",
		strerror(err));
	abort();
}

static __attribute__((noinline)) void grow(struct marks *m)
{
	unsigned cap = m->cap ? 2 * m->cap : 16;
	struct mark *e = cap > m->cap ? realloc(m->e, cap * sizeof(*e)) :
			 NULL;

	if (!e)
		fail(ENOMEM);
	if (!m->cap) {
		pthread_once(&key_once, key_init);
		if (key == (pthread_key_t)-1 || pthread_setspecific(key, m))
			fail(EAGAIN);
	}
	m->e = e;
	m->cap = cap;
}

/* Drop the newest entries while their mark is below sp (with equal: at
   most sp): they were left without deleted(). */
static void drop_dead(struct marks *m, uintptr_t sp, int equal)
{
	while (m->n && (m->e[m->n - 1].sp < sp ||
			(equal && m->e[m->n - 1].sp == sp))) {
		m->n--;
		tramp_lifo_pop();
	}
}

/* Whether the entries at depth sp are of a frame that has not finished
   making its trampolines, the one calling from site now. */
static int same_frame(const struct marks *m, uintptr_t sp, uintptr_t site)
{
	if (m->last != sp)
		return 0;
	for (unsigned i = m->n; i-- && m->e[i].sp == sp;)
		if (m->e[i].site == site)
			return 0;
	return 1;
}

EXPORT void __gcc_nested_func_ptr_created(void *chain, void *func,
					  void *dst)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t site = (uintptr_t)__builtin_return_address(0);
	struct marks *m = &marks;
	void *code;

	drop_dead(m, sp, !same_frame(m, sp, site));
	if (m->n == m->cap)
		grow(m);
	code = tramp_lifo_push(TRAMP_CHAIN, func, chain);
	if (!code)
		fail(errno);
	m->e[m->n++] = (struct mark){ sp, site };
	m->last = sp;
	*(void **)dst = code;
}

EXPORT void __gcc_nested_func_ptr_deleted(void)
{
	struct marks *m = &marks;

	drop_dead(m, (uintptr_t)__builtin_frame_address(0), 0);
	m->last = 0;
	if (m->n) {
		m->n--;
		tramp_lifo_pop();
	}
}
