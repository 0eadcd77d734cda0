/* SPDX-License-Identifier: MIT */
/*
 * The four backends side by side, as the trampfd discussion asked: call
 * latency and create+destroy cost of every backend x kind, the signal and
 * syscall floors of the same run, TLB shootdowns per 1,000 creations, and
 * whether each backend works under PR_SET_MDWE, found by trying it.
 * TRAMP_SYSCALL is measured in forked children: its seccomp filter is
 * irrevocable and would tax every later syscall of this process.
 */
#define _GNU_SOURCE	/* REG_* of ucontext */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trampjit.h>
#include "bench.h"
#include "test_arch.h"

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

#define CALLS	"backends: call latency (ns/call)"
#define CREATE	"backends: create+destroy (ns/op)"
#define SUMMARY	"backends: which mechanism when"

static const char *const bnames[] = { "static", "fault", "syscall",
				      "mprotect" };
static const char *const knames[] = { "CHAIN", "BIND", "HANDLER",
				      "CONTEXT" };

static const struct tramp_context inc_ctx = { .pc = (void *)bench_inc };

static struct tramp_spec spec_of(enum tramp_backend b, enum tramp_kind k)
{
	return (struct tramp_spec){
		.kind = k, .backend = b,
		.target = k == TRAMP_BIND ? (void *)bench_bind_inc :
					    (void *)bench_inc,
		.handler = bench_handler_inc, .context = &inc_ctx,
	};
}

/* ---- floors, measured in the same run ---------------------------------- */

static void empty_handler(int sig, siginfo_t *si, void *uc)
{
}

static void loop_raise(void *arg, long n)
{
	for (long i = 0; i < n; i++)
		raise(SIGUSR1);
}

static void loop_getppid(void *arg, long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

/* Fault floor: a call into a PROT_NONE page whose handler does nothing
   but return from the call with the argument plus one: one fault, one
   sigreturn. */
static void ret_handler(int sig, siginfo_t *si, void *uc)
{
	uc_return_inc(uc);
}

static void loop_fault(void *arg, long n)
{
	long (*fn)(long) = (long (*)(long))arg;
	long s = 0;

	for (long i = 0; i < n; i++)
		s = fn(s);
	if (s != n)
		abort();
}

static struct stats time_with_handler(int sig, void (*h)(int, siginfo_t *,
							 void *),
				      void (*fn)(void *, long), void *arg,
				      long n)
{
	struct sigaction sa = { .sa_sigaction = h, .sa_flags = SA_SIGINFO },
			 old;
	struct stats s;

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, &old);
	s = bench_time(fn, arg, n);
	sigaction(sig, &old, NULL);
	return s;
}

static void floors(void)
{
	void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	long n = bench_n(100000);

	bench_result(CALLS, "floor: getppid() null syscall", "ns/call",
		     bench_time(loop_getppid, NULL, bench_n(1000000)), "ns");
	bench_result(CALLS, "floor: raise() + empty handler + sigreturn",
		     "ns/call", time_with_handler(SIGUSR1, empty_handler,
						  loop_raise, NULL, n), "ns");
	if (page != MAP_FAILED) {
		bench_result(CALLS, "floor: PROT_NONE call + return handler",
			     "ns/call", time_with_handler(SIGSEGV, ret_handler,
							  loop_fault, page, n),
			     "ns");
		munmap(page, 4096);
	}
}

/* ---- one backend ----------------------------------------------------- */

/* Everything measured for one backend, so a child can pipe it back. */
struct figures {
	int ok;			/* backend usable here */
	int err;		/* errno when not */
	double call[4];		/* ns per call, by kind */
	double create[4];	/* ns per create+destroy, by kind */
	double tlb1, tlb2;	/* shootdowns per 1,000 creations: alone, and
				   with a second thread running */
	double raise_floor;	/* the raise floor in the same process */
};

static long (*volatile callee)(long);

static void loop_call(void *arg, long n)
{
	long (*fn)(long) = callee;
	long s = 0;

	for (long i = 0; i < n; i++)
		s = fn(s);
	if (s != n)
		abort();
}

static void loop_create(void *arg, long n)
{
	const struct tramp_spec *spec = arg;

	for (long i = 0; i < n; i++)
		tramp_destroy(tramp_create(spec));
}

static atomic_int spin_stop;

static void *spinner(void *arg)
{
	while (!atomic_load_explicit(&spin_stop, memory_order_relaxed))
		cpu_relax();
	return NULL;
}

/* Shootdowns per 1,000 creations of BIND trampolines kept alive (so each
   creation is a real first publication), in steady state. */
static double tlb_per_1000(enum tramp_backend b, int with_thread)
{
	struct tramp_spec spec = spec_of(b, TRAMP_BIND);
	long n = bench_opts.quick ? 100 : 1000;
	struct tramp **keep = calloc((size_t)n, sizeof(*keep));
	pthread_t th;
	long t0, t1;

	if (!keep)
		return -1;
	loop_create(&spec, 64);		/* steady state: tables exist */
	if (with_thread) {
		atomic_store(&spin_stop, 0);
		pthread_create(&th, NULL, spinner, NULL);
		usleep(1000);
	}
	t0 = bench_tlb_shootdowns();
	for (long i = 0; i < n; i++)
		keep[i] = tramp_create(&spec);
	t1 = bench_tlb_shootdowns();
	if (with_thread) {
		atomic_store(&spin_stop, 1);
		pthread_join(th, NULL);
	}
	for (long i = 0; i < n; i++)
		tramp_destroy(keep[i]);
	free(keep);
	if (t0 < 0 || t1 < 0)
		return -1;
	return (double)(t1 - t0) * 1000.0 / (double)n;
}

static void measure(enum tramp_backend b, struct figures *f)
{
	int slow = b == TRAMP_FAULT || b == TRAMP_SYSCALL;
	long ncall = bench_n(slow ? 20000 : 5000000);
	long ncreate = bench_n(b == TRAMP_MPROTECT ? 5000 : 500000);

	memset(f, 0, sizeof(*f));
	for (int k = 0; k < 4; k++) {
		struct tramp_spec spec = spec_of(b, (enum tramp_kind)k);
		struct tramp *t = tramp_create(&spec);

		if (!t) {
			f->err = errno;
			return;
		}
		callee = (long (*)(long))tramp_code(t);
		f->call[k] = bench_time(loop_call, NULL, ncall).med;
		tramp_destroy(t);
		f->create[k] = bench_time(loop_create, &spec, ncreate).med;
	}
	f->tlb1 = tlb_per_1000(b, 0);
	f->tlb2 = tlb_per_1000(b, 1);
	f->raise_floor = time_with_handler(SIGUSR1, empty_handler, loop_raise,
					   NULL, bench_n(100000)).med;
	f->ok = 1;
}

/* Run fn(b, out) in a forked child and read *out back through a pipe;
   -1 if the child failed. */
static int in_child(void (*fn)(enum tramp_backend, void *), size_t size,
		    enum tramp_backend b, void *out)
{
	int fds[2], st;
	pid_t pid;
	ssize_t got;

	if (pipe(fds))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char buf[512];

		close(fds[0]);
		fn(b, buf);
		_exit(write(fds[1], buf, size) == (ssize_t)size ? 0 : 1);
	}
	close(fds[1]);
	got = read(fds[0], out, size);
	close(fds[0]);
	waitpid(pid, &st, 0);
	return got == (ssize_t)size && WIFEXITED(st) &&
	       !WEXITSTATUS(st) ? 0 : -1;
}

static void measure_child(enum tramp_backend b, void *out)
{
	measure(b, out);
}

/* Under MDWE, by trying: a child sets PR_SET_MDWE and creates one of each
   kind.  Result: 0 works, else the errno; -1 when MDWE is unsupported. */
static void mdwe_child(enum tramp_backend b, void *out)
{
	int r = 0;

	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L)) {
		r = -1;
	} else {
		for (int k = 0; k < 4 && !r; k++) {
			struct tramp_spec spec = spec_of(b,
							 (enum tramp_kind)k);
			struct tramp *t = tramp_create(&spec);

			if (!t)
				r = errno;
			else if (((long (*)(long))tramp_code(t))(41) != 42)
				r = EIO;
			tramp_destroy(t);
		}
	}
	memcpy(out, &r, sizeof(r));
}

/* ---- sections -------------------------------------------------------- */

static const char *const side_effects[] = {
	"none",
	"SIGSEGV handler (chains)",
	"SIGSYS handler, no_new_privs, seccomp filter on all threads: "
	"irrevocable, inherited",
	"needs W+X policy off; VMA per rebuilt page",
};

static void record(enum tramp_backend b, const struct figures *f,
		   double fault_floor)
{
	const char *row = bnames[b];

	if (!f->ok) {
		bench_note(CALLS, "%s: unavailable here: %s", row,
			   strerror(f->err));
		return;
	}
	for (int k = 0; k < 4; k++) {
		bench_result(CALLS, row, knames[k], bench_scalar(f->call[k]),
			     "ns");
		bench_result(CREATE, row, knames[k],
			     bench_scalar(f->create[k]), "ns");
	}
	if (b == TRAMP_FAULT || b == TRAMP_SYSCALL) {
		bench_result(CALLS, row, "CHAIN vs raise floor",
			     bench_scalar(f->call[0] / f->raise_floor), "x");
		if (fault_floor > 0)
			bench_result(CALLS, row, "CHAIN vs fault floor",
				     bench_scalar(f->call[0] / fault_floor),
				     "x");
	}
	if (f->tlb1 >= 0) {
		bench_result(CREATE, row, "TLB/1000 creations",
			     bench_scalar(f->tlb1), "");
		bench_result(CREATE, row, "TLB/1000, 2nd thread running",
			     bench_scalar(f->tlb2), "");
	}
}

static void backends_section(void)
{
	double fault_floor;
	struct figures f[4];

	floors();
	fault_floor = bench_get(CALLS, "floor: PROT_NONE call + return handler",
				"ns/call");
	for (int b = 0; b < 4; b++) {
		bench_progress("backend %s", bnames[b]);
		if (b == TRAMP_SYSCALL) {
			if (in_child(measure_child, sizeof(f[b]),
				     (enum tramp_backend)b, &f[b])) {
				memset(&f[b], 0, sizeof(f[b]));
				f[b].err = ECHILD;
			}
		} else {
			measure((enum tramp_backend)b, &f[b]);
		}
		record((enum tramp_backend)b, &f[b], fault_floor);
	}
	if (f[0].ok)
		for (int b = 1; b < 4; b++)
			if (f[b].ok)
				bench_result(CALLS, bnames[b], "CHAIN vs static",
					     bench_scalar(f[b].call[0] /
							  f[0].call[0]), "x");
	bench_note(CALLS, "Target: fault and syscall calls <= 1.2x the signal "
		   "round trip of the same process (the syscall figures come "
		   "from a child with the seccomp filter, whose raise floor "
		   "also pays the filter).");
	bench_note(CREATE, "TLB: TLB-shootdown interrupts of the whole "
		   "machine (/proc/interrupts) per 1,000 creations in steady "
		   "state; other processes add noise. Target: static 0.");
}

static void mdwe_section(void)
{
	for (int b = 0; b < 4; b++) {
		int r;

		if (in_child(mdwe_child, sizeof(r), (enum tramp_backend)b,
			     &r)) {
			bench_text(SUMMARY, bnames[b], "works under MDWE",
				   "child failed");
			continue;
		}
		if (r < 0)
			bench_text(SUMMARY, bnames[b], "works under MDWE",
				   "MDWE unsupported");
		else if (r)
			bench_text(SUMMARY, bnames[b], "works under MDWE",
				   "no (%s)", strerror(r));
		else
			bench_text(SUMMARY, bnames[b], "works under MDWE",
				   "yes");
		bench_text(SUMMARY, bnames[b], "process-wide side effects",
			   "%s", side_effects[b]);
	}
	bench_note(SUMMARY, "Found by trying: a forked child sets "
		   "PR_SET_MDWE, creates and calls one trampoline of each "
		   "kind.");
}

BENCH_SECTION(20, "backends side by side, with their floors",
	      backends_section)
BENCH_SECTION(21, "backends under MDWE", mdwe_section)
