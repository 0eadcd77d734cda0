/* SPDX-License-Identifier: MIT */
/*
 * A program that installs its own SIGSEGV or SIGSYS handler after the
 * fault or syscall backend owns the signal from then on, as documented:
 * if its handler passes what it does not recognise to the action that
 * sigaction() returned (the library's), trampolines keep working; if it
 * does not, a trampoline call arrives in its handler (SIGSEGV with
 * si_addr the trampoline, or SIGSYS with the reserved system call), and
 * once it puts the library's action back, trampolines work again.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static struct sigaction library;	/* returned by sigaction() */
static int chain;			/* the program chains to it */
static sigjmp_buf env;
static volatile int mine;		/* signals the program kept */
static void *volatile where;

static long add(void *data, long x) { return (long)(intptr_t)data + x; }

static void program(int sig, siginfo_t *si, void *uc)
{
	if (si->si_code == SI_USER) {	/* its own kill() */
		mine++;
		return;
	}
	if (chain) {
		library.sa_sigaction(sig, si, uc);
		return;
	}
	mine++;
	where = sig == SIGSEGV ? si->si_addr : (void *)si->si_call_addr;
	siglongjmp(env, 1);
}

static void child(enum tramp_backend b)
{
	int sig = b == TRAMP_FAULT ? SIGSEGV : SIGSYS;
	struct tramp_spec spec = { .kind = TRAMP_BIND, .backend = b,
				   .target = (void *)add,
				   .data = (void *)40 };
	struct sigaction sa = { .sa_sigaction = program,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	struct tramp *t;
	long (*f)(long);

	signal(sig, SIG_DFL);
	t = tramp_create(&spec);
	if (!t)
		_exit(77);
	f = (long (*)(long))tramp_code(t);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, &library) == 0);
	CHECK(library.sa_flags & SA_SIGINFO);

	chain = 1;			/* chains: both work */
	CHECK(f(2) == 42);
	CHECK(kill(getpid(), sig) == 0);
	CHECK(mine == 1);

	chain = 0;			/* does not chain: it gets the call */
	if (!sigsetjmp(env, 1)) {
		f(2);
		_exit(3);
	}
	CHECK(mine == 2);
	if (b == TRAMP_FAULT)
		CHECK(where == (void *)f);
	else
		CHECK((char *)where > (char *)f &&
		      (char *)where <= (char *)f + 16);

	CHECK(sigaction(sig, &library, NULL) == 0);	/* given back */
	CHECK(f(3) == 43);
	tramp_destroy(t);
	_exit(0);
}

int main(void)
{
	for (int b = TRAMP_FAULT; b <= TRAMP_SYSCALL; b++) {
		const char *only = getenv("TRAMPJIT_TEST_BACKENDS");
		pid_t pid;
		int st;

		if (only && !strstr(only, backend_names[b]))
			continue;
		pid = fork();
		CHECK(pid >= 0);
		if (!pid)
			child((enum tramp_backend)b);
		CHECK(waitpid(pid, &st, 0) == pid);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			fprintf(stderr, "note: backend %s unavailable\n",
				backend_names[b]);
			continue;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "%s: status %#x\n", backend_names[b],
				st);
			return 1;
		}
		fprintf(stderr, "%s: a handler installed later owns the "
			"signal\n", backend_names[b]);
	}
	return 0;
}
