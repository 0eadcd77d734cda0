/* SPDX-License-Identifier: MIT */
/*
 * The headline: the few figures that answer the reference message's
 * questions, computed from this run's tables, printed last and written to
 * DIR/headline.md, which `make readme` splices into README.md.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define HEAD	"headline"

static const char *const TC = "trampoline call latency";
static const char *const BC = "backends: call latency (ns/call)";
static const char *const TCR = "trampoline create+destroy";
static const char *const SC = "static trampolines against live count";
static const char *const JC = "jit: create+destroy";
static const char *const PL = "as a user measures: plain loop through "
			      "libtrampjit.so";
static const char *const FL = "as a user measures: libffi closures through "
			      "libtrampjit-ffi";

/* "12.3 ns" or "n/a" */
static const char *fmt(char *buf, double v, const char *unit)
{
	if (v <= 0)
		return "n/a";
	snprintf(buf, 32, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" :
		 "%.2f %s", v, unit);
	return buf;
}

static double ratio(double a, double b)
{
	return a > 0 && b > 0 ? a / b : -1;
}

static void row(const char *name, double v, const char *unit,
		const char *compare)
{
	char b[32];

	bench_text(HEAD, name, "figure", "%s", fmt(b, v, unit));
	bench_text(HEAD, name, "meaning", "%s", compare);
}

static void headline_section(void)
{
	double ind = bench_get(TC, "indirect call", "ns/call");
	double chain = bench_get(TC, "static CHAIN", "ns/call");
	double bind = bench_get(TC, "static BIND", "ns/call");
	double hand = bench_get(TC, "static HANDLER", "ns/call");
	double ffi = bench_get(TC, "libffi closure (peer)", "ns/call");
	double fchain = bench_get(BC, "fault", "CHAIN");
	double schain = bench_get(BC, "syscall", "CHAIN");
	double raise = bench_get(BC, "floor: raise() + empty handler + "
				 "sigreturn", "ns/call");
	double create = bench_get(TCR, "100000 live", "trampjit 1 thread");
	double fcreate = bench_get(TCR, "100000 live", "libffi 1 thread");
	double mem = bench_get(SC, "1000000 live", "RSS per trampoline");
	char text[256];

	snprintf(text, sizeof(text), "%.2fx an indirect call",
		 ratio(chain, ind));
	row("static CHAIN call", chain, "ns", text);
	snprintf(text, sizeof(text), "%.2fx an indirect call",
		 ratio(bind, ind));
	row("static BIND call", bind, "ns", text);
	snprintf(text, sizeof(text), "%.2fx a libffi closure call (%.1f ns)",
		 ratio(hand, ffi), ffi);
	row("static HANDLER call (generic handler)", hand, "ns", text);
	for (int pass = 1; pass <= 2; pass++) {
		char r[16], name[96];

		snprintf(r, sizeof(r), "pass %d", pass);
		snprintf(name, sizeof(name), "HANDLER call, user's plain loop "
			 "through the shared library, %s", r);
		snprintf(text, sizeof(text), "%.2fx a libffi closure call "
			 "(goal <= 0.5x)", bench_get(PL, r, "HANDLER / libffi"));
		row(name, bench_get(PL, r, "HANDLER call"), "ns", text);
		snprintf(name, sizeof(name), "CHAIN create+destroy, user's "
			 "plain loop through the shared library, %s", r);
		snprintf(text, sizeof(text), "%.1fx faster than libffi's "
			 "alloc+prep+free (goal >= 3x)",
			 bench_get(PL, r, "create: libffi / trampjit"));
		row(name, bench_get(PL, r, "tramp_create+destroy"), "ns",
		    text);
		snprintf(name, sizeof(name), "libtrampjit-ffi alloc+prep+free, "
			 "user's program, %s", r);
		snprintf(text, sizeof(text), "%.2fx stock libffi; %.2fx once "
			 "the process has made a thread (goal <= 1.0x stock "
			 "libffi)", bench_get(FL, r, "no thread: ratio"),
			 bench_get(FL, r, "threaded: ratio"));
		row(name, bench_get(FL, r, "no thread: drop-in"), "ns", text);
	}
	snprintf(text, sizeof(text), "the user-space trampoline is %.0fx "
		 "faster; %.2fx the raw signal round trip", ratio(fchain, chain),
		 ratio(fchain, raise));
	row("fault (trampfd emulated) CHAIN call", fchain, "ns", text);
	snprintf(text, sizeof(text), "%.2fx the raw signal round trip",
		 ratio(schain, raise));
	row("syscall (seccomp SIGSYS) CHAIN call", schain, "ns", text);
	/* create and fcreate are in Mops/s */
	snprintf(text, sizeof(text), "%.1fx the throughput of libffi's "
		 "alloc+prep+free in the bench process (static link, made "
		 "threads: see the plain loop rows)", ratio(create, fcreate));
	row("static create+destroy, 100,000 live", create > 0 ?
	    1000 / create : -1, "ns", text);
	row("memory per static trampoline, 1,000,000 live", mem, "B",
	    "every code page resident (16 B code + 16 B slot)");

	double pw = bench_get(JC, "jit_create_code, pwrite (no writable view)",
			      "64 B");
	double al = bench_get(JC, "jit_create_code, alias (RW view)", "64 B");
	double mp = bench_get(JC, "baseline: mmap+memcpy+mprotect RX+munmap",
			      "64 B");
	double aj = bench_get(JC, "peer: asmjit JitAllocator (dual mapping)",
			      "64 B");

	snprintf(text, sizeof(text), "%.1fx faster than mmap+mprotect per "
		 "object (%.0f ns); no writable mapping of code ever",
		 ratio(mp, pw), mp);
	row("jit_create_code 64 B, pwrite path", pw, "ns", text);
	snprintf(text, sizeof(text), "%.1fx faster than the pwrite path; "
		 "asmjit's dual-mapped JitAllocator: %.0f ns", ratio(pw, al),
		 aj);
	row("jit_create_code 64 B, alias path (RW view)", al, "ns", text);
	if (bench_opts.report) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/headline.md", bench_opts.report);
		f = fopen(path, "w");
		if (f) {
			/* What README.md shows: this table, then the
			   mechanism tables it summarises. */
			bench_write_table(f, HEAD);
			bench_write_table(f, BC);
			bench_write_table(f, "backends: create+destroy (ns/op)");
			bench_write_table(f, "feature matrix (probed)");
			fclose(f);
		}
	}
}

BENCH_SECTION(90, "headline", headline_section)
