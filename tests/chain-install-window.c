/* SPDX-License-Identifier: MIT */
/*
 * A library handler is installed only after the action it replaces is
 * saved: a signal that arrives the moment the handler is in place (before
 * sigaction() has returned the old action to its caller) still reaches
 * the program's handler instead of finding nothing to chain to and
 * killing the process.  The window is opened on purpose: this program
 * interposes sigaction() (the library is linked statically, so its calls
 * resolve here), and right after the kernel switches to a library
 * handler it raises the signal, before the old action is handed back.
 * For SIGTRAP (first JIT region), SIGSEGV (first SWAP region, fault
 * backend) and SIGSYS (syscall backend).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static volatile int hits, fired;
static int want;			/* the signal under test */

static void handler(int sig, siginfo_t *si, void *uc)
{
	hits++;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	static int (*real)(int, const struct sigaction *,
			   struct sigaction *);
	struct sigaction prev;

	if (!real)
		real = (int (*)(int, const struct sigaction *,
				struct sigaction *))dlsym(RTLD_NEXT,
							  "sigaction");
	if (sig != want || !act || !(act->sa_flags & SA_SIGINFO) ||
	    act->sa_sigaction == handler)
		return real(sig, act, old);
	/* A library handler: the kernel's order, with the window open. */
	if (real(sig, NULL, &prev) || real(sig, act, NULL))
		return -1;
	fired++;
	raise(sig);
	if (old)
		*old = prev;
	return 0;
}

static long add(void *data, long x) { return (long)(intptr_t)data + x; }

static void child(int sig, int what)
{
	struct sigaction sa = { .sa_sigaction = handler,
				.sa_flags = SA_SIGINFO };
	struct tramp_spec spec = { .kind = TRAMP_BIND, .target = (void *)add };

	want = sig;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0);
	switch (what) {
	case 0:
		CHECK(jit_region_create(1 << 16, sig == SIGTRAP ?
					JIT_APPEND_PWRITE : JIT_APPEND_SWAP));
		break;
	default:
		spec.backend = sig == SIGSEGV ? TRAMP_FAULT : TRAMP_SYSCALL;
		if (!tramp_create(&spec))
			_exit(77);
		break;
	}
	CHECK(fired >= 1 && hits == fired);
	_exit(0);
}

int main(void)
{
	static const struct { int sig, what; const char *name; } cases[] = {
		{ SIGTRAP, 0, "SIGTRAP, first region" },
		{ SIGSEGV, 0, "SIGSEGV, first SWAP region" },
		{ SIGSEGV, 1, "SIGSEGV, fault backend" },
		{ SIGSYS, 1, "SIGSYS, syscall backend" },
	};

	for (int i = 0; i < 4; i++) {
		pid_t pid;
		int st;

		fflush(stderr);
		pid = fork();
		CHECK(pid >= 0);
		if (!pid)
			child(cases[i].sig, cases[i].what);
		CHECK(waitpid(pid, &st, 0) == pid);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			fprintf(stderr, "%s: backend unavailable\n",
				cases[i].name);
			continue;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "%s: status %#x\n", cases[i].name, st);
			return 1;
		}
		fprintf(stderr, "%s: signal in the window chained\n",
			cases[i].name);
	}
	return 0;
}
