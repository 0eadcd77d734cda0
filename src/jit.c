/* SPDX-License-Identifier: MIT */
/*
 * JIT code: jit_create_code(), jit_destroy_code() and jit_set_code_mode(),
 * on the code heaps (heap.h).  The default write path is pwrite(2) into the
 * heap's memfd, so no writable mapping of code ever exists in the process;
 * JIT_APPEND_ALIAS copies through the heap's read-write view instead (no
 * system call, but the code is writable through that view).
 */
#include <string.h>

#include "heap.h"
#include "os.h"

static _Atomic int code_mode = JIT_APPEND_PWRITE;

void *jit_create_code(const void *source, size_t len)
{
	int mode = atomic_load_explicit(&code_mode, memory_order_relaxed);
	enum heap_id id;
	char *rx, *rw;
	int err;

	if (!source || !len) {
		errno = EINVAL;
		return NULL;
	}
	if (mode == JIT_APPEND_KERNEL)
		return kjit_create(source, len);
	id = mode == JIT_APPEND_ALIAS ? HEAP_ALIAS : HEAP_PWRITE;
	rx = heap_alloc(id, len, &rw);
	if (!rx)
		return NULL;
	if (id == HEAP_ALIAS) {
		memcpy(rw, source, len);
		err = 0;
	} else {
		err = os_pwrite_all(heaps[id].fd, source, len,
				    (off_t)(rx - heaps[id].base));
	}
	if (err || os_code_written(rx, source, len) ||
	    heap_sync(id, rx, len)) {
		int e = errno;

		heap_written(id, rx);
		heap_free(id, rx);
		errno = e;
		return NULL;
	}
	heap_written(id, rx);
	return rx;
}

/* jit_create_code's writes hold off forks, so h->fd is their chunk's
   backing; a dual-view commit may find its chunk on a backing shared with
   a fork child, and looks it up under the lock when code_sync() needs an
   fd (only where translations go stale). */
int heap_sync(enum heap_id id, char *rx, size_t len)
{
	struct heap *h = &heaps[id];
	size_t off = (size_t)(rx - h->base);
	struct chunk *c;
	int r = -1;

	if (id != HEAP_DUAL)
		return code_sync(rx, len, h->fd, (off_t)off);
	if (!code_stale())
		return code_sync(rx, len, -1, (off_t)off);
	pthread_mutex_lock(&h->lock);
	c = off < ARENA ? h->chunks[off >> CHUNK_SHIFT] : NULL;
	if (c)
		r = code_sync(rx, len, c->bk->fd, (off_t)off);
	else
		errno = EINVAL;	/* the buffer was freed meanwhile */
	pthread_mutex_unlock(&h->lock);
	return r;
}

int jit_destroy_code(void *code)
{
	enum heap_id id;
	int is_rw = 0;

	if (!code)
		return 0;
	id = heap_of(code, &is_rw);
	if (id == HEAP_COUNT) {
		if (kjit_destroy(code))
			return -1;
		debug_code_freed(code);
		return 0;
	}
	if (id == HEAP_DUAL || is_rw) {
		errno = EINVAL;
		return -1;
	}
	return heap_free(id, code);
}

int jit_set_code_mode(int mode)
{
	if (mode != JIT_APPEND_PWRITE && mode != JIT_APPEND_ALIAS &&
	    mode != JIT_APPEND_KERNEL) {
		errno = EINVAL;
		return -1;
	}
	if (mode == JIT_APPEND_KERNEL && os_trampfd() < 0)
		return -1;
	return atomic_exchange(&code_mode, mode);
}
