/* SPDX-License-Identifier: MIT */
/*
 * Tooling: the cost of naming 10,000 JIT objects with each publisher (none,
 * unwind info, GDB JIT interface, perf jitdump, perf map, all), per object
 * over the first thousand and over the tenth: flat means the tenth costs
 * what the first did.  No debugger is attached there: that is the
 * process's own cost (building objects, writing records).  Then the same
 * with a real gdb attached, which reads every registered object.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trampjit.h>
#include "bench.h"
#include "test_arch.h"

#define TABLE	"naming 10,000 JIT objects (ns per object)"
#define GDBTAB	"GDB JIT interface with gdb attached (us per name)"
#define GDB_N	3000

struct config {
	const char *row;	/* publisher */
	unsigned flags;		/* JIT_DEBUG_* to enable */
	int unwind;		/* jit_name_unwind instead of jit_name */
};

static const struct config configs[] = {
	{ "registry only", 0, 0 },
	{ "unwind info (libgcc + libunwind)", 0, 1 },
	{ "GDB JIT interface", JIT_DEBUG_GDB, 0 },
	{ "perf jitdump", JIT_DEBUG_JITDUMP, 0 },
	{ "perf map", JIT_DEBUG_PERFMAP, 0 },
	{ "all publishers + unwind info", JIT_DEBUG_ALL, 1 },
};

/* One run: name every object, block by block; unname them all. */
static int run(const struct config *c, void **code, long n, long block,
	       double *first, double *last, double *unname)
{
	char name[32];
	double t0 = 0, t;

	if (jit_debug_enable(c->flags))
		return -1;
	for (long i = 0; i < n; i++) {
		int r;

		if (i % block == 0)
			t0 = bench_now_ns();
		snprintf(name, sizeof(name), "jit_fn_%ld", i);
		r = c->unwind ? jit_name_unwind(code[i], 16, name, NULL, 0) :
				jit_name(code[i], 16, name);
		if (r)
			return -1;
		if (i % block == block - 1) {
			t = (bench_now_ns() - t0) / (double)block;
			if (i / block == 0)
				*first = t;
			*last = t;
		}
	}
	t0 = bench_now_ns();
	for (long i = 0; i < n; i++)
		if (jit_unname(code[i]))
			return -1;
	*unname = (bench_now_ns() - t0) / (double)n;
	return jit_debug_disable(JIT_DEBUG_ALL);
}

/* gdb stops here, detaches and quits. */
__attribute__((noinline)) void bench_debug_gdb_done(void)
{
	__asm__ volatile("");
}

static int traced(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int pid = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "TracerPid:", 10))
			pid = atoi(line + 10);
	if (f)
		fclose(f);
	return pid;
}

/*
 * gdb attached to this process (a child runs gdb -p) while GDB_N names
 * are registered: its per-name cost over the first and the last tenth.
 */
static void under_gdb(void **code)
{
	long block = GDB_N / 10;
	double f = 0, l = 0, t0 = 0;
	char pid[16], name[32];
	pid_t c;
	int st;

	if (bench_opts.quick || system("gdb --version >/dev/null 2>&1")) {
		bench_note(GDBTAB, "skipped (--quick, or no gdb)");
		return;
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	c = fork();
	if (c == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execlp("gdb", "gdb", "-batch", "-nx", "-p", pid, "-ex",
		       "break bench_debug_gdb_done", "-ex", "continue", "-ex",
		       "detach", "-ex", "quit", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; c > 0 && !traced() && i < 20000; i++) {
		if (waitpid(c, &st, WNOHANG) == c) {
			c = -1;
			break;
		}
		usleep(500);
	}
	if (c <= 0 || !traced()) {
		bench_note(GDBTAB, "skipped: gdb could not attach");
		if (c > 0) {
			kill(c, SIGKILL);
			waitpid(c, &st, 0);
		}
		return;
	}
	jit_debug_enable(JIT_DEBUG_GDB);
	for (long i = 0; i < GDB_N; i++) {
		if (i % block == 0)
			t0 = bench_now_ns();
		snprintf(name, sizeof(name), "jit_fn_%ld", i);
		jit_name(code[i], 16, name);
		if (i % block == block - 1) {
			double t = (bench_now_ns() - t0) / (double)block / 1e3;

			if (i / block == 0)
				f = t;
			l = t;
		}
	}
	bench_debug_gdb_done();
	waitpid(c, &st, 0);
	for (long i = 0; i < GDB_N; i++)
		jit_unname(code[i]);
	jit_debug_disable(JIT_DEBUG_ALL);
	bench_result(GDBTAB, "batched objects (64 names each)",
		     "first 300", bench_scalar(f), "us");
	bench_result(GDBTAB, "batched objects (64 names each)",
		     "tenth 300", bench_scalar(l), "us");
	bench_result(GDBTAB, "batched objects (64 names each)",
		     "tenth/first", bench_scalar(l / f), "x");
	bench_note(GDBTAB, "%d names registered one by one while gdb 13 is "
		   "attached (one run): each costs two gdb events (the "
		   "changed object is unregistered and its new version "
		   "registered); the growth left is gdb's own work per "
		   "event, which rises with the symbols it holds", GDB_N);
}

static void debug_section(void)
{
	long n = bench_n(10000), block = n / 10;
	int reps = bench_reps() < 5 ? bench_reps() : 5;
	unsigned char fn[16];
	char dir[] = "/tmp/trampjit-bench-XXXXXX", cmd[128];
	void **code = calloc((size_t)n, sizeof(*code));

	if (!code || !mkdtemp(dir)) {
		bench_note(TABLE, "skipped: no memory or temporary directory");
		free(code);
		return;
	}
	setenv("JITDUMPDIR", dir, 1);
	memset(fn, 0, sizeof(fn));
	code_ret(fn, 0);
	for (long i = 0; i < n; i++) {
		code[i] = jit_create_code(fn, sizeof(fn));
		if (!code[i]) {
			bench_note(TABLE, "skipped: jit_create_code: %s",
				   strerror(errno));
			goto out;
		}
	}
	for (size_t k = 0; k < sizeof(configs) / sizeof(*configs); k++) {
		const struct config *c = &configs[k];
		double f[5], l[5], u[5], ratio[5];

		bench_progress("naming: %s", c->row);
		for (int r = 0; r < reps; r++) {
			if (run(c, code, n, block, &f[r], &l[r], &u[r])) {
				bench_note(TABLE, "%s: %s", c->row,
					   strerror(errno));
				jit_debug_disable(JIT_DEBUG_ALL);
				goto next;
			}
			ratio[r] = l[r] / f[r];
		}
		bench_result(TABLE, c->row, "first 1000", bench_stats(f, reps),
			     "ns");
		bench_result(TABLE, c->row, "tenth 1000", bench_stats(l, reps),
			     "ns");
		bench_result(TABLE, c->row, "tenth/first",
			     bench_stats(ratio, reps), "x");
		bench_result(TABLE, c->row, "unname", bench_stats(u, reps),
			     "ns");
next:;
	}
	if (n >= GDB_N)
		under_gdb(code);
	bench_note(TABLE, "%ld objects of 16 bytes from jit_create_code, "
		   "named one by one, medians of %d runs; GDB objects hold "
		   "64 names each and only the one that changed is rebuilt",
		   n, reps);
out:
	for (long i = 0; i < n && code[i]; i++)
		jit_destroy_code(code[i]);
	free(code);
	snprintf(cmd, sizeof(cmd), "rm -rf %s /tmp/perf-%d.map", dir,
		 (int)getpid());
	if (system(cmd))
		bench_note(TABLE, "could not remove %s", dir);
	unsetenv("JITDUMPDIR");
}

BENCH_SECTION(40, "tooling: naming JIT objects", debug_section)
