/* SPDX-License-Identifier: MIT */
/*
 * The quarantine of the code heaps: when freed space may hold new code.
 *
 * Freed objects are quarantined: their busy bits stay set until a batch
 * (QMAX objects or QBYTES) is refilled with the filler, one membarrier
 * SYNC_CORE serialises every thread, and only then are the granules
 * reusable.  So no CPU can run stale bytes of a freed object once its space
 * holds new code, and the IPI is paid once per batch.  The filler is
 * written at release time, not at destroy time: one pwrite per batch of
 * adjacent objects instead of one per object, at the price of freed code
 * staying intact (not trapping) until its batch is released.
 */
#include <stdlib.h>

#include "heap.h"
#include "os.h"

static int qcmp(const void *a, const void *b)
{
	const struct qent *x = a, *y = b;

	if (x->c->idx != y->c->idx)
		return x->c->idx < y->c->idx ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

void quarantine_flush(struct heap *h)
{
	unsigned i, j;

	if (!h->nq)
		return;
	qsort(h->q, h->nq, sizeof(h->q[0]), qcmp);
	for (i = 0; i < h->nq; i = j) {
		struct qent *e = &h->q[i];
		unsigned end = e->first + e->n;

		for (j = i + 1; j < h->nq && h->q[j].c == e->c &&
		     h->q[j].first == end; j++)
			end += h->q[j].n;
		/* A failed refill leaves old code, which is still safe. */
		code_fill(h->fd, chunk_off(e->c) +
			  ((off_t)e->first << GRAN_SHIFT),
			  (size_t)(end - e->first) << GRAN_SHIFT);
	}
	os_membarrier_sync_core();
	for (i = 0; i < h->nq; i++) {
		struct qent *e = &h->q[i];

		bits_put(e->c->busy, e->first, e->n, 0);
		bit_put(e->c->tail, e->first + e->n - 1, 0);
		e->c->used -= e->n;
	}
	h->nq = 0;
	h->qbytes = 0;
	__atomic_fetch_add(&jit_stat_flushes, 1, __ATOMIC_RELAXED);
}

void quarantine_put(struct heap *h, struct chunk *c, unsigned first,
		    unsigned n)
{
	h->q[h->nq++] = (struct qent){ c, first, n };
	h->qbytes += (size_t)n << GRAN_SHIFT;
	if (h->nq == QMAX || h->qbytes >= QBYTES)
		quarantine_flush(h);
}
