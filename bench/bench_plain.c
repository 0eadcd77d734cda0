/* SPDX-License-Identifier: MIT */
/*
 * Trampolines against libffi as a user measures them: trampjit-plain-loop
 * (bench/plain/plain-loop.c), a single-threaded program linking the shared
 * library, and the libffi drop-in against libffi: trampjit-ffi-loop
 * (bench/plain/ffi-loop.c), a program linking libtrampjit-ffi before
 * libffi.  Each runs twice in fresh processes (two passes, so noise
 * shows), each figure beside its goal.
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
#define FFI	"as a user measures: libffi closures through libtrampjit-ffi"

static const char *const cols[] = {
	"tramp_create+destroy", "libffi alloc+prep+free",
	"create: libffi / trampjit", "HANDLER call", "libffi closure call",
	"HANDLER / libffi",
};

/* Run the program prog (next to this one) once; v[i] is the value of its
   line keys[i] (nkeys <= 8).  0 or -1. */
static int plain_run(const char *prog, const char *const *keys, int nkeys,
		     double *v)
{
	char cmd[PATH_MAX + 256], line[256], args[32];
	int got = 0;
	FILE *p;

	snprintf(args, sizeof(args), "%ld", bench_n(2000000));
	if (bench_self_cmd(cmd, sizeof(cmd), prog, args))
		return -1;
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		for (int k = 0; k < nkeys; k++) {
			size_t n = strlen(keys[k]);

			if (!strncmp(line, keys[k], n) && line[n] == ' ' &&
			    sscanf(line + n, "%lf", &v[k]) == 1)
				got |= 1 << k;
		}
	return pclose(p) == 0 && got == (1 << nkeys) - 1 ? 0 : -1;
}

static void plain_section(void)
{
	static const char *const keys[] = {
		"tramp_create+destroy", "ffi_alloc+prep+free",
		"handler_call", "ffi_closure_call",
	};
	static const char prog[] = "trampjit-plain-loop";

	for (int pass = 1; pass <= 2; pass++) {
		char row[16];
		double v[4];

		snprintf(row, sizeof(row), "pass %d", pass);
		if (plain_run(prog, keys, 4, v)) {
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

static const char *const ffi_cols[] = {
	"no thread: drop-in", "no thread: libffi", "no thread: ratio",
	"threaded: drop-in", "threaded: libffi", "threaded: ratio",
};

static void ffi_section(void)
{
	static const char *const keys[] = {
		"dropin_plain", "libffi_plain", "dropin_threaded",
		"libffi_threaded",
	};
	static const char prog[] = "trampjit-ffi-loop";

	for (int pass = 1; pass <= 2; pass++) {
		char row[16];
		double v[4];

		snprintf(row, sizeof(row), "pass %d", pass);
		if (plain_run(prog, keys, 4, v)) {
			bench_note(FFI, "%s: %s did not run (built only with "
				   "libffi and the drop-in)", row, prog);
			continue;
		}
		for (int t = 0; t < 2; t++) {
			bench_result(FFI, row, ffi_cols[3 * t],
				     bench_scalar(v[2 * t]), "ns");
			bench_result(FFI, row, ffi_cols[3 * t + 1],
				     bench_scalar(v[2 * t + 1]), "ns");
			bench_result(FFI, row, ffi_cols[3 * t + 2],
				     bench_scalar(v[2 * t] / v[2 * t + 1]),
				     "x");
		}
	}
	for (int c = 0; c < 6; c++)
		bench_text(FFI, "goal", ffi_cols[c], "%s",
			   c % 3 == 2 ? "<= 1.0x stock libffi" : "-");
	bench_note(FFI, "ffi_closure_alloc + ffi_prep_closure_loc + "
		   "ffi_closure_free of libtrampjit-ffi against the system's "
		   "libffi (%s): a program linking the drop-in before libffi, "
		   "as a user would, gcc -O2, in a fresh process per pass; the "
		   "drop-in through the program's calls, libffi through "
		   "libffi.so.8's own symbols, alternating, medians of 5, CPU "
		   "time of the thread; first before the process made any "
		   "thread, then after one (libffi's mutex pair per closure "
		   "takes its atomic path from then on).",
		   "bench/plain/ffi-loop.c");
}

BENCH_SECTION(13, "libffi drop-in through a user's program", ffi_section)
