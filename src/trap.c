/* SPDX-License-Identifier: MIT */
/*
 * Fault fixups of the JIT half: the int3 (breakpoint) fixup and the retry
 * of a fault in the gap of a MAP_FIXED page swap, plus filler writes.
 *
 * Code is written into space that holds the trapping filler (0xCC on x86).
 * A thread on another CPU may still run a stale copy of that filler from
 * its prefetch queue after the writer has stored the new bytes, as the
 * reference message explains.  It then takes a breakpoint trap: the
 * SIGTRAP handler sees that the byte under the trap is no longer the
 * filler, rewinds the program counter to it and returns.  The return to
 * user space through the kernel serialises the thread, so it fetches the
 * new bytes.  Every other SIGTRAP is the program's and goes to the
 * previous action, delivered as the kernel would have (sigchain.c): a
 * real int3 (the byte still is the filler), a breakpoint outside our
 * ranges, int $3 encoded CD 03 (the bytes now there explain the trap),
 * int1, single-steps, hardware breakpoints and signals sent by kill() or
 * tgkill() (not a breakpoint exception, by si_code).  The cost is zero
 * unless a thread actually races a writer; then it is one signal.  The
 * fixup needs SIGTRAP unblocked, like every breakpoint: a thread that
 * runs new code with SIGTRAP blocked and races its writer is killed by
 * the kernel.
 *
 * Ranges live in a flat table scanned without locks: entries are added
 * and removed rarely (per region or per heap), and lookups happen only on
 * signals.  The table is one mapping sized for RANGES_MAX entries, touched
 * as it fills.  Everything on the signal path is async-signal-safe.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "arch_backends.h"
#include "internal.h"
#include "os.h"

#define RANGES_MAX	65536
#define RETRIES		16	/* SIGSEGV retries without a swap finishing */

struct range {
	_Atomic uintptr_t start;	/* first byte; 0 marks a free entry */
	_Atomic uintptr_t end;		/* past the last byte */
	_Atomic unsigned flags;		/* TRAP_SWAPPED */
};

static struct range *ranges;		/* RANGES_MAX entries, lazily mapped */
static _Atomic unsigned nranges;	/* entries ever used (high water) */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigchain old_trap, old_segv;	/* actions before ours */
static int trap_on, segv_on;		/* our handlers are installed */
static _Atomic long swapping;		/* swaps in progress */
static _Atomic unsigned long swap_gen;	/* swaps finished */

unsigned long jit_stat_fixups, jit_stat_retries, jit_stat_flushes,
	jit_stat_swaps;

/* The flags + 1 of the range holding a, or 0.  Async-signal-safe. */
static unsigned lookup(uintptr_t a)
{
	unsigned n = atomic_load_explicit(&nranges, memory_order_acquire);

	for (unsigned i = 0; i < n; i++) {
		uintptr_t s = atomic_load_explicit(&ranges[i].start,
						   memory_order_acquire);

		if (s && a >= s && a < atomic_load(&ranges[i].end))
			return atomic_load(&ranges[i].flags) + 1;
	}
	return 0;
}

/* The byte before pc, or -1 when it cannot be read: across a page
   boundary it may be unmapped, so it is read by the kernel there. */
static int byte_before(uintptr_t pc)
{
	unsigned char b;
	struct iovec to = { &b, 1 }, from = { (void *)(pc - 1), 1 };

	if (pc & (os_page_size() - 1))
		return *(volatile const unsigned char *)(pc - 1);
	if (process_vm_readv(getpid(), &to, 1, &from, 1, 0) != 1)
		return -1;
	return b;
}

/*
 * Whether a breakpoint at pc hit a stale copy of the filler: pc lies in
 * code the library owns, the byte there is no longer the filler, and the
 * bytes now in memory do not explain the trap on their own (int $3 as
 * CD 03 ends where a one-byte int3 at pc would).  Anything else (a real
 * int3, which still reads as the filler, a breakpoint in foreign code, a
 * SIGTRAP that is not a breakpoint exception) belongs to the program.
 */
static int stale_filler(uintptr_t pc)
{
	return pc && lookup(pc) &&
	       !code_is_fill((const void *)pc) &&
	       !arch_breakpoint_explained(pc, byte_before(pc));
}

static void trap_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	uintptr_t pc = arch_breakpoint_pc(si, uc);

	if (stale_filler(pc)) {
		arch_set_pc(uc, pc);
		__atomic_fetch_add(&jit_stat_fixups, 1, __ATOMIC_RELAXED);
	} else {
		sigchain_deliver(&old_trap, sig, si, uc);
	}
	errno = saved;
}

/* This thread's retries without progress, and since what (the swap
   count, or the faulting address); one pair for both kinds of retry keeps
   the library's static TLS small enough for dlopen. */
static __thread __attribute__((tls_model("initial-exec")))
	unsigned long seen, tries;

/*
 * A store into a range with TRAP_COW (the dual heap's views, and near
 * dual-view buffers' RW views, after a fork): the heap copies the chunk,
 * or dual_near.c the buffer, and the store is retried.  Not an instruction
 * fetch (the views never execute), and not the same address over and over
 * (a retry that cannot succeed is delivered).
 */
static int cow_retry(const siginfo_t *si, const void *uc, unsigned f)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	int r;

	if (!f || !((f - 1) & TRAP_COW) || si->si_code <= 0 ||
	    arch_uc_pc(uc) == a)
		return 0;
	if (a != seen) {
		seen = a;
		tries = 0;
	}
	if (tries >= RETRIES)
		return 0;
	r = heap_cow_fault(si->si_addr);
	if (!r)
		r = near_cow_fault(si->si_addr);
	tries = r == 2 ? 0 : tries + 1;
	return r != 0;
}

/*
 * A fault with no mapping inside a swapped range: a swap was in progress
 * (old kernels unmap before they map), so wait for it and retry.  If no
 * swap finished since this thread's last retries, the fault is real after
 * RETRIES attempts.
 */
static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	unsigned f = lookup((uintptr_t)si->si_addr);

	if (cow_retry(si, uc, f)) {
		errno = saved;
		return;
	}
	if (si->si_code == SEGV_MAPERR && f && ((f - 1) & TRAP_SWAPPED)) {
		unsigned long g = atomic_load(&swap_gen);

		if (g != seen) {
			seen = g;
			tries = 0;
		}
		if (tries++ < RETRIES) {
			while (atomic_load(&swapping))
				;
			__atomic_fetch_add(&jit_stat_retries, 1,
					   __ATOMIC_RELAXED);
			errno = saved;
			return;
		}
	}
	sigchain_deliver(&old_segv, sig, si, uc);
	errno = saved;
}

/* Install what flags need.  pre: lock held. */
static int handlers(unsigned flags)
{
	if (!ranges) {
		ranges = os_map_data(NULL, RANGES_MAX * sizeof(*ranges));
		if (!ranges)
			return -1;
	}
	if (!trap_on) {
		if (sigchain_install(&old_trap, SIGTRAP, trap_handler))
			return -1;
		trap_on = 1;
	}
	if ((flags & (TRAP_SWAPPED | TRAP_COW)) && !segv_on) {
		if (sigchain_install(&old_segv, SIGSEGV, segv_handler))
			return -1;
		segv_on = 1;
	}
	return 0;
}

int trap_add(const void *start, size_t len, unsigned flags)
{
	unsigned i, n;
	int id = -1;

	pthread_mutex_lock(&lock);
	if (handlers(flags))
		goto out;
	n = atomic_load(&nranges);
	for (i = 0; i < n && atomic_load(&ranges[i].start); i++)
		;
	if (i == RANGES_MAX) {
		errno = ENOMEM;
		goto out;
	}
	atomic_store(&ranges[i].flags, flags);
	atomic_store(&ranges[i].end, (uintptr_t)start + len);
	atomic_store_explicit(&ranges[i].start, (uintptr_t)start,
			      memory_order_release);
	if (i == n)
		atomic_store_explicit(&nranges, n + 1, memory_order_release);
	id = (int)i;
out:
	pthread_mutex_unlock(&lock);
	return id;
}

int trap_flags(int id, unsigned flags)
{
	int r = 0;

	if ((atomic_load(&ranges[id].flags) & flags) == flags)
		return 0;
	pthread_mutex_lock(&lock);
	r = handlers(flags);
	if (!r)
		atomic_fetch_or(&ranges[id].flags, flags);
	pthread_mutex_unlock(&lock);
	return r;
}

void trap_del(int id)
{
	if (id < 0)
		return;
	ASSERT((unsigned)id < atomic_load(&nranges));
	atomic_store_explicit(&ranges[id].start, 0, memory_order_release);
}

void trap_swap_begin(void)
{
	atomic_fetch_add(&swapping, 1);
}

void trap_swap_end(void)
{
	atomic_fetch_add(&swap_gen, 1);
	atomic_fetch_sub(&swapping, 1);
	__atomic_fetch_add(&jit_stat_swaps, 1, __ATOMIC_RELAXED);
}

static unsigned char fill_page[CODE_FILL_PAGE];
static pthread_once_t fill_once = PTHREAD_ONCE_INIT;

static void fill_init(void)
{
	code_fill_mem(fill_page, sizeof(fill_page), 0);
}

/* The filler as it lies at file offset off: a memset where its word is one
   byte repeated (0xCC on x86_64), else the word's bytes in phase, eight at a
   time (the word's size divides eight). */
void code_fill_mem(void *p, size_t len, size_t off)
{
	uint32_t w = ARCH_FILL_WORD;
	const unsigned char *wb = (const unsigned char *)&w;
	unsigned char *b = p, pat[8];
	size_t i = 0;

	if (w == (w & 0xff) * 0x01010101u) {
		memset(p, (int)(w & 0xff), len);
		return;
	}
	for (unsigned k = 0; k < sizeof(pat); k++)
		pat[k] = wb[(off + k) % sizeof(w)];
	for (; i + sizeof(pat) <= len; i += sizeof(pat))
		memcpy(b + i, pat, sizeof(pat));
	for (; i < len; i++)
		b[i] = pat[i % sizeof(pat)];
}

int code_is_fill(const void *pc)
{
	uint32_t w = ARCH_FILL_WORD;

	return !memcmp((const void *)pc,
		       (const unsigned char *)&w + (uintptr_t)pc % sizeof(w),
		       ARCH_INSN_SIZE);
}

const unsigned char *code_fill_page(void)
{
	pthread_once(&fill_once, fill_init);
	return fill_page;
}

int code_fill(int fd, off_t off, size_t len)
{
	pthread_once(&fill_once, fill_init);
	return os_pwrite_repeat(fd, fill_page, sizeof(fill_page), len, off);
}

int jit_get_stats(struct jit_stats *st)
{
	if (!st) {
		errno = EINVAL;
		return -1;
	}
	st->trap_fixups = __atomic_load_n(&jit_stat_fixups, __ATOMIC_RELAXED);
	st->segv_retries = __atomic_load_n(&jit_stat_retries,
					   __ATOMIC_RELAXED);
	st->membarriers = __atomic_load_n(&os_membarrier_calls,
					  __ATOMIC_RELAXED);
	st->quarantine_flushes = __atomic_load_n(&jit_stat_flushes,
						 __ATOMIC_RELAXED);
	st->page_swaps = __atomic_load_n(&jit_stat_swaps, __ATOMIC_RELAXED);
	st->membarrier_failures = __atomic_load_n(
		&jit_stat_membarrier_failures, __ATOMIC_RELAXED);
	return 0;
}

/* Lock order (internal.h): the range lock, then the filler's once. */
void trap_fork_lock(void)
{
	pthread_mutex_lock(&lock);
	pthread_once(&fill_once, fill_init);
}

void trap_fork_unlock(void)
{
	pthread_mutex_unlock(&lock);
}
