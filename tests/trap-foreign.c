/* SPDX-License-Identifier: MIT */
/*
 * The breakpoint fixup takes only stale filler; every other SIGTRAP in
 * code the library owns reaches the program's handler with the kernel's
 * siginfo and context, and execution goes on after the instruction: int $3
 * encoded CD 03 (also across a page boundary), int1 (F1), single-step
 * (TF), a one-byte int3 the program wrote, SIGTRAP sent by kill() and by
 * tgkill() to a thread running JIT code.  With SIG_DFL each of the
 * kernel-raised ones kills with SIGTRAP.  Runs in child processes.
 */
#if !defined(__x86_64__)
#include "harness.h"

int main(void)
{
	SKIP("the trap encodings (CD 03, F1, TF, int3) are x86_64's; "
	     "brk traps are covered by region-fixup");
}
#else
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include "harness.h"

#define PAGE		4096
#define EFL_TF		0x100

static _Atomic int traps, code;
static _Atomic uintptr_t rip;

static void handler(int sig, siginfo_t *si, void *uc)
{
	ucontext_t *u = uc;

	code = si->si_code;
	rip = (uintptr_t)u->uc_mcontext.gregs[REG_RIP];
	u->uc_mcontext.gregs[REG_EFL] &= ~EFL_TF;	/* single-step: once */
	traps++;		/* last: a waiter then finds code and rip */
}

/* The program's action, installed before the library's. */
static void program(int dfl)
{
	struct sigaction sa = { .sa_flags = SA_SIGINFO,
				.sa_sigaction = handler };

	if (dfl) {
		sa.sa_flags = 0;
		sa.sa_handler = SIG_DFL;
	}
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGTRAP, &sa, NULL) == 0);
}

/* code, then mov $5, %eax; ret, appended to a fresh region (the
   library's SIGTRAP handler comes with it); returns the entry. */
static char *jit(const unsigned char *c, size_t n, size_t at)
{
	static const unsigned char tail[] = { 0xb8, 5, 0, 0, 0, 0xc3 };
	struct jit_region *r = jit_region_create(1 << 16, JIT_APPEND_PWRITE);
	unsigned char *buf = malloc(at + n + sizeof(tail));
	char *f;

	CHECK(r && buf);
	memset(buf, 0x90, at);			/* nops up to the case */
	memcpy(buf + at, c, n);
	memcpy(buf + at + n, tail, sizeof(tail));
	f = jit_region_append(r, buf, at + n + sizeof(tail));
	CHECK(f);
	free(buf);
	return f;
}

struct foreign {
	const char *name;
	unsigned char insn[16];
	size_t len;		/* bytes of insn */
	size_t at;		/* nops before it */
	int si_code;		/* what the handler must see */
	size_t after;		/* rip past insn (offset from entry) */
};

static const struct foreign cases[] = {
	{ "int $3 (CD 03)", { 0xcd, 0x03 }, 2, 0, 0x80, 2 },
	{ "int $3 across a page", { 0xcd, 0x03 }, 2, PAGE - 1, 0x80,
	  PAGE + 1 },
	{ "int1 (F1)", { 0xf1 }, 1, 0, TRAP_BRKPT, 1 },
	{ "int3 written by the program", { 0xcc }, 1, 0, 0x80, 1 },
	/* pushf; orq $TF, (%rsp); popf; nop: traps after the nop */
	{ "single-step", { 0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00,
			   0x00, 0x9d, 0x90 }, 11, 0, TRAP_TRACE, 11 },
};

static void child_handled(const struct foreign *c)
{
	char *f;

	program(0);
	f = jit(c->insn, c->len, c->at);
	CHECK(((int (*)(void))f)() == 5);
	CHECK(traps == 1 && code == c->si_code);
	CHECK(rip == (uintptr_t)f + c->after);
	_exit(0);
}

static void child_default(const struct foreign *c)
{
	program(1);
	((int (*)(void))jit(c->insn, c->len, c->at))();
	_exit(3);
}

/* JIT code that spins until *flag, for a thread to be interrupted in. */
static const unsigned char spin[] = {
	0xf3, 0x90,			/* 1: pause */
	0x83, 0x3f, 0x00,		/* cmpl $0, (%rdi) */
	0x74, 0xf9,			/* je 1b */
};
static volatile int stop;
static _Atomic pid_t spinner;

static void *spin_thread(void *f)
{
	spinner = (pid_t)syscall(SYS_gettid);
	CHECK(((int (*)(volatile int *))f)(&stop) == 5);
	return NULL;
}

/* kill() and tgkill() while a thread spins in JIT code: each reaches the
   handler and the thread goes on spinning correctly. */
static void child_sent(const struct foreign *unused)
{
	char *f;
	pthread_t th;

	program(0);
	f = jit(spin, sizeof(spin), 0);
	CHECK(pthread_create(&th, NULL, spin_thread, f) == 0);
	while (!spinner)
		sched_yield();
	for (int i = 0; i < 200; i++) {
		int before = traps;

		if (i & 1)
			CHECK(syscall(SYS_tgkill, getpid(), spinner,
				      SIGTRAP) == 0);
		else
			CHECK(kill(getpid(), SIGTRAP) == 0);
		while (traps == before)
			sched_yield();
		CHECK(code == ((i & 1) ? SI_TKILL : SI_USER));
	}
	stop = 1;
	CHECK(pthread_join(th, NULL) == 0);
	_exit(0);
}

static int in_child(void (*fn)(const struct foreign *),
		    const struct foreign *c)
{
	int st;
	pid_t pid;

	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid)
		fn(c);
	CHECK(waitpid(pid, &st, 0) == pid);
	return st;
}

int main(void)
{
	int st;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct foreign *c = &cases[i];

		st = in_child(child_handled, c);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "%s: handler: status %#x\n", c->name,
				st);
			return 1;
		}
		st = in_child(child_default, c);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGTRAP) {
			fprintf(stderr, "%s: SIG_DFL: status %#x\n", c->name,
				st);
			return 1;
		}
		fprintf(stderr, "%s: the program's\n", c->name);
	}
	st = in_child(child_sent, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fprintf(stderr, "kill, tgkill into JIT code: the program's\n");
	return 0;
}
#endif
