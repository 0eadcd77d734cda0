/* SPDX-License-Identifier: MIT */
/*
 * As documented: a TRAMP_FAULT trampoline called while SIGSEGV is blocked,
 * or a TRAMP_SYSCALL one while SIGSYS is blocked, kills the process with
 * that signal (the kernel does not queue a fault it cannot deliver); it
 * never hangs or runs the target.  Blocked by the thread mask, in a
 * thread started with every signal blocked, and inside a handler of the
 * same signal without SA_NODEFER; also when the program has a handler of
 * its own.  Each case runs in a child process.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static struct tramp *tr;
static volatile int target_ran;

static long add(void *data, long x)
{
	target_ran = 1;
	return (long)(intptr_t)data + x;
}

static void call(void)
{
	((long (*)(long))tramp_code(tr))(2);
}

static void *thread(void *arg)
{
	call();
	return NULL;
}

static void handler(int sig)
{
	call();		/* sig is blocked in here */
}

/* mode 0: thread mask; 1: a thread started with all signals blocked;
   2: in a handler of the same signal; 3: mask, with a handler
   installed before the library's. */
static void child(enum tramp_backend b, int mode)
{
	int sig = b == TRAMP_FAULT ? SIGSEGV : SIGSYS;
	struct tramp_spec spec = { .kind = TRAMP_BIND, .backend = b,
				   .target = (void *)add,
				   .data = (void *)40 };
	sigset_t m;
	pthread_t th;

	alarm(20);		/* a hang fails as SIGALRM */
	signal(sig, mode >= 2 ? handler : SIG_DFL);
	tr = tramp_create(&spec);
	if (!tr)
		_exit(77);
	sigemptyset(&m);
	sigaddset(&m, sig);
	switch (mode) {
	case 0:
	case 3:
		CHECK(pthread_sigmask(SIG_BLOCK, &m, NULL) == 0);
		call();
		break;
	case 1:
		sigfillset(&m);
		CHECK(pthread_sigmask(SIG_BLOCK, &m, NULL) == 0);
		CHECK(pthread_create(&th, NULL, thread, NULL) == 0);
		pthread_join(th, NULL);
		break;
	default:
		raise(sig);
		break;
	}
	_exit(target_ran ? 4 : 3);
}

static void run(enum tramp_backend b)
{
	int sig = b == TRAMP_FAULT ? SIGSEGV : SIGSYS;
	const char *only = getenv("TRAMPJIT_TEST_BACKENDS");

	if (only && !strstr(only, backend_names[b]))
		return;
	for (int mode = 0; mode < 4; mode++) {
		pid_t pid;
		int st;

		fflush(stderr);
		pid = fork();
		CHECK(pid >= 0);
		if (!pid)
			child(b, mode);
		CHECK(waitpid(pid, &st, 0) == pid);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			fprintf(stderr, "note: backend %s unavailable\n",
				backend_names[b]);
			return;
		}
		if (!WIFSIGNALED(st) || WTERMSIG(st) != sig) {
			fprintf(stderr, "%s, mode %d: status %#x\n",
				backend_names[b], mode, st);
			exit(1);
		}
	}
	fprintf(stderr, "%s: a call with %s blocked kills with it\n",
		backend_names[b], b == TRAMP_FAULT ? "SIGSEGV" : "SIGSYS");
}

int main(void)
{
	run(TRAMP_FAULT);
	run(TRAMP_SYSCALL);
	return 0;
}
