/* SPDX-License-Identifier: MIT */
/*
 * Fork: the library's one pthread_atfork registration, and the one order
 * in which every lock of the library is taken.
 *
 * A fork child has one thread, so any lock another thread of the parent
 * held at the fork stays held in the child for good.  The prepare handler
 * therefore takes every lock of the library, and the parent and child
 * handlers release them.  Taking them from one handler, in the order
 * below, is what makes this deadlock-free: a thread of the parent that
 * holds lock A and waits for lock B has A before B in that order, so the
 * forking thread, which takes A first, waits for A while holding nothing
 * the other thread needs.  (Modules registering their own handlers cannot
 * do that: glibc runs prepare handlers in the reverse order of their
 * registration, which is how the pool, table and name registry locks once
 * met in the wrong order.)
 *
 * The order, outermost first (internal.h repeats it for every file that
 * takes a lock); a thread holding a lock may only take locks further down:
 *
 *   1. pool locks, locks[backend][kind] in index order	(pool.c)
 *   2. table_lock: tables, the arena, backend setup	(pool.c)
 *   3. page rebuild locks of TRAMP_MPROTECT, by stripe	(tramp_mprotect.c)
 *   4. heap locks: HEAP_PWRITE, HEAP_ALIAS, HEAP_DUAL	(heap.c)
 *   5. reg_lock, the registry of regions		(region.c)
 *   6. region locks, by registry slot			(region.c)
 *   7. the near dual-view buffer registry lock		(dual_near.c)
 *   8. the jitfd mapping list lock			(jitfd.c)
 *   9. the name registry: its once-initialisation, then its lock; the
 *      publishers and unwind registration run under it	(debug.c)
 *  10. the trap range lock				(trap.c)
 *  11. the code filler's once-initialisation		(trap.c)
 *
 * Once-initialisations count as locks held while their routine runs:
 * the prepare handler completes each one at its place in the order, so a
 * child never inherits one half done.  The registration itself is made
 * before any of these locks is first taken (fork_setup()).
 *
 * Prepare handlers may also do work that needs the locks held: the code
 * heaps and near dual-view buffers write-protect their dual views
 * (copy-on-write, heap_fork.c and dual_near.c); nothing is copied at fork
 * (regions copy at their next append, region.c).
 */
#include <pthread.h>

#include "internal.h"

struct fork_hooks {
	void (*prepare)(void);	/* take the module's locks */
	void (*parent)(void);	/* release them in the parent */
	void (*child)(void);	/* release them in the child */
};

/* In the lock order above. */
static const struct fork_hooks hooks[] = {
	{ pool_fork_lock, pool_fork_unlock, pool_fork_unlock },
	{ mprotect_fork_lock, mprotect_fork_unlock, mprotect_fork_unlock },
	{ heap_fork_prepare, heap_fork_parent, heap_fork_child },
	{ region_fork_prepare, region_fork_parent, region_fork_child },
	{ near_fork_prepare, near_fork_parent, near_fork_child },
	{ jitfd_fork_lock, jitfd_fork_unlock, jitfd_fork_unlock },
	{ debug_fork_prepare, debug_fork_parent, debug_fork_child },
	{ trap_fork_lock, trap_fork_unlock, trap_fork_unlock },
};
#define NHOOKS	(sizeof(hooks) / sizeof(hooks[0]))

static void prepare(void)
{
	int e = errno;

	for (size_t i = 0; i < NHOOKS; i++)
		hooks[i].prepare();
	errno = e;
}

/* fork() sees the errno the program had: handlers may fail harmlessly. */
static void parent(void)
{
	int e = errno;

	for (size_t i = NHOOKS; i-- > 0;)
		hooks[i].parent();
	errno = e;
}

static void child(void)
{
	int e = errno;

	for (size_t i = NHOOKS; i-- > 0;)
		hooks[i].child();
	errno = e;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int failed;	/* pthread_atfork failed (ENOMEM) */

static void setup(void)
{
	failed = pthread_atfork(prepare, parent, child) != 0;
}

int fork_setup(void)
{
	pthread_once(&once, setup);
	if (failed) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}
