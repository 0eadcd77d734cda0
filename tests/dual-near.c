/* SPDX-License-Identifier: MIT */
/* Near dual-view buffers: RW view and data area within the asked distance
   of the RX view, code written through the RW view reaching its data with
   32-bit PC-relative accesses, the dual-view calls on them, bad input, and
   fork: the child's code is its own copy, with a writable view of it only
   when the buffer asked for JIT_DUAL_FORK_PRIVATE. */
#if !defined(__x86_64__)
#include "harness.h"

int main(void)
{
	SKIP("x86_64 RIP-relative machine code; not written for this architecture yet");
}
#else
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

#define GIB2	((size_t)0x7fffffff)

/* At rw (mapped at rx): mov disp32(%rip), %eax; add $k, %eax; ret, the
   load reaching target. */
static void emit_load(unsigned char *rw, const unsigned char *rx,
		      const void *target, unsigned char k)
{
	int32_t disp = (int32_t)((intptr_t)target - (intptr_t)(rx + 6));

	rw[0] = 0x8b;
	rw[1] = 0x05;
	memcpy(rw + 2, &disp, 4);
	rw[6] = 0x83;
	rw[7] = 0xc0;
	rw[8] = k;
	rw[9] = 0xc3;
}

static int mapped(const void *addr)
{
	char line[256];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		CHECK(sscanf(line, "%lx-%lx", &lo, &hi) == 2);
		if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi)
			found = 1;
		CHECK(!strstr(line, "rwx"));
	}
	fclose(f);
	return found;
}

typedef int fn_t(void);

static void basics(void)
{
	void *rw, *data;
	unsigned char *rx = jit_dual_alloc_near(100, &rw, 5000, &data, GIB2,
						0);
	int *counter;

	CHECK(rx && rw && data);
	CHECK((uintptr_t)rx % 4096 == 0);
	/* Every byte of RW view and data within reach of every code byte. */
	CHECK((char *)rw > (char *)rx && (char *)data > (char *)rw);
	CHECK((size_t)((char *)data + 5000 - (char *)rx) <= GIB2);
	CHECK(rx[0] == 0xcc && ((unsigned char *)rw)[99] == 0xcc);
	counter = data;
	for (int i = 0; i < 5000 / 4; i++)
		CHECK(counter[i] == 0);
	counter[1000] = 41;
	emit_load(rw, rx, &counter[1000], 1);
	CHECK(jit_dual_commit(rx, 10, 0) == 0);
	CHECK(((fn_t *)rx)() == 42);
	counter[1000] = 99;
	CHECK(((fn_t *)rx)() == 100);

	/* Patch in place through the RW view, commit through either view. */
	emit_load(rw, rx, &counter[1000], 5);
	CHECK(jit_dual_commit(rw, 10, JIT_DUAL_SYNC_CORE) == 0);
	CHECK(((fn_t *)rx)() == 104);

	CHECK(jit_dual_rw(rx) == rw && jit_dual_rx(rw) == rx);
	CHECK(jit_dual_rw(rx + 50) == (char *)rw + 50);
	CHECK(!jit_dual_rw(rw) && errno == EINVAL);
	CHECK(!jit_dual_rx(rx) && errno == EINVAL);
	CHECK(!jit_dual_rw(data) && errno == EINVAL);
	CHECK(jit_dual_commit(rx, 101, 0) == -1 && errno == EINVAL);
	CHECK(jit_dual_commit(data, 4, 0) == -1 && errno == EINVAL);
	CHECK(jit_dual_commit(rx, 4, 8) == -1 && errno == EINVAL);
	CHECK(jit_dual_free(rx + 1) == -1 && errno == EINVAL);
	CHECK(jit_dual_free(data) == -1 && errno == EINVAL);
	CHECK(mapped(rx) && mapped(rw) && mapped(data));

	CHECK(jit_dual_free(rw) == 0);	/* by either view */
	CHECK(!mapped(rx) && !mapped(rw) && !mapped(data));
	CHECK(jit_dual_free(rx) == -1 && errno == EINVAL);
	CHECK(!jit_dual_rw(rx) && errno == EINVAL);
}

static void bad_input(void)
{
	void *rw, *data;

	CHECK(!jit_dual_alloc_near(64, NULL, 0, NULL, GIB2, 0) &&
	      errno == EINVAL);
	CHECK(!jit_dual_alloc_near(0, &rw, 0, NULL, GIB2, 0) &&
	      errno == EINVAL);
	CHECK(!jit_dual_alloc_near(64, &rw, 64, NULL, GIB2, 0) &&
	      errno == EINVAL);
	CHECK(!jit_dual_alloc_near(64, &rw, 0, NULL, GIB2, 2) &&
	      errno == EINVAL);
	CHECK(!jit_dual_alloc_near((size_t)-1, &rw, 0, NULL, (size_t)-1, 0) &&
	      errno == EINVAL);
	/* Two pages of views plus a page of data: 12 KiB. */
	CHECK(!jit_dual_alloc_near(64, &rw, 64, &data, 12287, 0) &&
	      errno == ERANGE);
	CHECK(!jit_dual_alloc_near(64, &rw, 0, NULL, 0, 0) && errno == ERANGE);
	void *rx = jit_dual_alloc_near(64, &rw, 64, &data, 12288, 0);
	CHECK(rx);
	CHECK(jit_dual_free(rx) == 0);
}

/* fork: the child runs its own copy; its writable view per the flag. */
static void forked(unsigned flags)
{
	void *rw, *data;
	unsigned char *rx = jit_dual_alloc_near(64, &rw, 64, &data, GIB2,
						flags);
	int *v, to_child[2], to_parent[2], status;
	char c;
	pid_t pid;

	CHECK(rx);
	v = data;
	*v = 10;
	emit_load(rw, rx, v, 0);
	CHECK(jit_dual_commit(rx, 10, 0) == 0);
	CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int ok = ((fn_t *)rx)() == 10;

		if (flags & JIT_DUAL_FORK_PRIVATE) {
			ok &= mapped(rw);
			emit_load(rw, rx, v, 7);	/* child's own copy */
			ok &= jit_dual_commit(rx, 10, 0) == 0;
			ok &= ((fn_t *)rx)() == 17;
		} else {
			ok &= !mapped(rw);
		}
		ok &= write(to_parent[1], "c", 1) == 1;
		ok &= read(to_child[0], &c, 1) == 1;	/* parent patched */
		*v = 20;
		ok &= ((fn_t *)rx)() ==
		      (flags & JIT_DUAL_FORK_PRIVATE ? 27 : 20);
		_exit(ok ? 0 : 1);
	}
	CHECK(read(to_parent[0], &c, 1) == 1);
	CHECK(((fn_t *)rx)() == 10);		/* child's patch is not ours */
	emit_load(rw, rx, v, 1);
	CHECK(jit_dual_commit(rx, 10, 0) == 0);
	CHECK(((fn_t *)rx)() == 11);
	CHECK(write(to_child[1], "p", 1) == 1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(*v == 10 && ((fn_t *)rx)() == 11);
	CHECK(jit_dual_free(rx) == 0);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

int main(void)
{
	void *many[20], *rw;

	basics();
	bad_input();
	forked(0);
	forked(JIT_DUAL_FORK_PRIVATE);
	for (int i = 0; i < 20; i++) {
		many[i] = jit_dual_alloc_near(4096 * (i + 1), &rw, 0, NULL,
					      GIB2, i % 2);
		CHECK(many[i]);
	}
	for (int i = 0; i < 20; i++)
		CHECK(jit_dual_free(many[i]) == 0);
	return 0;
}
#endif
