/* SPDX-License-Identifier: MIT */
/*
 * The packed code heaps behind jit_create_code() and the dual-view buffers,
 * shared by their four files: heap.c (the allocator), heap_quarantine.c
 * (reuse of freed space), heap_fork.c (fork snapshots) and jit.c (the
 * public API).  Nothing outside them includes this header.
 *
 * A heap is one memfd mirrored by one 4 GiB reservation: byte off of the
 * file is mapped read+execute at base + off, so a code address is its own
 * file offset and finds its 2 MiB chunk by a shift (O(1), no search).  A
 * heap with views (the ALIAS write path, dual-view buffers) maps a
 * read-write view of each chunk at a fixed distance above, excluded from
 * fork.
 */
#ifndef TRAMPJIT_HEAP_H
#define TRAMPJIT_HEAP_H

#include <pthread.h>
#include <sys/types.h>

#include "internal.h"

#define CHUNK_SHIFT	21
#define CHUNK		((size_t)1 << CHUNK_SHIFT)
#define ARENA		((size_t)1 << 32)
#define NCHUNKS		(ARENA >> CHUNK_SHIFT)
#define GRAN_SHIFT	6
#define NGRAN		(CHUNK >> GRAN_SHIFT)
#define NWORDS		(NGRAN / 64)
#define BIG		(CHUNK / 2)	/* larger objects get whole chunks */
#define QMAX		1024		/* objects per quarantine batch */
#define QBYTES		((size_t)1 << 20) /* bytes per quarantine batch */

struct chunk {
	unsigned idx;		/* first chunk slot of the run */
	unsigned nchunks;	/* slots in the run: 1 unless big */
	int big;		/* holds one object of its own */
	int rw_ok;		/* views heap: the RW view is mapped */
	unsigned used;		/* granules allocated or quarantined */
	unsigned cursor;	/* next-fit start, in granules */
	uint64_t busy[NWORDS];	/* allocated or quarantined granules */
	uint64_t head[NWORDS];	/* first granule of each live object */
	uint64_t tail[NWORDS];	/* last granule of each object */
};

/* A freed object waiting for its space to be released. */
struct qent {
	struct chunk *c;	/* chunk of the freed object */
	unsigned first;		/* its first granule */
	unsigned n;		/* its granules */
};

struct heap {
	pthread_mutex_t lock;	/* everything below */
	const char *name;	/* memfd name */
	int views;		/* maps RW views at base + ARENA */
	char *base;		/* RX arena; NULL until first use */
	int fd;			/* the memfd mirrored by the arena */
	size_t fsize;		/* its size */
	int err;		/* fork child sharing the parent's file: the
				   errno refusing every write, else 0 */
	int spare;		/* memfd for the next fork snapshot + 1; 0:
				   none yet */
	struct chunk *cur;	/* where allocation tries first */
	struct chunk *chunks[NCHUNKS]; /* by slot; big runs repeat theirs */
	unsigned nq;		/* quarantined objects */
	size_t qbytes;		/* their bytes */
	struct qent q[QMAX];	/* the quarantine */
	struct qent *held;	/* released batches whose membarrier failed */
	size_t nheld;		/* entries in held */
	size_t held_cap;	/* its capacity */
	int snap;		/* fork snapshot memfd + 1, 0 none, -errno */
};

extern struct heap heaps[HEAP_COUNT];

static inline int bit(const uint64_t *w, unsigned i)
{
	return (int)(w[i >> 6] >> (i & 63) & 1);
}

static inline void bit_put(uint64_t *w, unsigned i, int v)
{
	if (v)
		w[i >> 6] |= (uint64_t)1 << (i & 63);
	else
		w[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

void bits_put(uint64_t *w, unsigned i, unsigned n, int v);

static inline off_t chunk_off(const struct chunk *c)
{
	return (off_t)c->idx << CHUNK_SHIFT;
}

/* heap_quarantine.c.  pre: h->lock held.  quarantine_put queues a freed
   object (and may release a batch); quarantine_flush releases the batch
   now: 0, or -1 with membarrier's errno when it is held instead. */
void quarantine_put(struct heap *h, struct chunk *c, unsigned first,
		    unsigned n);
int quarantine_flush(struct heap *h);

/* heap_fork.c: make the memfd of the next fork snapshot of h, unless it
   exists.  Returns 0, or -1 with errno.  pre: h->lock held. */
int heap_fork_reserve(struct heap *h);

#endif
