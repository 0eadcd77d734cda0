/* SPDX-License-Identifier: MIT */
/*
 * Feature matrix of the trampoline mechanisms, found by probing, never
 * typed by hand: every probe runs in a forked child so that nothing one
 * probe installs (handlers, seccomp, MDWE) changes the next.
 */
#include <execinfo.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trampjit.h>
#include "bench.h"

#define MATRIX	"feature matrix (probed)"

static const char *const names[] = { "static", "fault", "syscall",
				     "mprotect" };

static long ret_a(void *d, long x) { return 1; }
static long ret_b(void *d, long x) { return 2; }

/* Run a probe in a fresh process (`trampjit-bench --probe NAME B`), so
   that nothing an earlier section installed or mapped is inherited; its
   exit status is the answer (0 yes, 1 no, other: failed).  Where the
   program cannot be run again (no /proc), the forked child runs the
   probe. */
int bench_probe_child(const char *probe, int b)
{
	char cmd[4400], args[96];
	int st, ok;
	pid_t pid;

	snprintf(args, sizeof(args), "--probe %s %d", probe, b);
	ok = !bench_self_cmd(cmd, sizeof(cmd), NULL, args);
	pid = fork();
	if (pid == 0) {
		if (ok)
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(bench_matrix_probe(probe, b));
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct tramp *make(enum tramp_backend b, void *target)
{
	struct tramp_spec spec = { .kind = TRAMP_BIND, .backend = b,
				   .target = target };

	return tramp_create(&spec);
}

/* yes: every kind can be created and called under PR_SET_MDWE */
static int probe_mdwe(enum tramp_backend b)
{
	struct tramp *t;

	if (prctl(65 /* PR_SET_MDWE */, 1, 0L, 0L, 0L))
		return 2;
	t = make(b, (void *)ret_a);
	return t && ((long (*)(long))tramp_code(t))(0) == 1 ? 0 : 1;
}

int bench_maps_have_rwx(void)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512];
	int rwx = 0;

	while (m && fgets(line, sizeof(line), m)) {
		char perms[5] = "";

		sscanf(line, "%*x-%*x %4s", perms);
		rwx |= perms[1] == 'w' && perms[2] == 'x';
	}
	if (m)
		fclose(m);
	return rwx;
}

/* yes (0) when an rwx mapping is seen while trampolines are made,
   retargeted and destroyed */
static int probe_rwx(enum tramp_backend b)
{
	struct tramp *t[64];
	int rwx = 0;

	for (int i = 0; i < 64; i++) {
		t[i] = make(b, (void *)ret_a);
		if (!t[i])
			return 2;
		rwx |= bench_maps_have_rwx();
	}
	for (int i = 0; i < 64; i++) {
		tramp_retarget(t[i], (void *)ret_b, NULL);
		rwx |= bench_maps_have_rwx();
		tramp_destroy(t[i]);
	}
	return rwx ? 0 : 1;
}

/* yes: a retarget in the parent after fork does not reach the child */
static int probe_fork(enum tramp_backend b)
{
	struct tramp *t = make(b, (void *)ret_a);
	long (*fn)(long);
	int p[2], st;
	pid_t pid;
	char c;

	if (!t || pipe(p))
		return 2;
	fn = (long (*)(long))tramp_code(t);
	pid = fork();
	if (pid == 0) {
		if (read(p[0], &c, 1) != 1)
			_exit(2);
		_exit(fn(0) == 1 ? 0 : 1);
	}
	tramp_retarget(t, (void *)ret_b, NULL);
	if (write(p[1], "x", 1) != 1 || waitpid(pid, &st, 0) != pid)
		return 2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

static int seccomp_mode(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int mode = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8))
			mode = atoi(line + 8);
	if (f)
		fclose(f);
	return mode;
}

/* exit code: bit 0 SIGSEGV handler, bit 1 SIGSYS, bit 2 SIGTRAP,
   bit 3 seccomp filter, bit 4 no_new_privs, 64 when use() fails */
int bench_probe_global(int (*use)(int), int arg)
{
	static const int sigs[] = { SIGSEGV, SIGSYS, SIGTRAP };
	struct sigaction before[3], after;
	int seccomp0 = seccomp_mode(), nnp0 = prctl(PR_GET_NO_NEW_PRIVS,
						   0L, 0L, 0L, 0L);
	int r = 0;

	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], NULL, &before[i]);
	if (use(arg))
		return 64;
	for (int i = 0; i < 3; i++) {
		sigaction(sigs[i], NULL, &after);
		if (after.sa_handler != before[i].sa_handler)
			r |= 1 << i;
	}
	if (seccomp_mode() != seccomp0)
		r |= 8;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0L, 0L, 0L, 0L) != nnp0)
		r |= 16;
	return r;
}

/* Is a return address into the caller (which starts at x and is shorter
   than 256 bytes) among the frames backtrace() finds from here? */
__attribute__((noinline)) int bench_backtrace_reaches(long x)
{
	void *frames[32];
	int n = backtrace(frames, 32);

	for (int i = 1; i < n; i++)
		if ((uintptr_t)frames[i] > (uintptr_t)x &&
		    (uintptr_t)frames[i] < (uintptr_t)x + 256)
			return 1;
	return 0;
}

__attribute__((noinline)) static long bt_callee(void *d, long x)
{
	return bench_backtrace_reaches(x);
}

__attribute__((noinline)) static int bt_caller(long (*fn)(long))
{
	long found = fn((long)(uintptr_t)bt_caller);

	__asm__ volatile("" : "+r"(found));	/* not a tail call */
	return found == 1;
}

static int use_one(int b)
{
	return make((enum tramp_backend)b, (void *)ret_a) ? 0 : 1;
}

static int probe_global(enum tramp_backend b)
{
	return bench_probe_global(use_one, (int)b);
}

/* yes: glibc backtrace() in the target sees the caller beyond the
   trampoline */
static int probe_unwind(enum tramp_backend b)
{
	struct tramp *t = make(b, (void *)bt_callee);

	backtrace((void *[1]){ 0 }, 1);	/* load libgcc outside the probe */
	if (!t)
		return 2;
	return bt_caller((long (*)(long))tramp_code(t)) ? 0 : 1;
}

static const char *yesno(int r)
{
	return r == 0 ? "yes" : r == 1 ? "no" : "probe failed";
}

int bench_matrix_probe(const char *probe, int b)
{
	static const struct {
		const char *name;
		int (*fn)(enum tramp_backend);
	} probes[] = {
		{ "mdwe", probe_mdwe }, { "rwx", probe_rwx },
		{ "fork", probe_fork }, { "global", probe_global },
		{ "unwind", probe_unwind },
	};

	if (b >= BENCH_JIT_PROBES)
		return bench_matrix_jit_probe(probe, b - BENCH_JIT_PROBES);
	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		if (!strcmp(probes[i].name, probe) && b >= 0 && b < 4)
			return probes[i].fn((enum tramp_backend)b);
	return 2;
}

static void global_text(int r, char *buf, size_t n)
{
	if (r < 0 || r >= 64) {
		snprintf(buf, n, "probe failed");
		return;
	}
	snprintf(buf, n, "%s%s%s%s%s%s", r ? "" : "nothing",
		 r & 1 ? "SIGSEGV handler " : "", r & 2 ? "SIGSYS handler " : "",
		 r & 4 ? "SIGTRAP handler " : "",
		 r & 8 ? "seccomp filter " : "", r & 16 ? "no_new_privs" : "");
}

/* Probe one mechanism (index for --probe) into row `row` of the matrix. */
void bench_matrix_row(const char *row, int idx)
{
	char text[128];
	int u;

	bench_progress("feature matrix: %s", row);
	bench_text(MATRIX, row, "works under MDWE", "%s",
		   yesno(bench_probe_child("mdwe", idx)));
	bench_text(MATRIX, row, "rwx mapping ever seen", "%s",
		   yesno(bench_probe_child("rwx", idx)));
	bench_text(MATRIX, row, "child unaffected by parent", "%s",
		   yesno(bench_probe_child("fork", idx)));
	global_text(bench_probe_child("global", idx), text,
			  sizeof(text));
	bench_text(MATRIX, row, "installs process-wide", "%s", text);
	u = bench_probe_child("unwind", idx);
	bench_text(MATRIX, row, "backtrace() through it", "%s",
		   u == 3 ? "once named with jit_name_unwind()" :
		   yesno(u));
}

static void matrix_section(void)
{
	for (int b = 0; b < 4; b++) {
		char row[64];

		snprintf(row, sizeof(row), "trampoline: %s", names[b]);
		bench_matrix_row(row, b);
	}
	bench_matrix_jit_rows();
	bench_note(MATRIX, "Every cell is the outcome of a probe run in a "
		   "fresh process during this benchmark: MDWE by setting "
		   "PR_SET_MDWE and creating and calling; rwx by scanning "
		   "/proc/self/maps while creating, retargeting and "
		   "destroying; fork by retargeting in the parent after fork "
		   "and calling in the child; process-wide state by comparing "
		   "signal dispositions, the Seccomp field and no_new_privs "
		   "before and after the first creation; unwinding by glibc "
		   "backtrace() in the target looking for its caller's "
		   "return address (through JIT code: unnamed first, then named "
		   "with jit_name_unwind()).");
}

BENCH_SECTION(60, "feature matrix", matrix_section)
