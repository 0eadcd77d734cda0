/* SPDX-License-Identifier: MIT */
/*
 * With SIG_DFL, a signal that is not the library's kills the process with
 * the kernel's own siginfo, as it would without the library (crash
 * reporters read it from the core dump): the last signal the process
 * receives before it dies has the original si_code, si_addr or
 * si_syscall, not those of a signal re-raised by the library.  A parent
 * tracing the child sees every signal it is sent.  For SIGSEGV (fault
 * backend), SIGSYS (syscall backend, with a seccomp trap of the test's
 * own) and SIGTRAP (JIT breakpoint fixup).
 */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"
#include "seccomp-trap.h"
#include "test_arch.h"


static long add(void *data, long x) { return (long)(intptr_t)data + x; }


static void child(int sig, char *page)
{
	struct tramp_spec spec = { .kind = TRAMP_BIND, .target = (void *)add,
				   .data = (void *)40 };

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(77);
	signal(sig, SIG_DFL);
	if (sig == SIGSYS && foreign_filter())
		_exit(77);
	raise(SIGSTOP);			/* the parent is watching */
	if (sig == SIGTRAP) {
		CHECK(jit_region_create(1 << 16, JIT_APPEND_PWRITE));
		TEST_FATAL_TRAP();
	} else {
		spec.backend = sig == SIGSEGV ? TRAMP_FAULT : TRAMP_SYSCALL;
		if (!tramp_create(&spec))
			_exit(77);
		if (sig == SIGSEGV)
			*(volatile char *)page = 1;
		else
			syscall(FOREIGN_NR);
	}
	_exit(3);
}

/* Trace the child to its end; *last: the siginfo of the last signal it
   received.  Returns its wait status. */
static int trace(pid_t pid, siginfo_t *last)
{
	int st, n = 0;

	for (;;) {
		CHECK(waitpid(pid, &st, 0) == pid);
		if (!WIFSTOPPED(st))
			return st;
		if (WSTOPSIG(st) == SIGSTOP && !n++) {
			CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0);
			continue;
		}
		CHECK(ptrace(PTRACE_GETSIGINFO, pid, NULL, last) == 0);
		CHECK(ptrace(PTRACE_CONT, pid, NULL,
			     (void *)(intptr_t)WSTOPSIG(st)) == 0);
	}
}

int main(void)
{
	static const int sigs[] = { SIGSEGV, SIGSYS, SIGTRAP };
	static const char *const names[] = { "SIGSEGV", "SIGSYS", "SIGTRAP" };
	char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	CHECK(page != MAP_FAILED);
	for (int i = 0; i < 3; i++) {
		int sig = sigs[i], st;
		siginfo_t last;
		pid_t pid;

		fflush(stderr);
		pid = fork();
		CHECK(pid >= 0);
		if (!pid)
			child(sig, page);
		memset(&last, 0, sizeof(last));
		st = trace(pid, &last);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			fprintf(stderr, "%s: not traceable or backend "
				"unavailable here\n", names[i]);
			continue;
		}
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == sig);
		CHECK(last.si_signo == sig);
		switch (sig) {
		case SIGSEGV:
			CHECK(last.si_code == SEGV_ACCERR &&
			      last.si_addr == page);
			break;
		case SIGSYS:
			CHECK(last.si_code == 1 /* SYS_SECCOMP */ &&
			      last.si_syscall == FOREIGN_NR);
			break;
		default:
			CHECK(last.si_code == 0x80 /* SI_KERNEL */);
			break;
		}
		fprintf(stderr, "%s: dies with the kernel's siginfo\n",
			names[i]);
	}
	return 0;
}
