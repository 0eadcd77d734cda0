/* SPDX-License-Identifier: MIT */
/*
 * The trampoline arena grows back: the first trampolines of this process
 * are made under a tight RLIMIT_AS, until creation fails with ENOMEM; once
 * the limit is raised, many more are made (new arenas).  tramp_lookup()
 * finds every one of them, old and new, and answers NULL (EINVAL), without
 * crashing, for addresses that are not trampolines: inside a table but
 * between stubs, in unused arena space, far outside any arena, beyond the
 * user address space.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "harness.h"

#define MAX	(1u << 21)	/* handles the test can hold */
#define MORE	300000u		/* made after the limit is lifted */

static long target(void *data)
{
	return (long)(uintptr_t)data;
}

static struct tramp *create(unsigned i)
{
	struct tramp_spec spec = {
		.kind = TRAMP_BIND, .target = (void *)target,
		.data = (void *)(uintptr_t)i,
	};

	return tramp_create(&spec);
}

static void not_ours(const void *p)
{
	errno = 0;
	CHECK(tramp_lookup(p) == NULL && errno == EINVAL);
}

int main(void)
{
	struct tramp **t = mmap(NULL, MAX * sizeof(*t), PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct rlimit old, tight;
	unsigned n = 0, capped;
	int local;

	if (emulated())		/* qemu-user keeps RLIMIT_AS for itself */
		SKIP("%s does not apply RLIMIT_AS to the program",
		     getenv("TRAMPJIT_TEST_RUNNER"));
	CHECK(t != MAP_FAILED);
	CHECK(!getrlimit(RLIMIT_AS, &old));
	tight = old;
	/* Room for a few MiB of arena and nothing like the usual 16 GiB. */
	tight.rlim_cur = (rlim_t)proc_status(0, "VmSize") * 1024 + (8 << 20);
	if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < tight.rlim_cur)
		SKIP("RLIMIT_AS is already below the test's tight limit");
	CHECK(!setrlimit(RLIMIT_AS, &tight));
	while (n < MAX && (t[n] = create(n)))
		n++;
	CHECK(n < MAX && errno == ENOMEM);
	capped = n;
	CHECK(!setrlimit(RLIMIT_AS, &old));
	fprintf(stderr, "%u trampolines under the tight limit\n", capped);
	CHECK(capped > 0);

	/* The limit is gone: the pool must grow again. */
	for (unsigned i = 0; i < MORE; i++, n++) {
		t[n] = create(n);
		CHECK(t[n]);
	}
	for (unsigned i = 0; i < n; i++) {
		char *code = tramp_code(t[i]);

		CHECK(tramp_lookup(code) == t[i]);
		CHECK(((long (*)(void))code)() == (long)i);
		not_ours(code + 1);
	}
	/* Far past the last table: unused arena space, or no arena. */
	for (uintptr_t d = 1; d < ((uintptr_t)1 << 40); d <<= 3)
		not_ours((char *)tramp_code(t[n - 1]) + d * 4096);
	not_ours(NULL);
	not_ours((void *)1);
	not_ours(&local);
	not_ours(t);
	not_ours((void *)((uintptr_t)1 << 47));
	not_ours((void *)((uintptr_t)1 << 48));
	not_ours((void *)((uintptr_t)1 << 56));
	not_ours((void *)~(uintptr_t)0);
	for (unsigned i = 0; i < n; i++)
		tramp_destroy(t[i]);
	/* Slots are reused: nothing leaked while growing. */
	for (unsigned i = 0; i < n; i++)
		CHECK((t[i] = create(i)));
	for (unsigned i = 0; i < n; i++)
		tramp_destroy(t[i]);
	return 0;
}
