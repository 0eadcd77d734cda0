/* SPDX-License-Identifier: MIT */
/*
 * Scale: 1,000,000 live trampolines (a quarter of each kind) fit in fewer
 * than 2,000 VMAs and add under TEST_TRAMP_MIB of RSS (test_arch.h), even
 * after every one has been called (so every code page is resident too).
 * Under an emulator ($TRAMPJIT_TEST_RUNNER set by tests/run.sh) the RSS is
 * the emulator's, with its translations and page tables: only reported.
 */
#include <stdint.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define N	1000000

static long bind_add(void *d, long x) { return (long)(intptr_t)d + x; }
static long chain_ret(long x) { return x; }

static void h_add(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, tramp_arg(f, 0) + (uintptr_t)data);
}

static long vmas(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;

	CHECK(f);
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void create_all(struct tramp **t, int kinds,
		       const struct tramp_context *ctx)
{
	for (long i = 0; i < N; i++) {
		struct tramp_spec spec = {
			.kind = (enum tramp_kind)(i % kinds),
			.target = (i % kinds) == TRAMP_BIND ?
				  (void *)bind_add : (void *)chain_ret,
			.handler = h_add, .data = (void *)i, .context = ctx,
		};

		t[i] = tramp_create(&spec);
		CHECK(t[i]);
	}
}

static void call_all(struct tramp **t, int kinds)
{
	for (long i = 0; i < N; i++) {
		long r = ((long (*)(long))tramp_code(t[i]))(5);

		switch (i % kinds) {
		case TRAMP_CHAIN:
		case TRAMP_CONTEXT:
			CHECK(r == 5);
			break;
		default:
			CHECK(r == i + 5);
		}
	}
}

int main(void)
{
	static struct tramp *t[N];
	struct tramp_context ctx = { .pc = (void *)chain_ret };
	long rss0, rss1, rss2, v;

	memset(t, 0xff, sizeof(t));	/* the test's own array is resident */
	rss0 = proc_status(0, "VmRSS");
	create_all(t, 3, NULL);
	rss1 = proc_status(0, "VmRSS");
	call_all(t, 3);
	rss2 = proc_status(0, "VmRSS");
	v = vmas();
	fprintf(stderr, "1,000,000 live CHAIN/BIND/HANDLER: %ld VMAs, RSS "
		"+%ld KiB after creation (%.1f B each), +%ld KiB after "
		"calling every one (%.1f B each)\n", v, rss1 - rss0,
		(rss1 - rss0) * 1024.0 / N, rss2 - rss0,
		(rss2 - rss0) * 1024.0 / N);
	CHECK(v < 2000);
	if (emulated())
		fprintf(stderr, "note: RSS not checked under %s\n",
			getenv("TRAMPJIT_TEST_RUNNER"));
	else
		CHECK(rss2 - rss0 < TEST_TRAMP_MIB * 1024);
	for (long i = 0; i < N; i++)
		tramp_destroy(t[i]);

	/* With CONTEXT too: each holds a malloc'd copy of its context. */
	create_all(t, 4, &ctx);
	call_all(t, 4);
	v = vmas();
	fprintf(stderr, "1,000,000 live, a quarter CONTEXT: %ld VMAs, RSS "
		"%ld KiB (context copies %zu B each)\n", v,
		proc_status(0, "VmRSS"), sizeof(ctx));
	CHECK(v < 2000);
	for (long i = 0; i < N; i++)
		tramp_destroy(t[i]);
	return 0;
}
