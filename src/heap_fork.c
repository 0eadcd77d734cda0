/* SPDX-License-Identifier: MIT */
/*
 * Fork and the code heaps.  The child must not share a heap's memfd with
 * the parent, or the parent's later writes (new code, filler over freed
 * objects) would change code the child runs, and the child's writes would
 * change the parent's.  While forking, with every heap locked so nothing
 * changes, the parent copies each heap into a snapshot memfd; the child
 * maps its snapshot over the inherited code, the parent closes it.  Taking
 * the copy before the fork, not in the child, is what makes it race-free:
 * the parent may write again as soon as fork returns.  The cost is one
 * copy of the live chunks per fork (posix_spawn and vfork take none).
 *
 * The snapshot's memfd is made ahead of time (h->spare: when the heap is
 * made, after each fork, and on the next allocation if that failed), so a
 * full descriptor table at fork time costs nothing.  When the snapshot
 * still cannot be made (no spare and no memfd, or no memory for the copy),
 * the child's heap is closed for writing: its code keeps running from the
 * parent's file, which the child never writes again (frees leave the space
 * busy, allocations fail with the errno of the failed snapshot).
 */
#include <unistd.h>

#include "heap.h"
#include "os.h"

int heap_fork_reserve(struct heap *h)
{
	int fd;

	if (h->spare)
		return 0;
	fd = os_memfd(h->name);
	if (fd < 0)
		return -1;
	h->spare = fd + 1;
	return 0;
}

/* Copy h into its spare memfd (made now if there is none); fd + 1, or
   -errno. */
static int snapshot(struct heap *h)
{
	int fd, e;

	if (heap_fork_reserve(h))
		return -errno;
	fd = h->spare - 1;
	h->spare = 0;
	if (os_truncate(fd, (off_t)h->fsize))
		goto fail;
	for (unsigned i = 0; i < NCHUNKS; i++) {
		struct chunk *c = h->chunks[i];

		if (c && c->idx == i &&
		    os_pwrite_all(fd, h->base + chunk_off(c),
				  (size_t)c->nchunks << CHUNK_SHIFT,
				  chunk_off(c)))
			goto fail;
	}
	return fd + 1;
fail:
	e = errno;
	close(fd);
	return -e;
}

void heap_fork_prepare(void)
{
	for (int i = 0; i < HEAP_COUNT; i++) {
		struct heap *h = &heaps[i];

		pthread_mutex_lock(&h->lock);
		h->snap = h->base && !h->err ? snapshot(h) : 0;
	}
}

void heap_fork_parent(void)
{
	for (int i = HEAP_COUNT - 1; i >= 0; i--) {
		struct heap *h = &heaps[i];

		if (h->snap > 0)
			close(h->snap - 1);
		h->snap = 0;
		if (h->base)
			heap_fork_reserve(h);	/* else: at the next use */
		pthread_mutex_unlock(&h->lock);
	}
}

/* The child could not get its own copy: it never writes the file it
   shares with the parent. */
static void close_heap(struct heap *h, int err)
{
	close(h->fd);
	h->fd = -1;
	h->err = err;
	h->nq = 0;	/* quarantined space stays busy: no filler */
	h->nheld = 0;
	h->cur = NULL;
}

/* The child: its snapshot mapped over the inherited code.  RW views are
   gone (MADV_DONTFORK), their range is reserved again and mapped back when
   a chunk is next allocated from. */
static void privatize(struct heap *h)
{
	int fd = h->snap - 1;

	if (h->views)
		os_unreserve(h->base + ARENA, ARENA);
	for (unsigned i = 0; i < NCHUNKS; i++)
		if (h->chunks[i])
			h->chunks[i]->rw_ok = 0;
	if (h->err)
		return;
	if (h->snap <= 0) {
		close_heap(h, h->snap ? -h->snap : ENOMEM);
		return;
	}
	for (unsigned i = 0; i < NCHUNKS; i++) {
		struct chunk *c = h->chunks[i];

		if (c && c->idx == i &&
		    !os_map_code(h->base + chunk_off(c),
				 (size_t)c->nchunks << CHUNK_SHIFT, fd,
				 chunk_off(c))) {
			int e = errno;

			close(fd);
			close_heap(h, e);
			return;
		}
	}
	close(h->fd);
	h->fd = fd;
}

void heap_fork_child(void)
{
	for (int i = HEAP_COUNT - 1; i >= 0; i--) {
		struct heap *h = &heaps[i];

		if (h->base)
			privatize(h);
		h->snap = 0;
		pthread_mutex_unlock(&h->lock);
	}
}
