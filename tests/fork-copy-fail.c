/* SPDX-License-Identifier: MIT */
/*
 * Neither side of a fork writes the other's code, whatever fails when a
 * chunk shared since the fork must be copied.  The parent holds code in
 * every heap (pwrite, alias, dual-view, and a big object of whole chunks)
 * and in a region of each append mode, and forks:
 *  - with its descriptor table full: the memfd each heap copies into
 *    first was made ahead of time (the spare), so the child's heaps work;
 *    a region copies at its first append, which works only if the child
 *    has a descriptor by then (the heaps' copies may have freed some);
 *  - with the table still full: the spares, closed in the parent after
 *    the fork, made room for the next ones;
 *  - in a process whose heap took the last descriptor, so no spare could
 *    ever be made: the child's heap refuses new code with EMFILE (it
 *    would have to copy), and frees still work;
 *  - with RLIMIT_FSIZE below the heap size, so every copy fails: the
 *    child's heaps and regions refuse new code with EFBIG.
 * Each child frees the inherited code, makes and frees enough new code to
 * release quarantine batches, writes through new dual-view buffers and
 * appends to and destroys the regions; afterwards the parent's chunks and
 * regions hold exactly the bytes they held before.  And with the table
 * full, the parent's store through a dual-view RW pointer after the fork
 * (its copy goes to the memfd made for it in the fork handler) does not
 * reach the child, which still runs what it had.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define CHUNK		((size_t)2 << 20)
#define BIG		((size_t)3 << 20)	/* above the whole-chunk size */
#define NOBJ		300			/* more than a batch */

#define REGION		((size_t)64 << 10)	/* bytes of region compared */

/* The parent's code: where, and a copy of its surroundings before the
   fork. */
struct held {
	void *obj;		/* the object (or the region's first code) */
	int v;			/* what calling it returns */
	char *chunk;		/* the 2 MiB chunk holding it, or obj */
	size_t len;		/* bytes of chunk(s) to compare */
	char *copy;		/* those bytes before the fork */
};

static unsigned char *func(size_t len, uint32_t v)
{
	unsigned char *b = malloc(len);

	CHECK(b && len >= CODE_RET_LEN);
	memset(b, 0, len);
	code_ret(b, v);
	return b;
}

static int call(const void *c)
{
	return ((int (*)(void))c)();
}

static void *code(size_t len, uint32_t v)
{
	unsigned char *b = func(len, v);
	void *c = jit_create_code(b, len);

	free(b);
	return c;
}

static void hold(struct held *h, void *obj, int v, size_t len)
{
	CHECK(obj != NULL);
	h->obj = obj;
	h->v = v;
	h->chunk = len == REGION ? obj :
		   (char *)((uintptr_t)obj & ~(uintptr_t)(CHUNK - 1));
	h->len = len;
	h->copy = malloc(len);
	CHECK(h->copy);
	memcpy(h->copy, h->chunk, len);
}

enum { H_PWRITE, H_ALIAS, H_DUAL, H_BIG, H_REGION, NHELD = H_REGION + 3 };
static struct held held[NHELD];
static struct jit_region *regions[3];	/* one per append mode */

static void parent_code(void)
{
	unsigned char *b = func(CODE_RET_LEN, 6);
	void *rw, *rx;

	CHECK(jit_set_code_mode(JIT_APPEND_PWRITE) >= 0);
	hold(&held[H_PWRITE], code(100, 1), 1, CHUNK);
	hold(&held[H_BIG], code(BIG, 4), 4, 2 * CHUNK);
	CHECK(jit_set_code_mode(JIT_APPEND_ALIAS) >= 0);
	hold(&held[H_ALIAS], code(100, 2), 2, CHUNK);
	rx = jit_dual_alloc(100, &rw);
	CHECK(rx);
	code_ret(rw, 3);
	CHECK(jit_dual_commit(rx, CODE_RET_LEN, 0) == 0);
	hold(&held[H_DUAL], rx, 3, CHUNK);
	for (int m = 0; m < 3; m++) {
		regions[m] = jit_region_create(1 << 20, m);
		CHECK(regions[m]);
		hold(&held[H_REGION + m], jit_region_append(regions[m], b,
						     CODE_RET_LEN),
		     6, REGION);
	}
	free(b);
	for (int i = 0; i < NHELD; i++)
		CHECK(call(held[i].obj) == held[i].v);
}

/* The outcome of an allocation: want 0, it must work; want > 0, it must
   fail with that errno; want < 0, either (a heap the parent never made). */
static int outcome(const void *p, int want, int v)
{
	if (want > 0)
		CHECK(!p && errno == want);
	else if (!want)
		CHECK(p != NULL);
	return p && v >= 0 ? call(p) == v : 1;
}

/* Everything a child can do to the heaps and regions; want[] by heap
   (pwrite, alias, dual) and for the regions, as for outcome(). */
static void child_writes(const int want[4])
{
	static void *objs[NOBJ];
	int modes[] = { JIT_APPEND_PWRITE, JIT_APPEND_ALIAS };
	void *rw, *rx;

	/* The inherited code runs, then is freed (filler, holes). */
	for (int i = 0; i < NHELD; i++) {
		if (!held[i].obj)
			continue;
		CHECK(call(held[i].obj) == held[i].v);
		if (i == H_DUAL)
			CHECK(jit_dual_free(held[i].obj) == 0);
		else if (i < H_REGION)
			CHECK(jit_destroy_code(held[i].obj) == 0);
	}
	for (int m = 0; m < 3 && regions[m]; m++) {
		for (uint32_t i = 0; i < 64; i++) {
			unsigned char *b = func(1000, i);

			errno = 0;
			rx = jit_region_append(regions[m], b, 1000);
			free(b);
			CHECK(outcome(rx, want[3], (int)i));
		}
		jit_region_destroy(regions[m]);
	}
	for (int m = 0; m < 2; m++) {
		CHECK(jit_set_code_mode(modes[m]) >= 0);
		for (int i = 0; i < NOBJ; i++) {
			errno = 0;
			objs[i] = code(8192, (uint32_t)i);
			CHECK(outcome(objs[i], want[m], i));
		}
		for (int i = 0; i < NOBJ; i++)
			CHECK(jit_destroy_code(objs[i]) == 0);
		errno = 0;
		objs[0] = code(BIG, 5);
		CHECK(outcome(objs[0], want[m], 5));
		CHECK(jit_destroy_code(objs[0]) == 0);
	}
	for (int i = 0; i < NOBJ; i++) {
		unsigned char *b;

		errno = 0;
		rx = jit_dual_alloc(8192, &rw);
		CHECK(outcome(rx, want[2], -1));
		if (!rx)
			continue;
		b = func(CODE_RET_LEN, (uint32_t)i);
		memcpy(rw, b, CODE_RET_LEN);
		free(b);
		CHECK(jit_dual_commit(rx, CODE_RET_LEN, JIT_DUAL_SYNC_CORE) ==
		      0);
		CHECK(call(rx) == i);
		CHECK(jit_dual_free(rx) == 0);
	}
}

static void fork_and_check(const int want[4], const char *what)
{
	int st;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(200);	/* only a hang takes that long */
		child_writes(want);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "child (%s) failed\n", what);
		exit(1);
	}
	for (int i = 0; i < NHELD; i++) {
		if (!held[i].obj)
			continue;
		if (memcmp(held[i].chunk, held[i].copy, held[i].len)) {
			fprintf(stderr, "%s: the child wrote the parent's "
				"code (heap %d)\n", what, i);
			exit(1);
		}
		CHECK(call(held[i].obj) == held[i].v);
	}
	fprintf(stderr, "%s: ok\n", what);
}

static int dups[4096], ndups;

/* Fill the descriptor table (a low limit, then dup until EMFILE). */
static void fill_fds(void)
{
	struct rlimit rl;
	int fd;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = (rlim_t)open_fds() + 32;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while (ndups < 4096 && (fd = dup(0)) >= 0)
		dups[ndups++] = fd;
	CHECK(ndups < 4096 && errno == EMFILE);
}

/* A process whose heap was made with the last free descriptor has no
   spare, and none can be made at fork: its children cannot copy, so
   their heaps refuse new code. */
static void no_reserve(void)
{
	int st;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		fill_fds();
		close(dups[--ndups]);
		hold(&held[H_PWRITE], code(100, 1), 1, CHUNK);
		CHECK(dup(0) < 0 && errno == EMFILE);
		fork_and_check((int[]){ EMFILE, -1, -1, -1 },
			       "no descriptor for a spare");
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The parent stores through its dual-view buffer's RW pointer after a
   fork with a full descriptor table; the child keeps running what it
   had.  Then the parent puts its code back. */
static void parent_store(void)
{
	struct held *d = &held[H_DUAL];
	void *rw = jit_dual_rw(d->obj);
	int go[2], st;
	pid_t pid;
	char c;

	CHECK(rw);
	CHECK(pipe(go) == 0);
	fill_fds();
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(100);
		CHECK(read(go[0], &c, 1) == 1);	/* the parent stored */
		_exit(call(d->obj) == d->v &&
		      !memcmp(d->chunk, d->copy, d->len) ? 0 : 1);
	}
	code_ret(rw, 99);
	CHECK(jit_dual_commit(d->obj, CODE_RET_LEN, 0) == 0);
	CHECK(call(d->obj) == 99);
	CHECK(write(go[1], "p", 1) == 1);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	code_ret(rw, (uint32_t)d->v);
	CHECK(jit_dual_commit(d->obj, CODE_RET_LEN, 0) == 0);
	CHECK(call(d->obj) == d->v && !memcmp(d->chunk, d->copy, d->len));
	while (ndups)
		close(dups[--ndups]);
	close(go[0]);
	close(go[1]);
	fprintf(stderr, "parent stores with a full table: ok\n");
}

static const int works[4];
/* A full table: the heaps' spares were made ahead; a region's copy
   needs a descriptor at its first append (either outcome). */
static const int full[4] = { 0, 0, 0, -1 };

int main(void)
{
	struct rlimit fsz, small;

	no_reserve();
	parent_code();
	fork_and_check(works, "nothing failing");
	parent_store();
	fill_fds();
	fork_and_check(full, "descriptor table full, spare made ahead");
	/* The spares' descriptors, closed in the parent after the fork,
	   make room for the next spares. */
	fork_and_check(full, "descriptor table still full");
	while (ndups)
		close(dups[--ndups]);
	/* The parent's heaps still work, and reserve again. */
	CHECK(jit_destroy_code(code(64, 9)) == 0);
	for (int i = 0; i < NHELD; i++)
		memcpy(held[i].copy, held[i].chunk, held[i].len);
	fork_and_check(works, "descriptors back");
	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &fsz) == 0);
	small = fsz;
	small.rlim_cur = 4096;
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	fork_and_check((int[]){ EFBIG, EFBIG, EFBIG, EFBIG },
		       "file size limit below the heap");
	CHECK(setrlimit(RLIMIT_FSIZE, &fsz) == 0);
	fork_and_check(works, "file size limit lifted");
	return 0;
}
