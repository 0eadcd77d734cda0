/* SPDX-License-Identifier: MIT */
/*
 * trampfd-bench: the kernel paths against the user-space ones, in one run.
 * Call latency of a CHAIN and a CONTEXT trampoline on the static, fault
 * (SIGSEGV), syscall (seccomp SIGSYS), kernel fault and kernel ioctl
 * backends; cost of jit_create_code + jit_destroy_code and of a region
 * append in the pwrite, swap and kernel modes.  Each backend runs in a
 * child of its own (the syscall backend's filter is irrevocable).  Prints
 * ratios against the first row of each table only: under qemu's TCG the
 * absolute times are those of an emulator, not of a CPU.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <trampjit.h>

#define ROUNDS	5	/* interleaved passes over the backends */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over 3 rounds of ns per op(arg), each round about 50 ms. */
static double median_ns(void (*op)(void *), void *arg)
{
	double r[3];
	long n = 1;

	for (;;) {		/* calibrate */
		double t = now();

		for (long i = 0; i < n; i++)
			op(arg);
		if (now() - t > 5e6 || n > (1L << 30))
			break;
		n *= 4;
	}
	n *= 10;
	for (int k = 0; k < 3; k++) {
		double t = now();

		for (long i = 0; i < n; i++)
			op(arg);
		r[k] = (now() - t) / n;
	}
	qsort(r, 3, sizeof(r[0]), cmp);
	return r[1];
}

static long id(long x) { return x; }
static void call_op(void *code)
{
	long (*f)(long) = (long (*)(long))code;

	if (f(1) != 1)
		abort();
}

/* ns per call of a CHAIN and a CONTEXT trampoline on backend b, measured
   in a child; negative: not available. */
static void calls(enum tramp_backend b, double out[2])
{
	int p[2], st;
	pid_t pid;

	out[0] = out[1] = -1;
	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		struct tramp_context c = {
			.mask = 1u << TRAMP_REG_R10, .nstack = 1,
			.stack = { 7 }, .pc = (void *)id,
		};
		struct tramp_spec s1 = { .kind = TRAMP_CHAIN, .backend = b,
					 .target = (void *)id };
		struct tramp_spec s2 = { .kind = TRAMP_CONTEXT, .backend = b,
					 .context = &c };
		struct tramp *t1 = tramp_create(&s1), *t2 = tramp_create(&s2);
		double r[2] = { -1, -1 };

		if (t1 && t2) {
			r[0] = median_ns(call_op, tramp_code(t1));
			r[1] = median_ns(call_op, tramp_code(t2));
		}
		_exit(write(p[1], r, sizeof(r)) != sizeof(r));
	}
	close(p[1]);
	if (pid > 0) {
		if (read(p[0], out, 2 * sizeof(double)) != 2 * sizeof(double))
			out[0] = out[1] = -1;
		waitpid(pid, &st, 0);
	}
	close(p[0]);
}

static const unsigned char ret42[] = { 0xb8, 42, 0, 0, 0, 0xc3 };

static void create_op(void *unused)
{
	void *c = jit_create_code(ret42, sizeof(ret42));

	if (!c || ((int (*)(void))c)() != 42 || jit_destroy_code(c))
		abort();
}

struct app {
	int mode;
	struct jit_region *r;
	long n;
};

/* One 64-byte append; a new region when full (its cost is amortised). */
static void append_op(void *arg)
{
	struct app *a = arg;
	unsigned char code[64];
	void *c;

	memset(code, 0x90, sizeof(code));
	memcpy(code + sizeof(code) - sizeof(ret42), ret42, sizeof(ret42));
	if (!a->r || a->n == (1 << 20) / 64) {
		jit_region_destroy(a->r);
		a->r = jit_region_create(1 << 20, a->mode);
		a->n = 0;
		if (!a->r)
			abort();
	}
	c = jit_region_append(a->r, code, sizeof(code));
	if (!c || ((int (*)(void))((char *)c + 58))() != 42)
		abort();
	a->n++;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(v[0]), cmp);
	return v[n / 2];
}

static void row(const char *name, double v, double base)
{
	if (v < 0)
		printf("| %-33s | n/a |\n", name);
	else
		printf("| %-33s | %8.2fx |\n", name, v / base);
}

/* A call row: against static, and against the user-space fault route. */
static void row2(const char *name, double v, double base, double fault)
{
	if (v < 0)
		printf("| %-33s | n/a | n/a |\n", name);
	else
		printf("| %-33s | %8.2fx | %6.3fx |\n", name, v / base,
		       v / fault);
}

int main(void)
{
	static const struct { enum tramp_backend b; const char *name; } bs[] = {
		{ TRAMP_STATIC, "static stub" },
		{ TRAMP_FAULT, "FAULT (SIGSEGV emulation)" },
		{ TRAMP_SYSCALL, "SYSCALL (seccomp SIGSYS)" },
		{ TRAMP_KERNEL, "kernel fault (trampfd)" },
		{ TRAMP_KERNEL_CALL, "kernel ioctl (trampoline syscall)" },
	};
	static const struct { int mode; const char *name; } ms[] = {
		{ JIT_APPEND_PWRITE, "pwrite" },
		{ JIT_APPEND_SWAP, "swap (MAP_FIXED)" },
		{ JIT_APPEND_KERNEL, "kernel (PTE swap)" },
	};
	double c[5][2], j[2], a[3], v[2][ROUNDS], pass[ROUNDS][5][2];
	struct app ap;

	printf("trampfd-bench: ratios only (TCG timing is not native "
	       "timing)\n\n| call latency, CHAIN | vs static | vs FAULT |\n"
	       "|---|---:|---:|\n");
	/* Passes over all backends, so that a slow moment of the host
	   weighs on every row alike. */
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < 5; i++)
			calls(bs[i].b, pass[r][i]);
	for (int i = 0; i < 5; i++) {
		for (int r = 0; r < ROUNDS; r++) {
			v[0][r] = pass[r][i][0];
			v[1][r] = pass[r][i][1];
		}
		c[i][0] = median(v[0], ROUNDS);
		c[i][1] = median(v[1], ROUNDS);
	}
	for (int i = 0; i < 5; i++)
		row2(bs[i].name, c[i][0], c[0][0], c[1][0]);
	printf("\n| call latency, CONTEXT (1 reg, 1 word) | vs static | "
	       "vs FAULT |\n|---|---:|---:|\n");
	for (int i = 0; i < 5; i++)
		row2(bs[i].name, c[i][1], c[0][1], c[1][1]);
	j[0] = median_ns(create_op, NULL);
	j[1] = -1;
	if (jit_set_code_mode(JIT_APPEND_KERNEL) >= 0) {
		j[1] = median_ns(create_op, NULL);
		jit_set_code_mode(JIT_APPEND_PWRITE);
	}
	printf("\n| jit_create_code + destroy, 6 B | vs pwrite |\n"
	       "|---|---:|\n");
	row("pwrite heap", j[0], j[0]);
	row("kernel (own mapping)", j[1], j[0]);
	for (int i = 0; i < 3; i++) {
		memset(&ap, 0, sizeof(ap));
		ap.mode = ms[i].mode;
		a[i] = median_ns(append_op, &ap);
		jit_region_destroy(ap.r);
	}
	printf("\n| region append, 64 B | vs pwrite |\n|---|---:|\n");
	for (int i = 0; i < 3; i++)
		row(ms[i].name, a[i], a[0]);
	return c[3][0] < 0 || c[4][0] < 0 || j[1] < 0 || a[2] < 0;
}
