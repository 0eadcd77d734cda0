/* SPDX-License-Identifier: MIT */
/*
 * Trampolines against libffi as a user measures them: trampjit-plain-loop
 * (bench/plain/plain-loop.c), a single-threaded program linking the shared
 * library, run twice in fresh processes (two passes, so noise shows),
 * each figure beside its goal.
 *
 * Why not in this process: the bench links the static library (no PLT
 * calls), and it has created threads, after which glibc's mutexes stay on
 * their atomic path: libffi's alloc+prep+free (a mutex pair per call)
 * costs about 1.5x what it costs in a program that never made a thread,
 * which flattered the create+destroy ratio of the tables above.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define PLAIN	"as a user measures: plain loop through libtrampjit.so"

static const char *const cols[] = {
	"tramp_create+destroy", "libffi alloc+prep+free",
	"create: libffi / trampjit", "HANDLER call", "libffi closure call",
	"HANDLER / libffi",
};

/* Run the program once; v[0..3] as it prints them.  0 or -1. */
static int plain_run(const char *prog, double v[4])
{
	static const char *const keys[] = {
		"tramp_create+destroy", "ffi_alloc+prep+free",
		"handler_call", "ffi_closure_call",
	};
	char cmd[PATH_MAX + 64], line[256];
	int got = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' %ld", prog, bench_n(2000000));
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		for (int k = 0; k < 4; k++) {
			size_t n = strlen(keys[k]);

			if (!strncmp(line, keys[k], n) && line[n] == ' ' &&
			    sscanf(line + n, "%lf", &v[k]) == 1)
				got |= 1 << k;
		}
	return pclose(p) == 0 && got == 15 ? 0 : -1;
}

static void plain_section(void)
{
	char prog[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", prog, sizeof(prog) - 32);
	char *slash;

	if (len <= 0)
		return;
	prog[len] = 0;
	slash = strrchr(prog, '/');
	snprintf(slash ? slash + 1 : prog, 32, "trampjit-plain-loop");
	for (int pass = 1; pass <= 2; pass++) {
		char row[16];
		double v[4];

		snprintf(row, sizeof(row), "pass %d", pass);
		if (plain_run(prog, v)) {
			bench_note(PLAIN, "%s: %s did not run", row, prog);
			continue;
		}
		bench_result(PLAIN, row, cols[0], bench_scalar(v[0]), "ns");
		bench_result(PLAIN, row, cols[1], bench_scalar(v[1]), "ns");
		bench_result(PLAIN, row, cols[2], bench_scalar(v[1] / v[0]),
			     "x");
		bench_result(PLAIN, row, cols[3], bench_scalar(v[2]), "ns");
		bench_result(PLAIN, row, cols[4], bench_scalar(v[3]), "ns");
		bench_result(PLAIN, row, cols[5], bench_scalar(v[2] / v[3]),
			     "x");
	}
	bench_text(PLAIN, "goal", cols[0], "-");
	bench_text(PLAIN, "goal", cols[1], "-");
	bench_text(PLAIN, "goal", cols[2], ">= 3x");
	bench_text(PLAIN, "goal", cols[3], "-");
	bench_text(PLAIN, "goal", cols[4], "-");
	bench_text(PLAIN, "goal", cols[5], "<= 0.5x");
	bench_note(PLAIN, "A single-threaded program (%s) linking the shared "
		   "library, gcc -O2, in a fresh process per pass: CHAIN "
		   "create+destroy against ffi_closure_alloc+"
		   "ffi_prep_closure_loc+ffi_closure_free, and long(long) calls "
		   "of a HANDLER (inline frame accessors) against a libffi "
		   "closure, alternating, medians of 5, CPU time of the "
		   "thread.  The bench process itself links the static "
		   "library and has made threads, after which libffi's "
		   "mutexes take their atomic path.", "bench/plain/plain-loop.c");
}

BENCH_SECTION(12, "plain loop through the shared library", plain_section)
