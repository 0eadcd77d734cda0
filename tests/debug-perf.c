/* SPDX-License-Identifier: MIT */
/*
 * perf sees named JIT code: `perf record -k mono -e cpu-clock` of a loop
 * spinning in a JIT function named with jit_name() (jitdump enabled),
 * `perf inject --jit`, then `perf report` shows the name.  The code lives
 * in a memfd mapping, which only jitdump (not the map file) can describe.
 * Calls through a static trampoline in the same run show up as
 * "trampjit trampoline".  Skips (77) where perf is missing or cannot
 * record.  Under an emulator, where perf cannot run this program, the
 * jitdump file is checked instead: header for this program's machine,
 * records naming both.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "debug-code.h"

#define NAME	"trampjit_test_spin"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static long inc(long x)
{
	__asm__ volatile("");
	return x + 1;
}

static int child(void)
{
	unsigned char spin[64];
	size_t spin_len = code_spin(spin);
	long (*fn)(long) = (long (*)(long))code_new(spin, spin_len);
	long (*volatile tr)(long);
	struct tramp *t;
	double t0;

	CHECK(jit_debug_enable(JIT_DEBUG_JITDUMP | JIT_DEBUG_PERFMAP) == 0);
	CHECK(jit_name((void *)fn, spin_len, NAME) == 0);
	t0 = now();
	while (now() - t0 < 0.6)
		CHECK(fn(1000000) == 0);
	t = make(TRAMP_CHAIN, TRAMP_STATIC, (void *)inc, NULL);
	tr = (long (*)(long))tramp_code(t);
	t0 = now();
	while (now() - t0 < 0.4)
		for (long i = 0, x = 0; i < 1000000; i++)
			x = tr(x);
	tramp_destroy(t);
	return 0;
}

/* The child's jitdump file, read back: magic, e_machine of this program,
   both names in its records. */
static void check_dump(const char *dir)
{
	static char buf[1 << 20];
	char path[4200];
	uint32_t hdr[4];
	Elf64_Ehdr eh;
	size_t n;
	pid_t pid = fork();
	int st;
	FILE *f;

	CHECK(pid >= 0);
	if (pid == 0) {
		setenv("JITDUMPDIR", dir, 1);
		_exit(child());
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
	f = fopen("/proc/self/exe", "rb");
	CHECK(f && fread(&eh, sizeof(eh), 1, f) == 1);
	fclose(f);
	snprintf(path, sizeof(path), "%s/jit-%d.dump", dir, (int)pid);
	f = fopen(path, "rb");
	CHECK(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	CHECK(n > sizeof(hdr));
	memcpy(hdr, buf, sizeof(hdr));
	CHECK(hdr[0] == 0x4a695444 && hdr[3] == eh.e_machine);
	CHECK(memmem(buf, n, NAME, strlen(NAME)));
	CHECK(memmem(buf, n, "trampjit trampoline", 19));
	unlink(path);
	fprintf(stderr, "jitdump: %zu bytes, e_machine %u, both names\n", n,
		hdr[3]);
}

static int sh(const char *fmt, const char *dir, const char *self)
{
	char cmd[16384];

	snprintf(cmd, sizeof(cmd), fmt, dir, dir, self, dir, dir, dir);
	return system(cmd);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/trampjit-perf-XXXXXX", cmd[4096], line[4096];
	char self[4096];
	ssize_t n;
	int found = 0, tramp = 0;
	FILE *p;

	if (argc == 2 && !strcmp(argv[1], "child"))
		return child();
	if (emulated()) {
		CHECK(mkdtemp(dir) != NULL);
		check_dump(dir);
		rmdir(dir);
		SKIP("perf cannot run this program under %s; its jitdump "
		     "file checked only", getenv("TRAMPJIT_TEST_RUNNER"));
	}
	if (system("perf --version >/dev/null 2>&1") != 0)
		SKIP("perf not installed");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = 0;
	CHECK(mkdtemp(dir) != NULL);
	if (sh("cd %s && JITDUMPDIR=%s perf record -q -k mono -e cpu-clock "
	       "-o perf.data -- %s child >%s/record.txt 2>&1", dir, self)) {
		snprintf(cmd, sizeof(cmd), "cat %s/record.txt >&2; rm -rf %s",
			 dir, dir);
		(void)system(cmd);
		SKIP("perf record -e cpu-clock cannot record here "
		     "(kernel.perf_event_paranoid or no perf events)");
	}
	CHECK(sh("cd %s && PERF_BUILDID_DIR=%s/.debug perf inject --jit "
		 "-i perf.data -o perf.jit.data >%s/inject.txt 2>&1", dir,
		 dir) == 0);
	snprintf(cmd, sizeof(cmd), "cd %s && PERF_BUILDID_DIR=%s/.debug perf "
		 "report -i perf.jit.data --stdio --sort sym 2>&1", dir, dir);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	while (fgets(line, sizeof(line), p)) {
		if (line[0] == '#')
			continue;
		if (strstr(line, NAME) || strstr(line, "trampjit trampoline"))
			fprintf(stderr, "perf report: %s", line);
		found |= !!strstr(line, NAME);
		tramp |= !!strstr(line, "trampjit trampoline");
	}
	pclose(p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (!found || !tramp) {
		fprintf(stderr, "perf report does not show %s or the "
			"trampoline; kept %s\n", NAME, dir);
		CHECK(found && tramp);
	}
	CHECK(system(cmd) == 0);
	return 0;
}
