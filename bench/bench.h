/* SPDX-License-Identifier: MIT */
/*
 * Benchmark framework: sections register themselves (BENCH_SECTION), time
 * work as medians of repetitions, and record results in named tables that
 * main.c prints and writes to the report.
 */
#ifndef TRAMPJIT_BENCH_H
#define TRAMPJIT_BENCH_H

#include <stddef.h>

/* Spread of repeated measurements. */
struct stats {
	double min, med, max;
};

/* Options of this run. */
struct bench_opts {
	int quick;		/* --quick: tiny counts, smoke test only */
	const char *report;	/* --report DIR, or NULL */
};
extern struct bench_opts bench_opts;

typedef void bench_section_fn(void);
void bench_register(int order, const char *name, bench_section_fn *fn);
#define BENCH_SECTION(order, name, fn)					\
	__attribute__((constructor)) static void reg_##fn(void)	\
	{ bench_register(order, name, fn); }

/* Scale an iteration count down in --quick mode. */
long bench_n(long n);
/* Repetitions for medians (fewer in --quick mode). */
int bench_reps(void);

/* Nanoseconds now (CLOCK_MONOTONIC). */
double bench_now_ns(void);
/* Time fn(arg, n) bench_reps() times after one warm-up; per-iteration ns. */
struct stats bench_time(void (*fn)(void *arg, long n), void *arg, long n);
/* Spread of an array of samples (sorted in place). */
struct stats bench_stats(double *v, int n);
struct stats bench_scalar(double v);	/* min = med = max = v */

/*
 * Results.  A table has rows and columns; each cell holds stats and a unit
 * ("ns", "x", "ops/s", "B", "" for counts).  Text cells hold a string.
 * Tables print in the order first used; notes print under their table.
 */
void bench_result(const char *table, const char *row, const char *col,
		  struct stats s, const char *unit);
void bench_text(const char *table, const char *row, const char *col,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void bench_note(const char *table, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The median of a recorded cell, or -1 when absent. */
double bench_get(const char *table, const char *row, const char *col);

/* Progress line on stderr (overwritten). */
void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* TLB shootdown interrupts so far, summed over CPUs (/proc/interrupts);
   -1 when unreadable. */
long bench_tlb_shootdowns(void);
/* Resident set size and VMA count of this process. */
long bench_rss_bytes(void);
long bench_vma_count(void);

/* bench_scale.c: one point of the live-count scaling, run in a fresh
   process by `trampjit-bench --scale-point LIVE`. */
int bench_scale_point(long live);

/* bench_churn.c: one side of the fork figure, run in a fresh process by
   `trampjit-bench --fork-point code|plain`; prints ns per fork. */
int bench_fork_point(const char *what, int quick);

/* Write the machine line and one table (medians) as markdown to f. */
#include <stdio.h>
void bench_write_table(FILE *f, const char *table);

/* bench_matrix.c: one probe in a fresh process (`--probe NAME INDEX`);
   returns the exit status.  Indexes from BENCH_JIT_PROBES on are the JIT
   mechanisms of bench_matrix_jit.c. */
#define BENCH_JIT_PROBES	16
int bench_matrix_probe(const char *probe, int index);
int bench_matrix_jit_probe(const char *probe, int mech);
void bench_matrix_jit_rows(void);	/* the JIT rows of the matrix */
/* Run `--probe NAME INDEX` in a fresh process: its exit status (0 yes,
   1 no, other: failed; -1 if it could not run). */
int bench_probe_child(const char *probe, int index);
/* A shell command running prog (NULL: this program; else a program in its
   directory) with args, through TRAMPJIT_BENCH_RUNNER (an emulator) if
   set.  0, or -1. */
int bench_self_cmd(char *buf, size_t size, const char *prog,
		   const char *args);
int bench_maps_have_rwx(void);
/* Process-wide state installed by use(arg), as probe exit bits. */
int bench_probe_global(int (*use)(int), int arg);
/* Whether backtrace() from the caller reaches a return address into the
   function at x (shorter than 256 bytes). */
int bench_backtrace_reaches(long x);
/* Run every probe for mechanism idx into matrix row `row`. */
void bench_matrix_row(const char *row, int idx);

/* bench_jit.c: time loop(job, n) into (table, row, col), with TLB
   shootdowns and membarriers per 1,000 operations into table sync. */
double bench_jit_measure(const char *table, const char *sync,
			 const char *row, const char *col,
			 void (*loop)(void *, long), void *job, long n);

/* bench_tramp.c: the targets every trampoline figure calls: x + 1. */
struct tramp_frame;
long bench_inc(long x);
long bench_bind_inc(void *data, long x);
void bench_handler_inc(struct tramp_frame *f, void *data);

/* charts.c: draw DIR's charts from DIR/results.tsv; 0 or -1. */
int bench_charts(const char *dir);

#endif
