/* SPDX-License-Identifier: MIT */
/*
 * Feature matrix of the JIT mechanisms, probed like the trampoline rows
 * (bench_matrix.c): each probe runs in a fresh process.
 */
#include <execinfo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trampjit.h>
#include "bench.h"
#include "test_arch.h"

enum { JIT_PW, JIT_AL, JITFD, REG_PW, REG_AL, REG_SW, DUAL, NMECH };

static const char *const mech_names[NMECH] = {
	"jit_create_code (pwrite)", "jit_create_code (alias)", "jitfd",
	"region (pwrite)", "region (alias)", "region (swap)",
	"dual-view buffer",
};

static unsigned char ret1[CODE_RET_LEN], ret2[CODE_RET_LEN];

__attribute__((constructor)) static void ret_init(void)
{
	code_ret(ret1, 1);
	code_ret(ret2, 2);
}

static struct jit_region *region;	/* of the region mechanisms */
static void *dual_rw;			/* RW view of the last dual buffer */

/* Executable code with the given bytes, made by mechanism m. */
static void *mk(int m, const void *b, size_t len)
{
	int fd;

	switch (m) {
	case JIT_PW:
	case JIT_AL:
		jit_set_code_mode(m == JIT_AL ? JIT_APPEND_ALIAS :
				  JIT_APPEND_PWRITE);
		return jit_create_code(b, len);
	case JITFD:
		fd = jitfd_create(b, len, JITFD_CLOEXEC);
		return fd < 0 ? NULL : jitfd_map(fd);
	case DUAL: {
		void *rx = jit_dual_alloc(len, &dual_rw);

		if (!rx)
			return NULL;
		memcpy(dual_rw, b, len);
		return jit_dual_commit(rx, len, 0) ? NULL : rx;
	}
	default:
		if (!region)
			region = jit_region_create((size_t)1 << 20,
						   m - REG_PW);
		return region ? jit_region_append(region, b, len) : NULL;
	}
}

/* What a later change in the parent does to code made by m. */
static void mutate(int m, void *code)
{
	switch (m) {
	case JIT_PW:
	case JIT_AL:
		jit_destroy_code(code);
		for (int i = 0; i < 3000; i++)
			jit_destroy_code(mk(m, ret2, sizeof(ret2)));
		break;
	case JITFD:
		jitfd_unmap(code);
		break;
	case DUAL:
		memcpy(dual_rw, ret2, sizeof(ret2));
		jit_dual_commit(code, sizeof(ret2), 0);
		break;
	default:
		for (int i = 0; i < 16; i++)
			mk(m, ret2, sizeof(ret2));
		jit_region_destroy(region);
		break;
	}
}

static int run1(void *code)
{
	return code && ((int (*)(void))code)() == 1 ? 0 : 1;
}

static int probe_mdwe(int m)
{
	if (prctl(65 /* PR_SET_MDWE */, 1, 0L, 0L, 0L))
		return 2;
	return run1(mk(m, ret1, sizeof(ret1)));
}

static int probe_rwx(int m)
{
	int rwx = bench_maps_have_rwx();

	for (int i = 0; i < 64; i++) {
		if (run1(mk(m, ret1, sizeof(ret1))))
			return 2;
		rwx |= bench_maps_have_rwx();
	}
	return rwx ? 0 : 1;
}

/* yes: the child's code keeps working whatever the parent changes */
static int probe_fork(int m)
{
	void *code = mk(m, ret1, sizeof(ret1));
	int p[2], st;
	pid_t pid;
	char c;

	if (!code || pipe(p))
		return 2;
	pid = fork();
	if (pid == 0) {
		if (read(p[0], &c, 1) != 1)
			_exit(2);
		_exit(run1(code));
	}
	mutate(m, code);
	if (write(p[1], "x", 1) != 1 || waitpid(pid, &st, 0) != pid)
		return 2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int use_one(int m)
{
	return run1(mk(m, ret1, sizeof(ret1)));
}


__attribute__((noinline)) static long bt_callee(long x)
{
	return bench_backtrace_reaches(x);
}

__attribute__((noinline)) static int bt_caller(void *code)
{
	long found = ((long (*)(long))code)((long)(uintptr_t)bt_caller);

	__asm__ volatile("" : "+r"(found));
	return found == 1;
}

/* 0: backtrace() passes the JIT frame as it is; 3: only once named with
   jit_name_unwind(); 1: not even then */
static int probe_unwind(int m)
{
	unsigned char c[JIT_CALL_LEN];	/* frame-pointer call of bt_callee */
	void *code;

	code_call(c, (void *)bt_callee);
	backtrace((void *[1]){ 0 }, 1);
	code = mk(m, c, sizeof(c));
	if (!code)
		return 2;
	if (bt_caller(code))
		return 0;
	if (jit_name_unwind(code, sizeof(c), "probe", jit_call_cfi,
			    sizeof(jit_call_cfi)))
		return 2;
	return bt_caller(code) ? 3 : 1;
}

int bench_matrix_jit_probe(const char *probe, int m)
{
	if (m < 0 || m >= NMECH)
		return 2;
	if (!strcmp(probe, "mdwe"))
		return probe_mdwe(m);
	if (!strcmp(probe, "rwx"))
		return probe_rwx(m);
	if (!strcmp(probe, "fork"))
		return probe_fork(m);
	if (!strcmp(probe, "global"))
		return bench_probe_global(use_one, m);
	if (!strcmp(probe, "unwind"))
		return probe_unwind(m);
	return 2;
}

void bench_matrix_jit_rows(void)
{
	for (int m = 0; m < NMECH; m++) {
		char row[64];

		snprintf(row, sizeof(row), "JIT: %s", mech_names[m]);
		bench_matrix_row(row, BENCH_JIT_PROBES + m);
	}
}
