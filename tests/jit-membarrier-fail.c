/* SPDX-License-Identifier: MIT */
/*
 * A failed membarrier never lets freed JIT space be reused: the batch is
 * held (counted in jit_get_stats' membarrier_failures), new code goes to
 * fresh space, and the held space comes back only with a later batch
 * whose membarrier succeeds.  Failures are injected with seccomp in child
 * processes:
 *  - membarrier refused from the start (SECCOMP_RET_ERRNO): nothing freed
 *    is ever reused, and jit_dual_commit(JIT_DUAL_SYNC_CORE) reports it;
 *  - membarrier refused for a while (a user-notification supervisor that
 *    fails SYNC_CORE, then lets it through): the held batch is reused once
 *    a membarrier succeeds.
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define OBJ	8192	/* 256 of them fill one 2 MiB chunk */
#define BATCH	512	/* frees enough for a quarantine batch or more */

static void *code(uint32_t v)
{
	static unsigned char b[OBJ];
	void *c;

	memset(b, 0, sizeof(b));
	code_ret(b, v);
	c = jit_create_code(b, sizeof(b));
	CHECK(c != NULL);
	CHECK(((int (*)(void))c)() == (int)v);
	return c;
}

static struct jit_stats stats(void)
{
	struct jit_stats st;

	CHECK(jit_get_stats(&st) == 0);
	return st;
}

/* Make and free one batch; its addresses go to out[]. */
static void batch(void *out[BATCH])
{
	for (int i = 0; i < BATCH; i++)
		out[i] = code((uint32_t)i);
	for (int i = 0; i < BATCH; i++)
		CHECK(jit_destroy_code(out[i]) == 0);
}

static int in(void *const set[], int n, const void *p)
{
	for (int i = 0; i < n; i++)
		if (set[i] == p)
			return 1;
	return 0;
}

/* n new objects; how many land on the addresses of old[]. */
static int reused(void *const old[BATCH], void *now[], int n)
{
	int hits = 0;

	for (int i = 0; i < n; i++) {
		now[i] = code((uint32_t)i + 1000);
		hits += in(old, BATCH, now[i]);
	}
	return hits;
}

static void filter(struct sock_filter *insns, unsigned short n,
		   unsigned flags, int *listener)
{
	struct sock_fprog prog = { .len = n, .filter = insns };
	long r;

	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) == 0);
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0 && (errno == EINVAL || errno == ENOSYS))
		SKIP("seccomp filters unavailable: %s", strerror(errno));
	CHECK(r >= 0);
	if (listener)
		*listener = (int)r;
}

/* membarrier fails with EPERM from the first call on. */
static void refused(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_membarrier, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static void *old[BATCH], *now[3 * BATCH];
	struct jit_stats a, b;
	void *rw, *rx;

	filter(insns, 4, 0, NULL);
	a = stats();
	batch(old);
	b = stats();
	CHECK(b.membarrier_failures > a.membarrier_failures);
	CHECK(b.quarantine_flushes == a.quarantine_flushes);
	/* Three batches' worth of allocations never touch the first. */
	CHECK(reused(old, now, BATCH) == 0);
	for (int i = 0; i < BATCH; i++)
		CHECK(jit_destroy_code(now[i]) == 0);
	CHECK(stats().membarrier_failures > b.membarrier_failures);
	CHECK(reused(old, now, 3 * BATCH) == 0);
	/* Where a call can say it, it does. */
	rx = jit_dual_alloc(64, &rw);
	CHECK(rx != NULL);
	CHECK(jit_dual_commit(rx, 64, JIT_DUAL_SYNC_CORE) == -1 &&
	      errno == EPERM);
	CHECK(jit_dual_free(rx) == 0);
}

static atomic_int fail_sync;	/* supervisor: refuse SYNC_CORE now */

/* Answer membarrier calls: SYNC_CORE fails with EPERM while fail_sync is
   set, everything else (registration) proceeds. */
static void *supervise(void *arg)
{
	int fd = *(int *)arg;
	struct seccomp_notif_sizes sz;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;

	CHECK(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) == 0);
	req = calloc(1, sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif :
		     sizeof(*req));
	resp = calloc(1, sz.seccomp_notif_resp > sizeof(*resp) ?
		      sz.seccomp_notif_resp : sizeof(*resp));
	CHECK(req && resp);
	for (;;) {
		memset(req, 0, sz.seccomp_notif);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req))
			continue;	/* EINTR, or the caller went away */
		memset(resp, 0, sz.seccomp_notif_resp);
		resp->id = req->id;
		if (req->data.args[0] ==
		    MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE &&
		    atomic_load(&fail_sync))
			resp->error = -EPERM;
		else
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
	}
	return NULL;
}

/* membarrier fails for a while, then works again. */
static void transient(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_membarrier, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static void *old[BATCH], *other[BATCH], *now[2 * BATCH];
	struct jit_stats a, b;
	pthread_t thr;
	int fd;

	filter(insns, 4, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fd);
	CHECK(pthread_create(&thr, NULL, supervise, &fd) == 0);
	atomic_store(&fail_sync, 1);
	a = stats();
	batch(old);
	b = stats();
	CHECK(b.membarrier_failures > a.membarrier_failures);
	CHECK(b.quarantine_flushes == a.quarantine_flushes);
	CHECK(reused(old, now, BATCH) == 0);
	for (int i = 0; i < BATCH; i++)
		CHECK(jit_destroy_code(now[i]) == 0);
	/* A batch whose membarrier works releases the held ones too. */
	atomic_store(&fail_sync, 0);
	a = stats();
	batch(other);
	b = stats();
	CHECK(b.membarrier_failures == a.membarrier_failures);
	CHECK(b.quarantine_flushes > a.quarantine_flushes);
	CHECK(reused(old, now, 2 * BATCH) > 0);
}

static void in_child(void (*fn)(void), const char *what)
{
	int st;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(200);	/* only a hang takes that long */
		fn();
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		exit(77);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "%s: failed\n", what);
		exit(1);
	}
	fprintf(stderr, "%s: ok\n", what);
}

int main(void)
{
	in_child(refused, "membarrier refused");
	in_child(transient, "membarrier refused, then allowed");
	return 0;
}
