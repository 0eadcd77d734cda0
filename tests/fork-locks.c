/* SPDX-License-Identifier: MIT */
/*
 * fork from a threaded program: while other threads create and destroy
 * trampolines (every usable backend and kind), JIT code (both write
 * paths), dual-view buffers, named code (every publisher on), regions
 * with appends (every mode) and sealed code files, the main thread forks
 * again and again.  Neither the fork nor the child may hang (the library
 * takes all its locks around fork in one order), and every child can use
 * every API.  A hang fails the test through its timeouts.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define FORKS		40
#define HANG_SECONDS	100	/* no fork or child takes that long unless
				   hung, even under sanitizers and load */

static atomic_int stop;
static char dir[] = "/tmp/trampjit-forklocks-XXXXXX";

/* "return v" (test_arch.h) */
static void code_bytes(unsigned char b[CODE_RET_LEN], uint32_t v)
{
	code_ret(b, v);
}

static int call(const void *c)
{
	return ((int (*)(void))c)();
}

static long ret_x(long x)
{
	return x + 1;
}

static void h_ret(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, tramp_arg(f, 0) + (uintptr_t)data);
}

static void ctx_target(void)
{
}

/* One trampoline of kind k on backend b: made, called, destroyed. */
static void one_tramp(enum tramp_backend b, enum tramp_kind k, int named)
{
	struct tramp_context ctx = { .pc = (void *)ctx_target };
	struct tramp_spec spec = { .kind = k, .backend = b,
				   .target = (void *)ret_x,
				   .handler = h_ret, .data = (void *)1,
				   .context = &ctx };
	struct tramp *t = tramp_create(&spec);
	void *code;

	CHECK(t != NULL);
	code = tramp_code(t);
	switch (k) {
	case TRAMP_CHAIN:
		CHECK(((long (*)(long))code)(1) == 2);
		break;
	case TRAMP_BIND:
		CHECK(((long (*)(long))code)(5) == 2);
		break;
	case TRAMP_HANDLER:
		CHECK(((long (*)(long))code)(1) == 2);
		break;
	case TRAMP_CONTEXT:
		((void (*)(void))code)();
		break;
	}
	if (named)
		CHECK(tramp_name(t, "fork_locks_tramp") == 0);
	tramp_destroy(t);
}

static int usable[4];

static void use_tramps(int named)
{
	for (int b = 0; b < 4; b++)
		for (int k = 0; usable[b] && k < 4; k++)
			one_tramp((enum tramp_backend)b, (enum tramp_kind)k,
				  named);
}

static void use_jit(uint32_t v, int named)
{
	unsigned char b[CODE_RET_LEN];
	void *c;

	code_bytes(b, v);
	c = jit_create_code(b, sizeof(b));
	CHECK(c != NULL);
	CHECK(call(c) == (int)v);
	if (named) {
		CHECK(jit_name(c, sizeof(b), "fork_locks_jit") == 0);
		CHECK(jit_unname(c) == 0);
		CHECK(jit_name(c, sizeof(b), "fork_locks_jit") == 0);
	}
	CHECK(jit_destroy_code(c) == 0);
}

static void use_dual(uint32_t v)
{
	void *rw, *rx = jit_dual_alloc(64, &rw);

	CHECK(rx != NULL);
	code_bytes(rw, v);
	CHECK(jit_dual_commit(rw, CODE_RET_LEN, 0) == 0);
	CHECK(call(rx) == (int)v);
	code_bytes(rw, v + 1);
	CHECK(jit_dual_commit(rx, CODE_RET_LEN, JIT_DUAL_SYNC_CORE) == 0);
	CHECK(call(rx) == (int)v + 1);
	CHECK(jit_dual_free(rx) == 0);
}

static void use_region(int mode, uint32_t v)
{
	struct jit_region *r = jit_region_create(1 << 20, mode);
	unsigned char b[CODE_RET_LEN];

	CHECK(r != NULL);
	for (int i = 0; i < 4; i++) {
		void *c;

		code_bytes(b, v + (uint32_t)i);
		c = jit_region_append(r, b, sizeof(b));
		CHECK(c != NULL);
		CHECK(call(c) == (int)(v + (uint32_t)i));
	}
	jit_region_destroy(r);
}

static void use_jitfd(uint32_t v)
{
	unsigned char b[CODE_RET_LEN];
	int fd;
	void *c;

	code_bytes(b, v);
	fd = jitfd_create(b, sizeof(b), JITFD_CLOEXEC);
	CHECK(fd >= 0);
	c = jitfd_map(fd);
	CHECK(c != NULL);
	CHECK(call(c) == (int)v);
	CHECK(jitfd_unmap(c) == 0);
	close(fd);
}

/* ---- the threads that keep every lock busy --------------------------- */

static void *tramp_thread(void *arg)
{
	while (!atomic_load(&stop))
		use_tramps(0);
	return arg;
}

static void *name_thread(void *arg)
{
	while (!atomic_load(&stop))
		use_tramps(1);
	return arg;
}

static void *jit_thread(void *arg)
{
	for (uint32_t i = 0; !atomic_load(&stop); i++) {
		jit_set_code_mode(i & 1 ? JIT_APPEND_ALIAS :
				  JIT_APPEND_PWRITE);
		use_jit(i, i & 2);
	}
	return arg;
}

static void *dual_thread(void *arg)
{
	for (uint32_t i = 0; !atomic_load(&stop); i++)
		use_dual(i);
	return arg;
}

static void *region_thread(void *arg)
{
	for (uint32_t i = 0; !atomic_load(&stop); i++) {
		use_region((int)(i % 3), i);
		use_jitfd(i);
	}
	return arg;
}

/* ---- the forks -------------------------------------------------------- */

/* The child: every API works (no lock inherited held, no state torn). */
static void child(void)
{
	alarm(HANG_SECONDS);
	use_tramps(1);
	use_jit(7, 1);
	jit_set_code_mode(JIT_APPEND_ALIAS);
	use_jit(8, 1);
	use_dual(9);
	for (int m = 0; m < 3; m++)
		use_region(m, 10);
	use_jitfd(11);
	CHECK(jit_debug_flags() == JIT_DEBUG_ALL);
	_exit(0);
}

/* Wait for pid; a child that is still running after HANG_SECONDS is
   hung (its own alarm normally ends it first). */
static void reap(pid_t pid)
{
	struct timespec t0, now;
	int st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		CHECK(r >= 0);
		if (r == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > HANG_SECONDS + 5) {
			kill(pid, SIGKILL);
			fprintf(stderr, "fork child %d hung\n", (int)pid);
			exit(1);
		}
		usleep(1000);
	}
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		fprintf(stderr, "fork child hung (deadlock)\n");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void on_alarm(int sig)
{
	static const char msg[] = "fork (or the parent) hung: deadlock\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static pid_t self;

/* Remove our jitdump directory and perf map, also when a check failed
   (children leave theirs to the parent, which removes each one). */
static void cleanup(void)
{
	char cmd[128];

	if (getpid() != self)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s /tmp/perf-%d.map", dir,
		 (int)self);
	if (system(cmd))
		fprintf(stderr, "cleanup failed: %s\n", cmd);
}

int main(void)
{
	void *(*fns[])(void *) = {
		tramp_thread, name_thread, jit_thread, dual_thread,
		region_thread,
	};
	pthread_t thr[sizeof(fns) / sizeof(fns[0])];
	char map[64];

	CHECK(mkdtemp(dir) != NULL);
	self = getpid();
	atexit(cleanup);
	setenv("JITDUMPDIR", dir, 1);
	for (int b = 0; b < 4; b++)
		usable[b] = backend_usable((enum tramp_backend)b);
	if (jit_debug_enable(JIT_DEBUG_ALL))
		SKIP("publishers unavailable: %s", strerror(errno));
	signal(SIGALRM, on_alarm);
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		CHECK(pthread_create(&thr[i], NULL, fns[i], NULL) == 0);
	for (int i = 0; i < FORKS; i++) {
		pid_t pid;

		usleep(2000);
		alarm(HANG_SECONDS);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			child();
		reap(pid);
		snprintf(map, sizeof(map), "/tmp/perf-%d.map", (int)pid);
		unlink(map);
	}
	atomic_store(&stop, 1);
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		CHECK(pthread_join(thr[i], NULL) == 0);
	alarm(0);
	return 0;
}
