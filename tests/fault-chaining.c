/* SPDX-License-Identifier: MIT */
/*
 * Signals that are not trampoline calls still reach their owner: with a
 * program's own SIGSEGV/SIGSYS handler installed first, it receives its
 * faults (and a kill()) after the fault and syscall backends installed
 * theirs; with the default disposition a real bad access, or a SIGSEGV
 * sent by kill(), still kills the process with SIGSEGV.  Each case runs
 * in a child process.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static long inc(void *data, long x) { return (long)(intptr_t)data + x; }

static sigjmp_buf env;
static volatile sig_atomic_t got_sig;
static void *volatile got_addr;

static void own_handler(int sig, siginfo_t *si, void *uc)
{
	got_sig = sig;
	got_addr = si->si_addr;
	siglongjmp(env, 1);
}

static void install_own(int sig)
{
	struct sigaction sa = { .sa_sigaction = own_handler,
				.sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0);
}

/* A trampoline of backend b works (and installs b's handler); exit 77
   when the backend is unavailable here (no seccomp, say). */
static void use_backend(enum tramp_backend b)
{
	struct tramp_spec spec = { .kind = TRAMP_BIND, .backend = b,
				   .target = (void *)inc, .data = (void *)40 };
	struct tramp *t = tramp_create(&spec);

	if (!t) {
		fprintf(stderr, "%s: %s\n", backend_names[b], strerror(errno));
		_exit(77);
	}
	CHECK(((long (*)(long))tramp_code(t))(2) == 42);
	tramp_destroy(t);
}

static char *bad_page(void)
{
	char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	CHECK(p != MAP_FAILED);
	return p;
}

/* The program's own handler, installed before ours, gets its faults. */
static void child_own(enum tramp_backend b)
{
	char *p = bad_page();

	install_own(SIGSEGV);
	install_own(SIGSYS);
	use_backend(b);
	if (!sigsetjmp(env, 1)) {
		*(volatile char *)(p + 8) = 1;
		_exit(10);
	}
	CHECK(got_sig == SIGSEGV && got_addr == p + 8);
	/* A jump into a PROT_NONE page that is not a trampoline. */
	got_sig = 0;
	if (!sigsetjmp(env, 1)) {
		((void (*)(void))(p + 16))();
		_exit(11);
	}
	CHECK(got_sig == SIGSEGV && got_addr == p + 16);
	got_sig = 0;
	if (!sigsetjmp(env, 1)) {
		kill(getpid(), SIGSYS);
		_exit(12);
	}
	CHECK(got_sig == SIGSYS);
	use_backend(b);		/* still works after all that */
	_exit(0);
}

/* With SIG_DFL a real crash stays a crash. */
static void child_default_fault(enum tramp_backend b)
{
	char *p = bad_page();

	signal(SIGSEGV, SIG_DFL);	/* sanitizers install their own */
	use_backend(b);
	*(volatile char *)(p + 8) = 1;
	_exit(10);
}

static void child_default_kill(enum tramp_backend b)
{
	signal(SIGSEGV, SIG_DFL);
	signal(SIGSYS, SIG_DFL);
	use_backend(b);
	kill(getpid(), b == TRAMP_SYSCALL ? SIGSYS : SIGSEGV);
	_exit(10);
}

static int in_child(void (*fn)(enum tramp_backend), enum tramp_backend b)
{
	int st;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0)
		fn(b);
	CHECK(waitpid(pid, &st, 0) == pid);
	return st;
}

/* Not for_each_backend: its probe would install our handlers in this
   process before the children install theirs. */
static void run(enum tramp_backend b)
{
	const char *only = getenv("TRAMPJIT_TEST_BACKENDS");
	int st;

	if (only && !strstr(only, backend_names[b]))
		return;
	st = in_child(child_own, b);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		fprintf(stderr, "note: backend %s unavailable\n",
			backend_names[b]);
		return;
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = in_child(child_default_fault, b);
	if (b == TRAMP_FAULT && emulator_aborted(st))
		fprintf(stderr, "note: the emulator aborted on the default "
			"SIGSEGV\n");
	else
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	st = in_child(child_default_kill, b);
	if (b == TRAMP_FAULT && emulator_aborted(st))
		fprintf(stderr, "note: the emulator aborted on the default "
			"SIGSEGV\n");
	else
		CHECK(WIFSIGNALED(st) &&
		      WTERMSIG(st) == (b == TRAMP_SYSCALL ? SIGSYS : SIGSEGV));
	fprintf(stderr, "chaining on %s: ok\n", backend_names[b]);
}

int main(void)
{
	run(TRAMP_FAULT);
	run(TRAMP_SYSCALL);
	return 0;
}
