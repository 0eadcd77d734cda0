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
#include <sys/uio.h>

#include "heap.h"
#include "os.h"

unsigned long jit_stat_membarrier_failures;

/*
 * Sort the batch by chunk and granule: three passes of a radix sort over
 * keys chunk << 35 | first << 20 | n (11, 15 and 20 bits: NCHUNKS, NGRAN
 * and BIG fit).  A qsort() of QMAX entries cost a tenth of the pwrite
 * path's time per object.
 */
#define KEY_FIRST	20
#define KEY_CHUNK	35
#define RADIX		9
_Static_assert(NCHUNKS <= 1u << 11 && NGRAN <= 1u << 15 &&
	       (BIG >> GRAN_SHIFT) < 1u << KEY_FIRST, "batch sort keys");

static void qsort_batch(struct heap *h)
{
	uint64_t key[QMAX], tmp[QMAX], *from = key, *to = tmp, *t;
	unsigned count[1u << RADIX], i, n = h->nq;

	for (i = 0; i < n; i++)
		key[i] = (uint64_t)h->q[i].c->idx << KEY_CHUNK |
			 (uint64_t)h->q[i].first << KEY_FIRST | h->q[i].n;
	for (unsigned sh = KEY_FIRST; sh < KEY_CHUNK + 11; sh += RADIX) {
		unsigned sum = 0;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[from[i] >> sh & ((1u << RADIX) - 1)]++;
		for (i = 0; i < 1u << RADIX; i++) {
			unsigned c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[from[i] >> sh & ((1u << RADIX) - 1)]++] =
				from[i];
		t = from;
		from = to;
		to = t;
	}
	for (i = 0; i < n; i++)
		h->q[i] = (struct qent){
			h->chunks[from[i] >> KEY_CHUNK],
			(unsigned)(from[i] >> KEY_FIRST) & (NGRAN - 1),
			(unsigned)from[i] & ((1u << KEY_FIRST) - 1) };
}

/* Give a batch's granules back to the allocator. */
static void release(struct qent *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct qent *e = &q[i];

		bits_put(e->c->busy, e->first, e->n, 0);
		if (e->first < e->c->low)
			e->c->low = e->first;
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

/*
 * The pwrite heap's refill of q[i] and the entries after it in the same
 * chunk that lie at most GAP_MAX granules apart, in one pwritev: filler
 * for the freed objects, and the bytes in between (live code, free or
 * quarantined space) copied from the RX view onto themselves.  Random
 * frees are seldom adjacent, and a system call costs as much as copying
 * kilobytes, so a batch then costs a few system calls, not one per object.
 * Rewriting bytes of the file is safe only while nothing else writes them:
 * under the heap lock, the filler and new chunks are not written; objects
 * whose code is being written are counted per chunk (heap_alloc and the
 * thread caches, heap_written), and a chunk with any is refilled object by
 * object, while h->refilling keeps new ones from starting; so is
 * every chunk once a debugger may have copied code pages, whose RX view
 * then need not show the file.  Returns the index after the last entry
 * written.
 */
#define GAP_MAX	64u		/* granules: 4 KiB */
#define NIOV	512		/* one object of up to BIG, and gaps */

static unsigned refill_joined(struct heap *h, unsigned i)
{
	struct chunk *c = h->q[i].c;
	const unsigned char *fill = code_fill_page();
	char *rx = h->base + chunk_off(c);
	unsigned start = h->q[i].first, end = start, j;
	struct iovec iov[NIOV];
	int n = 0;

	for (j = i; j < h->nq && h->q[j].c == c &&
	     h->q[j].first - end <= GAP_MAX; j++) {
		size_t len = (size_t)h->q[j].n << GRAN_SHIFT, k;

		if (n + 1 + (int)((len + CODE_FILL_PAGE - 1) /
				  CODE_FILL_PAGE) > NIOV)
			break;
		if (h->q[j].first > end)
			iov[n++] = (struct iovec){
				rx + ((size_t)end << GRAN_SHIFT),
				(size_t)(h->q[j].first - end) << GRAN_SHIFT };
		for (k = 0; k < len; k += CODE_FILL_PAGE)
			iov[n++] = (struct iovec){ (void *)fill,
				len - k < CODE_FILL_PAGE ? len - k :
							   CODE_FILL_PAGE };
		end = h->q[j].first + h->q[j].n;
	}
	os_pwritev_all(h->fd, iov, n,
		       chunk_off(c) + ((off_t)start << GRAN_SHIFT));
	return j;
}

int quarantine_flush(struct heap *h)
{
	unsigned i, j;
	int e;

	if (!h->nq)
		return 0;
	/* Sorted, nearby objects share one pwrite; views need no sort.
	   While the joined refills run, new writes stay out: thread caches
	   see refilling and take the lock (heap_cache.c), and ones counted
	   before it make their chunks refill object by object. */
	if (!h->views) {
		qsort_batch(h);
		__atomic_store_n(&h->refilling, 1, __ATOMIC_SEQ_CST);
	}
	for (i = 0; i < h->nq; i = j) {
		struct qent *e = &h->q[i];
		unsigned end = e->first + e->n;

		if (heap_chunk_own(h, e->c)) {
			j = i + 1;	/* shared, and no copy: old code */
			continue;
		}
		if (!h->views && !os_code_copied() &&
		    !__atomic_load_n(&e->c->writing, __ATOMIC_ACQUIRE)) {
			j = refill_joined(h, i);
			continue;
		}
		for (j = i + 1; j < h->nq && h->q[j].c == e->c &&
		     h->q[j].first == end; j++)
			end += h->q[j].n;
		refill(h, e->c, e->first, end - e->first);
	}
	__atomic_store_n(&h->refilling, 0, __ATOMIC_RELEASE);
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

void quarantine_put(struct heap *h, struct chunk *c, unsigned first)
{
	unsigned n;

	if (own_get(c, first) != OWN_FREED)
		return;		/* queued already: see own_free() */
	own_put(c, first, OWN_NONE);
	n = tail_of(c, first) - first + 1;
	heap_fork_freed(h, c, first);
	h->q[h->nq++] = (struct qent){ c, first, n };
	h->qbytes += (size_t)n << GRAN_SHIFT;
	if (h->nq == QMAX || h->qbytes >= QBYTES)
		quarantine_flush(h);
}
