/* SPDX-License-Identifier: MIT */
/*
 * Floors: what the kernel and the hardware cost on this machine, measured
 * in the same run as everything else: minor page fault, mprotect pair,
 * membarrier SYNC_CORE (alone and with a thread running on the other CPU).
 */
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define FLOORS	"floors (kernel and hardware)"

static void loop_fault(void *arg, long n)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (size_t)n * ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	for (long i = 0; i < n; i++)
		p[(size_t)i * ps] = 1;
	munmap(p, (size_t)n * ps);
}

static char *page;

static void loop_mprotect(void *arg, long n)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);

	for (long i = 0; i < n; i++) {
		mprotect(page, ps, PROT_READ);
		mprotect(page, ps, PROT_READ | PROT_WRITE);
		page[0] = (char)i;
	}
}

static void loop_membarrier(void *arg, long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_membarrier,
			MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
}

static atomic_int spin_stop;

/* A thread that keeps the other CPU busy in this process (and touches
   the page, so the mprotect must shoot its TLB down). */
static void *spinner(void *arg)
{
	volatile char sink;

	while (!atomic_load_explicit(&spin_stop, memory_order_relaxed))
		sink = page[0];
	(void)sink;
	return NULL;
}

static void floors_section(void)
{
	pthread_t th;
	long tlb0, tlb1, n;

	bench_result(FLOORS, "minor page fault (anonymous)", "ns",
		     bench_time(loop_fault, NULL, bench_n(100000)), "ns");
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return;
	page[0] = 1;
	bench_result(FLOORS, "mprotect RW->R->RW pair, 1 thread", "ns",
		     bench_time(loop_mprotect, NULL, bench_n(100000)), "ns");
	if (syscall(SYS_membarrier,
		    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0))
		bench_note(FLOORS, "membarrier SYNC_CORE unavailable: %m");
	else
		bench_result(FLOORS, "membarrier SYNC_CORE, 1 thread", "ns",
			     bench_time(loop_membarrier, NULL,
					bench_n(100000)), "ns");
	atomic_store(&spin_stop, 0);
	if (pthread_create(&th, NULL, spinner, NULL))
		return;
	n = bench_n(20000);
	tlb0 = bench_tlb_shootdowns();
	bench_result(FLOORS, "mprotect RW->R->RW pair, thread on other CPU",
		     "ns", bench_time(loop_mprotect, NULL, n), "ns");
	tlb1 = bench_tlb_shootdowns();
	if (tlb0 >= 0)
		bench_result(FLOORS, "mprotect RW->R->RW pair, thread on "
			     "other CPU", "TLB shootdowns per pair",
			     bench_scalar((double)(tlb1 - tlb0) /
					  ((double)n * bench_reps() +
					   (double)(n / 10))),
			     "");
	bench_result(FLOORS, "membarrier SYNC_CORE, thread on other CPU",
		     "ns", bench_time(loop_membarrier, NULL, bench_n(20000)),
		     "ns");
	atomic_store(&spin_stop, 1);
	pthread_join(th, NULL);
	munmap(page, 4096);
}

BENCH_SECTION(5, "floors", floors_section)
