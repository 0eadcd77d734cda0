/* SPDX-License-Identifier: MIT */
/*
 * W^X: while trampolines of every kind and backend exist (and after
 * retargets, destroys and a fork), no mapping of the process is ever
 * writable and executable, and the code halves are read+execute.
 */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static long f(long x) { return x; }
static void h(struct tramp_frame *fr, void *d) { tramp_set_return(fr, 1); }

/* Fails the test on any rwx mapping; returns how many r-x mappings
   contain addr (1 expected for trampoline code of mapped backends). */
static int scan_maps(const void *addr)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512];
	int hits = 0;

	CHECK(m);
	while (fgets(line, sizeof(line), m)) {
		uintptr_t lo, hi;
		char perms[5];

		CHECK(sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3);
		if (perms[1] == 'w' && perms[2] == 'x') {
			fprintf(stderr, "writable+executable: %s", line);
			exit(1);
		}
		if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi &&
		    perms[2] == 'x' && perms[1] != 'w')
			hits++;
	}
	fclose(m);
	return hits;
}

static void run(enum tramp_backend b)
{
	struct tramp_context ctx = { .pc = (void *)f };
	struct tramp *t[4][100];
	int st;

	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 100; i++) {
			struct tramp_spec spec = {
				.kind = (enum tramp_kind)k, .backend = b,
				.target = (void *)f, .handler = h,
				.context = &ctx,
			};

			t[k][i] = tramp_create(&spec);
			CHECK(t[k][i]);
		}
	for (int k = 0; k < 4; k++) {
		int hits = scan_maps(tramp_code(t[k][0]));

		/* The fault backend's code lies in a PROT_NONE page. */
		CHECK(b == TRAMP_FAULT ? hits == 0 : hits == 1);
	}
	for (int i = 0; i < 100; i += 2)
		CHECK(tramp_retarget(t[0][i], (void *)f, (void *)1) == 0);
	scan_maps(NULL);
	if (fork() == 0) {
		scan_maps(NULL);
		_exit(((long (*)(long))tramp_code(t[0][3]))(4) == 4 ? 0 : 1);
	}
	CHECK(wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 100; i++)
			tramp_destroy(t[k][i]);
	scan_maps(NULL);
	fprintf(stderr, "w^x on %s: ok\n", backend_names[b]);
}

int main(void)
{
	scan_maps(NULL);
	for_each_backend(run);
	return 0;
}
