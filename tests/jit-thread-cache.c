/* SPDX-License-Identifier: MIT */
/*
 * The per-thread caches of the alias and dual-view heaps: objects handed
 * out without the lock from space reserved for a thread, frees collected
 * per thread.
 *  - objects made on one thread and freed on another run and free
 *    cleanly, and a double free is refused wherever it comes from (two
 *    threads freeing one object at once: exactly one wins);
 *  - a thread that exits gives its reserved space and its frees back:
 *    the frees it still held are refilled at the next release, and with
 *    the heap file unable to grow (RLIMIT_FSIZE), forty threads in a row
 *    that each reserve and free hundreds of objects never exhaust it;
 *  - exhaustion: when the heap is full, an allocation fails (EFBIG here)
 *    while another thread still holds reserved space, and succeeds once
 *    that thread has exited;
 *  - fork while the forking thread's cache holds reserved objects and
 *    frees, and another thread's too: the child's new objects are writable
 *    and run, its frees work, and the parent's code still runs there.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jit-objects.h"

/* ---- frees on other threads -------------------------------------------- */

#define PASS	512

static void *objs[PASS];
static int alias_mode;

static void *free_all(void *arg)
{
	(void)arg;
	for (int i = 0; i < PASS; i++) {
		CHECK(call(objs[i]) == i);
		CHECK(!(alias_mode ? jit_destroy_code(objs[i]) :
			jit_dual_free(objs[i])));
		errno = 0;
		CHECK((alias_mode ? jit_destroy_code(objs[i]) :
		       jit_dual_free(objs[i])) == -1 && errno == EINVAL);
	}
	return NULL;
}

static void *race_target;
static atomic_int race_go, race_wins;

static void *race_free(void *arg)
{
	(void)arg;
	while (!atomic_load(&race_go))
		;
	if (!jit_dual_free(race_target))
		atomic_fetch_add(&race_wins, 1);
	return NULL;
}

static void other_thread_frees(void)
{
	pthread_t t[2];

	for (alias_mode = 0; alias_mode < 2; alias_mode++) {
		CHECK(jit_set_code_mode(JIT_APPEND_ALIAS) >= 0);
		for (int round = 0; round < 4; round++) {
			for (int i = 0; i < PASS; i++) {
				size_t len = 64 * (1 + (size_t)(i % 16));

				objs[i] = alias_mode ? alias(len, (uint32_t)i) :
					  dual(len, (uint32_t)i);
				CHECK(objs[i]);
			}
			CHECK(!pthread_create(&t[0], NULL, free_all, NULL));
			CHECK(!pthread_join(t[0], NULL));
			/* Freed elsewhere: refused here too. */
			errno = 0;
			CHECK((alias_mode ? jit_destroy_code(objs[0]) :
			       jit_dual_free(objs[0])) == -1 &&
			      errno == EINVAL);
		}
		CHECK(jit_set_code_mode(JIT_APPEND_PWRITE) >= 0);
	}
	for (int round = 0; round < 200; round++) {
		race_target = dual(64, 1);
		atomic_store(&race_go, 0);
		atomic_store(&race_wins, 0);
		for (int i = 0; i < 2; i++)
			CHECK(!pthread_create(&t[i], NULL, race_free, NULL));
		atomic_store(&race_go, 1);
		for (int i = 0; i < 2; i++)
			CHECK(!pthread_join(t[i], NULL));
		CHECK(atomic_load(&race_wins) == 1);
	}
}

/* ---- thread exit, exhaustion --------------------------------------------- */

/* Size of the dual-view heap's file (the larger of it and the empty
   memfd kept for the next fork snapshot). */
static long long dual_file_size(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long long size = -1;

	CHECK(d);
	while ((e = readdir(d))) {
		char path[300], link[300];
		ssize_t n;
		struct stat st;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strstr(link, "memfd:trampjit-dual ") &&
		    !stat(path, &st) && st.st_size > size)
			size = st.st_size;
	}
	closedir(d);
	return size;
}

static void set_fsize(rlim_t cur)
{
	struct rlimit rl;

	CHECK(!getrlimit(RLIMIT_FSIZE, &rl));
	rl.rlim_cur = cur;
	CHECK(!setrlimit(RLIMIT_FSIZE, &rl));
}

/* Reserve and free objects of every cached size, then exit. */
static void *churn_and_exit(void *arg)
{
	static void *mine[16 * 20];
	int n = 0;

	(void)arg;
	for (int k = 1; k <= 16; k++)
		for (int i = 0; i < 20; i++) {
			mine[n] = dual(64 * (size_t)k, (uint32_t)n);
			CHECK(mine[n]);
			n++;
		}
	for (int i = 0; i < n; i++) {
		CHECK(call(mine[i]) == i);
		CHECK(!jit_dual_free(mine[i]));
	}
	return NULL;
}

static void *pending[20];

/* Free fewer objects than a thread collects before the quarantine. */
static void *free_few_and_exit(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++)
		CHECK((pending[i] = dual(256, (uint32_t)i)));
	for (int i = 0; i < 20; i++)
		CHECK(!jit_dual_free(pending[i]));
	return NULL;
}

/* Frees a thread still held at exit reach the quarantine: the next
   release refills them. */
static void exit_frees(void)
{
	static void *pad[1100];
	unsigned long f0;
	pthread_t t;
	int i;

	for (i = 0; i < 1100; i++)
		CHECK((pad[i] = dual(64, (uint32_t)i)));
	CHECK(!pthread_create(&t, NULL, free_few_and_exit, NULL));
	CHECK(!pthread_join(t, NULL));
	f0 = flushes();
	for (i = 0; i < 1100 && flushes() == f0; i++)
		CHECK(!jit_dual_free(pad[i]));
	CHECK(flushes() > f0);
	for (int k = 0; k < 20; k++)
		for (size_t b = 0; b < 256; b += 4)
			CHECK(test_is_fill((char *)pending[k] + b));
	for (; i < 1100; i++)
		CHECK(!jit_dual_free(pad[i]));
}

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static int hold_state;	/* 1: holding its reservation; 2: may exit */

static void hold_set(int state)
{
	pthread_mutex_lock(&hold_lock);
	hold_state = state;
	pthread_cond_broadcast(&hold_cond);
	pthread_mutex_unlock(&hold_lock);
}

static void hold_wait(int state)
{
	pthread_mutex_lock(&hold_lock);
	while (hold_state != state)
		pthread_cond_wait(&hold_cond, &hold_lock);
	pthread_mutex_unlock(&hold_lock);
}

/* Make and free one buffer of arg bytes (which reserves more of its size
   for this thread), then wait until told to exit. */
static void *reserve_and_hold(void *arg)
{
	void *p = dual((size_t)(uintptr_t)arg, 5);

	CHECK(p && call(p) == 5);
	CHECK(!jit_dual_free(p));
	hold_set(1);
	hold_wait(2);
	return NULL;
}

static void exit_and_exhaustion(void)
{
	static void *full[16384];
	long long size;
	pthread_t t;
	int n = 0;

	CHECK(!jit_dual_free(dual(64, 1)));
	size = dual_file_size();
	CHECK(size > 0);
	set_fsize((rlim_t)size);	/* the heap cannot grow from now on */
	for (int i = 0; i < 40; i++) {
		CHECK(!pthread_create(&t, NULL, churn_and_exit, NULL));
		CHECK(!pthread_join(t, NULL));
	}
	CHECK(dual_file_size() == size);

	/* Full while another thread holds reserved space. */
	CHECK(!pthread_create(&t, NULL, reserve_and_hold,
			      (void *)(uintptr_t)1024));
	hold_wait(1);
	for (;;) {
		void *p;

		CHECK(n < 16384);
		errno = 0;
		p = dual(1024, (uint32_t)n);
		if (!p)
			break;
		full[n++] = p;
	}
	CHECK(errno == EFBIG && n > 100);
	hold_set(2);
	CHECK(!pthread_join(t, NULL));
	/* Its reservation came back. */
	full[n] = dual(1024, 7);
	CHECK(full[n] && call(full[n]) == 7);
	n++;
	for (int i = 0; i < n; i++)
		CHECK(!jit_dual_free(full[i]));
	set_fsize(RLIM_INFINITY);
}

/* ---- fork --------------------------------------------------------------- */

static void fork_with_caches(void)
{
	void *live[8], *code = alias(64, 77);
	pthread_t t;
	pid_t pid;
	int st;

	hold_state = 0;
	CHECK(!pthread_create(&t, NULL, reserve_and_hold,
			      (void *)(uintptr_t)128));
	hold_wait(1);
	CHECK(jit_set_code_mode(JIT_APPEND_ALIAS) >= 0);
	for (int i = 0; i < 8; i++) {
		live[i] = i % 2 ? alias(64, (uint32_t)i) : dual(64, (uint32_t)i);
		CHECK(live[i]);
	}
	/* Frees waiting on this thread, reserved objects behind them. */
	CHECK(!jit_dual_free(live[0]));
	CHECK(!jit_destroy_code(live[1]));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		for (int i = 0; i < 2000; i++) {
			void *d = dual(64 * (1 + (size_t)(i % 16)),
				       (uint32_t)i);
			void *a = alias(64 * (1 + (size_t)(i % 16)),
					(uint32_t)i);

			if (!d || !a || call(d) != i || call(a) != i ||
			    jit_dual_free(d) || jit_destroy_code(a))
				_exit(2);
		}
		for (int i = 2; i < 8; i++)
			if (call(live[i]) != i)
				_exit(3);
		if (call(code) != 77 || jit_dual_free(live[0]) != -1)
			_exit(4);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 2; i < 8; i++) {
		CHECK(call(live[i]) == i);
		CHECK(!(i % 2 ? jit_destroy_code(live[i]) :
			jit_dual_free(live[i])));
	}
	CHECK(!jit_destroy_code(code));
	CHECK(jit_set_code_mode(JIT_APPEND_PWRITE) >= 0);
	hold_set(2);
	CHECK(!pthread_join(t, NULL));
}

int main(void)
{
	other_thread_frees();
	exit_frees();
	fork_with_caches();
	if (emulated())
		SKIP("%s reads files of its own under the lowered "
		     "RLIMIT_FSIZE", getenv("TRAMPJIT_TEST_RUNNER"));
	hold_state = 0;
	exit_and_exhaustion();
	return 0;
}
