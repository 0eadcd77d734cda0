/* SPDX-License-Identifier: MIT */
/*
 * Fork and the code heaps.  The child must not share a heap's memfd with
 * the parent, or the parent's later writes (new code, filler over freed
 * objects) would change code the child runs.  While forking, with every
 * heap locked so nothing changes, the parent copies each heap into a
 * snapshot memfd; the child maps its snapshot over the inherited code, the
 * parent closes it.  Taking the copy before the fork, not in the child, is
 * what makes it race-free: the parent may write again as soon as fork
 * returns.  The cost is one copy of the live chunks per fork (posix_spawn
 * and vfork take none).
 */
#include <unistd.h>

#include "heap.h"
#include "os.h"

static int snapshot(struct heap *h)
{
	int fd = os_memfd(h->name);

	if (fd < 0 || os_truncate(fd, (off_t)h->fsize))
		goto fail;
	for (unsigned i = 0; i < NCHUNKS; i++) {
		struct chunk *c = h->chunks[i];

		if (c && c->idx == i &&
		    os_pwrite_all(fd, h->base + chunk_off(c),
				  (size_t)c->nchunks << CHUNK_SHIFT,
				  chunk_off(c)))
			goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

void heap_fork_prepare(void)
{
	for (int i = 0; i < HEAP_COUNT; i++) {
		struct heap *h = &heaps[i];

		pthread_mutex_lock(&h->lock);
		h->snap = h->base ? snapshot(h) + 1 : 0;
	}
}

static void fork_release(void)
{
	for (int i = HEAP_COUNT - 1; i >= 0; i--)
		pthread_mutex_unlock(&heaps[i].lock);
}

void heap_fork_parent(void)
{
	for (int i = 0; i < HEAP_COUNT; i++)
		if (heaps[i].snap > 0)
			close(heaps[i].snap - 1);
	fork_release();
}

/* The child: its snapshot mapped over the inherited code; RW views (gone:
   MADV_DONTFORK) are reserved again and mapped back when the chunk is next
   allocated from. */
static void privatize(struct heap *h)
{
	int fd = h->snap - 1;

	if (fd < 0)
		goto fail;
	for (unsigned i = 0; i < NCHUNKS; i++) {
		struct chunk *c = h->chunks[i];
		size_t len;

		if (!c || c->idx != i)
			continue;
		len = (size_t)c->nchunks << CHUNK_SHIFT;
		if (!os_map_code(h->base + chunk_off(c), len, fd,
				 chunk_off(c)))
			goto fail;
		c->rw_ok = 0;
	}
	if (h->views)
		os_unreserve(h->base + ARENA, ARENA);
	close(h->fd);
	h->fd = fd;
	return;
fail:
	/* Keep sharing the parent's file: new code would reach the parent,
	   so refuse to write any (allocation fails with ENOMEM). */
	if (fd >= 0)
		close(fd);
	for (unsigned i = 0; i < NCHUNKS; i++)
		if (h->chunks[i])
			h->chunks[i]->used = NGRAN;
	h->nq = 0;
}

void heap_fork_child(void)
{
	for (int i = 0; i < HEAP_COUNT; i++) {
		if (heaps[i].base)
			privatize(&heaps[i]);
		heaps[i].snap = 0;
	}
	fork_release();
}
