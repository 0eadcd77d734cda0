/* SPDX-License-Identifier: MIT */
/*
 * The quarantine of the code heaps: when freed space may hold new code.
 *
 * Freed objects are quarantined: their busy bits stay set until a batch
 * (QMAX objects or QBYTES) is refilled with the filler, one membarrier
 * SYNC_CORE serialises every thread, and only then are the granules
 * reusable.  So no CPU can run stale bytes of a freed object once its space
 * holds new code, and the IPI is paid once per batch.  The filler is
 * written at release time, not at destroy time: through the read-write
 * view where the heap has one (a memset, no system call), else one pwrite
 * per run of adjacent objects, at the price of freed code staying intact
 * (not trapping) until its batch is released.
 *
 * Without a successful membarrier there is no such guarantee, so a batch
 * whose membarrier fails (a kernel without SYNC_CORE, a seccomp filter)
 * is held, still busy, and released together with the next batch whose
 * membarrier succeeds; allocation meanwhile takes fresh space.  Failures
 * are counted (jit_get_stats: membarrier_failures).
 */
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "os.h"

unsigned long jit_stat_membarrier_failures;

static int qcmp(const void *a, const void *b)
{
	const struct qent *x = a, *y = b;

	if (x->c->idx != y->c->idx)
		return x->c->idx < y->c->idx ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Give a batch's granules back to the allocator. */
static void release(struct qent *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct qent *e = &q[i];

		bits_put(e->c->busy, e->first, e->n, 0);
		bit_put(e->c->tail, e->first + e->n - 1, 0);
		e->c->used -= e->n;
	}
}

/* The membarrier failed: keep the batch out of use until one succeeds.
   When even the list cannot grow, the space stays busy for good. */
static void hold(struct heap *h)
{
	if (h->nheld + h->nq > h->held_cap) {
		size_t cap = (h->nheld + h->nq) * 2;
		struct qent *p = realloc(h->held, cap * sizeof(*p));

		if (!p)
			return;
		h->held = p;
		h->held_cap = cap;
	}
	memcpy(h->held + h->nheld, h->q, h->nq * sizeof(h->q[0]));
	h->nheld += h->nq;
}

/* Put the filler over n granules from first: through the RW view where
   the chunk has one (no system call), else with pwrite.  A failed refill
   (also: a chunk shared with a fork child that cannot be copied) leaves
   old code, which is still safe. */
static void refill(struct heap *h, struct chunk *c, unsigned first,
		   unsigned n)
{
	size_t off = (size_t)chunk_off(c) + ((size_t)first << GRAN_SHIFT);

	if (heap_chunk_own(h, c))
		return;
	if (c->rw_ok)
		code_fill_mem(h->base + ARENA + off, (size_t)n << GRAN_SHIFT,
			      off);
	else
		code_fill(h->fd, (off_t)off, (size_t)n << GRAN_SHIFT);
}

int quarantine_flush(struct heap *h)
{
	unsigned i, j;
	int e;

	if (!h->nq)
		return 0;
	/* Sorted, adjacent objects share one pwrite; views need no sort. */
	if (!h->views)
		qsort(h->q, h->nq, sizeof(h->q[0]), qcmp);
	for (i = 0; i < h->nq; i = j) {
		struct qent *e = &h->q[i];
		unsigned end = e->first + e->n;

		for (j = i + 1; j < h->nq && h->q[j].c == e->c &&
		     h->q[j].first == end; j++)
			end += h->q[j].n;
		refill(h, e->c, e->first, end - e->first);
	}
	if (os_membarrier_sync_core()) {
		e = errno;
		hold(h);
		h->nq = 0;
		h->qbytes = 0;
		__atomic_fetch_add(&jit_stat_membarrier_failures, 1,
				   __ATOMIC_RELAXED);
		errno = e;
		return -1;
	}
	release(h->q, h->nq);
	release(h->held, h->nheld);	/* serialised now as well */
	h->nheld = 0;
	h->nq = 0;
	h->qbytes = 0;
	__atomic_fetch_add(&jit_stat_flushes, 1, __ATOMIC_RELAXED);
	return 0;
}

void quarantine_put(struct heap *h, struct chunk *c, unsigned first,
		    unsigned n)
{
	h->q[h->nq++] = (struct qent){ c, first, n };
	h->qbytes += (size_t)n << GRAN_SHIFT;
	if (h->nq == QMAX || h->qbytes >= QBYTES)
		quarantine_flush(h);
}
