/* SPDX-License-Identifier: MIT */
/*
 * Near dual-view buffers: a dual-view buffer whose RW view and a private
 * read-write data area lie within a caller-given distance of its RX view,
 * for JITs that write code through one view while relocating it against
 * the other and reach their data with 32-bit PC-relative offsets (TinyCC's
 * -run, x86_64 small code model: +-2 GiB).  The packed dual heap cannot
 * offer that: its RW view sits HEAP_RW_DELTA (4 GiB) above the code.
 *
 * Each buffer is one reservation holding, in order, the RX view of its own
 * memfd, the RW view of the same memfd, and the data area (private
 * anonymous memory); so every byte of one is within the reservation's
 * size of every byte of the others.  A buffer costs a memfd and three
 * mappings: meant for a compiled program or module, not for many small
 * objects (use jit_dual_alloc for those).
 *
 * Fork copies nothing, as for the heaps (heap_fork.c): the prepare handler
 * write-protects every RW view, so parent and child share each buffer's
 * file until one of them stores into its view; that store faults
 * (TRAP_COW), the side that made it copies the code into a memfd of its
 * own, maps it over both its views (the same bytes: code running there is
 * not disturbed) and the store is retried.  So the parent's later patches
 * never reach the child.  The RW view is excluded from the child unless
 * the buffer was made with JIT_DUAL_FORK_PRIVATE: then the child keeps
 * writing a copy of its own.  The data area is copy-on-write as any
 * private memory.  A view that cannot be write-protected is copied at
 * once on both sides.  A copy that fails at a store (no descriptor, no
 * memory) leaves the parent writing the shared file, and is a SIGSEGV in
 * a child, as for the heaps.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "os.h"

#define NEAR_MAX	1024	/* live near buffers per process */

struct near {
	char *rx;		/* RX view = start of the reservation */
	char *rw;		/* RW view: rx + code */
	char *data;		/* data area: rw + code; NULL if none */
	size_t len;		/* bytes asked for */
	size_t code;		/* len rounded up to pages */
	size_t total;		/* bytes reserved: 2 * code + data pages */
	unsigned flags;		/* JIT_DUAL_FORK_PRIVATE or 0 */
	int fd;			/* memfd behind both views */
	int wp;			/* RW view write-protected by a fork: 1 in
				   the parent, 2 in a child; -1 copy at once */
	int trap;		/* trap_add id, or -1 */
	int cow_trap;		/* trap_add id of the RW view, or -1 */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct near *_Atomic nears[NEAR_MAX];	/* under lock to change */
static _Atomic unsigned ntop;			/* slots ever used */

/* The live buffer whose views or data hold addr; *view: 0 RX, 1 RW, 2
   data.  Lock-free: buffers are published with release stores. */
static struct near *near_find(const void *addr, int *view)
{
	const char *a = addr;
	unsigned top = atomic_load_explicit(&ntop, memory_order_acquire);

	for (unsigned i = 0; i < top; i++) {
		struct near *n = atomic_load_explicit(&nears[i],
						      memory_order_acquire);

		if (!n || a < n->rx || a >= n->rx + n->total)
			continue;
		*view = a < n->rw ? 0 : a < n->rw + n->code ? 1 : 2;
		return n;
	}
	return NULL;
}

/* ---- fork ------------------------------------------------------------- */

/*
 * Give n a file of its own: its code copied into a new memfd mapped over
 * the RX view and the RW view (if it has one here).  On failure both views
 * map the old file as before.  pre: lock held.
 */
static int near_own(struct near *n, int rw)
{
	int fd = os_code_copy(n->rx, n->code, n->code, "trampjit-near"), e;

	if (fd < 0)
		return -1;
	if (rw && (!os_map_view(n->rw, n->code, fd, 0) ||
		   (!(n->flags & JIT_DUAL_FORK_PRIVATE) &&
		    os_dontfork(n->rw, n->code)))) {
		/* Back to the old file: same bytes, so callers see none of
		   this; nothing can be done if even that fails. */
		e = errno;
		os_map_code(n->rx, n->code, n->fd, 0);
		close(fd);
		errno = e;
		return -1;
	}
	close(n->fd);
	n->fd = fd;
	return 0;
}

/* A SIGSEGV at addr (internal.h). */
int near_cow_fault(const void *addr)
{
	struct near *n;
	int view, r = 0;

	pthread_mutex_lock(&lock);
	n = near_find(addr, &view);
	if (!n || view != 1)
		r = 0;
	else if (!n->wp)
		r = 1;		/* made writable meanwhile */
	else if (!near_own(n, 1))
		r = 2;
	else if (n->wp == 1 && os_map_view(n->rw, n->code, n->fd, 0))
		r = 2;		/* no copy: the parent writes it shared */
	if (r == 2)
		n->wp = 0;
	pthread_mutex_unlock(&lock);
	return r;
}

/* fork.c, at the registry lock's place in the lock order. */
void near_fork_prepare(void)
{
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < ntop; i++) {
		struct near *n = nears[i];

		if (!n || n->wp > 0)
			continue;
		if (n->cow_trap < 0)
			n->cow_trap = trap_add(n->rw, n->code, TRAP_COW);
		n->wp = n->cow_trap >= 0 &&
			!os_view_readonly(n->rw, n->code) ? 1 : -1;
	}
}

void near_fork_parent(void)
{
	for (unsigned i = 0; i < ntop; i++) {
		struct near *n = nears[i];

		if (n && n->wp < 0) {	/* failing, the view stays shared */
			near_own(n, 1);
			n->wp = 0;
		}
	}
	pthread_mutex_unlock(&lock);
}

void near_fork_child(void)
{
	for (unsigned i = 0; i < ntop; i++) {
		struct near *n = nears[i];

		if (!n)
			continue;
		if (n->flags & JIT_DUAL_FORK_PRIVATE) {
			if (n->wp < 0 && !near_own(n, 1)) {
				n->wp = 0;
				continue;
			}
			/* Never write the parent's file: a store copies
			   first, or faults. */
			if (n->wp < 0)
				os_view_readonly(n->rw, n->code);
			n->wp = 2;
			continue;
		}
		/* The child has no RW view: the kernel left it out
		   (MADV_DONTFORK), but an emulator that ignores the advice
		   (qemu-user) keeps the parent's; and the hole must be
		   reserved again, or another mapping could land inside the
		   buffer and go with it at jit_dual_free(). */
		if (n->wp < 0)
			near_own(n, 0);
		os_unreserve(n->rw, n->code);
		n->wp = 0;
	}
	pthread_mutex_unlock(&lock);
}

/* ---- buffers ----------------------------------------------------------- */

/* Map n's views and data over its reservation.  Returns 0 or -1. */
static int near_map(struct near *n, size_t data_size)
{
	if (os_truncate(n->fd, (off_t)n->code) ||
	    code_fill(n->fd, 0, n->code) ||
	    !os_map_code(n->rx, n->code, n->fd, 0) ||
	    !os_map_view(n->rw, n->code, n->fd, 0))
		return -1;
	if (!(n->flags & JIT_DUAL_FORK_PRIVATE) && os_dontfork(n->rw, n->code))
		return -1;
	if (data_size && !os_map_data(n->data, data_size))
		return -1;
	n->trap = trap_add(n->rx, n->code, 0);
	return n->trap < 0 ? -1 : 0;
}

/* Put n in a free registry slot.  Returns 0, or -1 with ENOMEM. */
static int near_register(struct near *n)
{
	unsigned i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < NEAR_MAX && nears[i]; i++)
		;
	if (i < NEAR_MAX) {
		atomic_store_explicit(&nears[i], n, memory_order_release);
		if (i >= ntop)
			atomic_store_explicit(&ntop, i + 1,
					      memory_order_release);
	}
	pthread_mutex_unlock(&lock);
	if (i == NEAR_MAX) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static void near_release(struct near *n)
{
	int err = errno;

	if (n->trap >= 0)
		trap_del(n->trap);
	if (n->cow_trap >= 0)
		trap_del(n->cow_trap);
	os_unmap(n->rx, n->total);
	if (n->fd >= 0)
		close(n->fd);
	free(n);
	errno = err;
}

void *jit_dual_alloc_near(size_t len, void **rw, size_t data_len,
			  void **data, size_t max_dist, unsigned flags)
{
	size_t ps = os_page_size(), code, data_size;
	struct near *n;

	if (!rw || !len || (data_len && !data) ||
	    (flags & ~JIT_DUAL_FORK_PRIVATE) ||
	    len > ((size_t)1 << 40) || data_len > ((size_t)1 << 40)) {
		errno = EINVAL;
		return NULL;
	}
	code = (len + ps - 1) & ~(ps - 1);
	data_size = (data_len + ps - 1) & ~(ps - 1);
	if (2 * code + data_size > max_dist) {
		errno = ERANGE;
		return NULL;
	}
	if (fork_setup())
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->len = len;
	n->code = code;
	n->total = 2 * code + data_size;
	n->flags = flags;
	n->trap = -1;
	n->cow_trap = -1;
	n->fd = os_memfd("trampjit-near");
	n->rx = n->fd < 0 ? NULL : os_reserve(n->total, ps);
	if (!n->rx) {
		if (n->fd >= 0)
			close(n->fd);
		free(n);
		return NULL;
	}
	n->rw = n->rx + code;
	n->data = data_size ? n->rw + code : NULL;
	if (near_map(n, data_size) || near_register(n)) {
		near_release(n);
		return NULL;
	}
	*rw = n->rw;
	if (data)
		*data = n->data;
	return n->rx;
}

void *near_rw(const void *rx)
{
	int view;
	struct near *n = near_find(rx, &view);

	return n && view == 0 ? n->rw + ((const char *)rx - n->rx) : NULL;
}

void *near_rx(const void *rw)
{
	int view;
	struct near *n = near_find(rw, &view);

	return n && view == 1 ? n->rx + ((const char *)rw - n->rw) : NULL;
}

int near_commit(const void *addr, size_t len, unsigned flags)
{
	int view;
	struct near *n = near_find(addr, &view);
	const char *rx;

	if (!n)
		return 1;
	rx = view == 1 ? n->rx + ((const char *)addr - n->rw) : addr;
	if (view == 2 || (flags & ~JIT_DUAL_SYNC_CORE) ||
	    len > n->len - (size_t)(rx - n->rx)) {
		errno = EINVAL;
		return -1;
	}
	if (code_sync((char *)rx, len, n->fd, (off_t)(rx - n->rx)))
		return -1;
	if (flags & JIT_DUAL_SYNC_CORE)
		return os_membarrier_sync_core();
	return 0;
}

int near_free(void *addr)
{
	struct near *n = NULL;
	unsigned i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < ntop; i++) {
		n = nears[i];
		if (n && (addr == n->rx || addr == n->rw))
			break;
	}
	if (i == ntop) {
		pthread_mutex_unlock(&lock);
		return 1;
	}
	atomic_store_explicit(&nears[i], NULL, memory_order_release);
	pthread_mutex_unlock(&lock);
	near_release(n);
	return 0;
}
