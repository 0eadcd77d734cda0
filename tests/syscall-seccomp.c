/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_SYSCALL's process-wide side effects, as documented: nothing until
 * the first creation; then no_new_privs and exactly one seccomp filter, on
 * every thread (including one started before), inherited by a fork child;
 * ordinary syscalls unaffected; further creations add nothing.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static long bind_add(void *data, long x) { return (long)(intptr_t)data + x; }

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct tramp *shared;
static _Atomic pid_t early_tid;

/* A thread that exists before the filter, then calls a trampoline. */
static void *early(void *arg)
{
	early_tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&lock);
	while (!shared)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	CHECK(((long (*)(long))tramp_code(shared))(1) == 11);
	return NULL;
}

int main(void)
{
	pid_t self = (pid_t)syscall(SYS_gettid);
	long filters = proc_status(self, "Seccomp_filters");
	struct tramp_spec spec = { .kind = TRAMP_BIND,
				   .backend = TRAMP_SYSCALL,
				   .target = (void *)bind_add,
				   .data = (void *)10 };
	struct tramp *t;
	pthread_t th;
	pid_t pid;
	int st;

	if (filters < 0)
		SKIP("kernel without Seccomp_filters in /proc status");
	CHECK(pthread_create(&th, NULL, early, NULL) == 0);
	while (!early_tid)
		sched_yield();
	t = tramp_create(&spec);
	if (!t) {
		CHECK(errno == ENOSYS || errno == EINVAL || errno == EACCES ||
		      errno == EPERM);
		CHECK(proc_status(self, "Seccomp_filters") == filters);
		SKIP("seccomp filters unavailable: %s", strerror(errno));
	}
	CHECK(proc_status(self, "Seccomp") == 2);
	CHECK(proc_status(self, "NoNewPrivs") == 1);
	CHECK(proc_status(self, "Seccomp_filters") == filters + 1);
	CHECK(proc_status(early_tid, "Seccomp_filters") == filters + 1);
	CHECK(proc_status(early_tid, "NoNewPrivs") == 1);

	pthread_mutex_lock(&lock);
	shared = t;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	CHECK(pthread_join(th, NULL) == 0);

	CHECK(getppid() > 0);		/* other syscalls: allowed */
	CHECK(((long (*)(long))tramp_code(t))(5) == 15);
	struct tramp *u = make(TRAMP_CHAIN, TRAMP_SYSCALL, (void *)bind_add,
			       NULL);
	CHECK(proc_status(self, "Seccomp_filters") == filters + 1);
	tramp_destroy(u);

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pid_t me = (pid_t)syscall(SYS_gettid);

		CHECK(proc_status(me, "Seccomp_filters") == filters + 1);
		CHECK(((long (*)(long))tramp_code(t))(7) == 17);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	tramp_destroy(t);
	fprintf(stderr, "syscall backend: one filter on every thread, "
		"inherited, no_new_privs set\n");
	return 0;
}
