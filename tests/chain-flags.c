/* SPDX-License-Identifier: MIT */
/*
 * A signal that is not the library's reaches the action installed before
 * the library's handler as the kernel would have delivered it: for
 * SIGSEGV (fault backend), SIGSYS (syscall backend) and SIGTRAP (JIT
 * breakpoint fixup), with SA_SIGINFO and plain handlers, sa_mask,
 * SA_NODEFER (the handler takes nested signals and calls trampolines of
 * the very backend), SA_RESETHAND (the next one takes the default action
 * while the library keeps working), SA_ONSTACK or not on a thread with an
 * alternate stack, a stack overflow reaching an SA_ONSTACK handler,
 * SIG_IGN (a kill() is ignored, a fault still kills) and SIG_DFL (dies of
 * the right signal).  A backtrace taken in the handler
 * reaches the interrupted code.  Each case runs in a child process.
 */
#include <execinfo.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"
#include "seccomp-trap.h"

#define ALT_SIZE	(256 << 10)

enum src { SEGV, SYS, TRAP, NSRC };
static const int signo[NSRC] = { SIGSEGV, SIGSYS, SIGTRAP };
static const int kcode[NSRC] = { SEGV_ACCERR, 1 /* SYS_SECCOMP */,
				 TEST_FOREIGN_TRAP_CODE };
static const char *const src_name[NSRC] = { "SIGSEGV", "SIGSYS", "SIGTRAP" };

static enum src src;
static char *page[2];		/* SEGV: faulted at depth 1 and 2 */
static struct tramp *tr;	/* SEGV, SYS: the library's trampoline */
static struct jit_region *region;	/* TRAP: makes the library's handler */
static void (*lib_trap)(int, siginfo_t *, void *);

/* What the program's handler saw. */
static volatile int calls, depth, max_depth, nested, tramp_ok;
static volatile int code, sig_blocked, usr1_blocked;
static void *volatile addr;
static volatile uintptr_t handler_sp;
static char *alt;
static void *bt[64];		/* backtrace from the handler */
static volatile int nbt;

static int fatal;		/* fire() need not return */

static long add(void *data, long x) { return (long)(intptr_t)data + x; }

/* A foreign kernel-generated signal of src that a handler returns from. */
static __attribute__((noinline)) void fire(int level)
{
	switch (src) {
	case SEGV:
		*(volatile char *)page[level] = 1;
		break;
	case SYS:	/* in fire() itself, so the backtrace can leave it */
		test_syscall0(FOREIGN_NR);
		break;
	default:
		if (fatal)
			TEST_FATAL_TRAP();
		else
			TEST_FOREIGN_TRAP();
		break;
	}
	__asm__ volatile("" ::: "memory");	/* no tail call: a frame */
}

static int tramp_call(void)
{
	return ((long (*)(long))tramp_code(tr))(2) == 42;
}

static void on_signal(int sig, siginfo_t *si)
{
	sigset_t m;
	int level = depth++;

	calls++;
	if (depth > max_depth)
		max_depth = depth;
	if (!level) {
		CHECK(pthread_sigmask(SIG_SETMASK, NULL, &m) == 0);
		sig_blocked = sigismember(&m, sig);
		usr1_blocked = sigismember(&m, SIGUSR1);
		handler_sp = (uintptr_t)__builtin_frame_address(0);
		nbt = backtrace(bt, 64);
		if (si) {
			code = si->si_code;
			addr = src == SYS ? (void *)(intptr_t)si->si_syscall :
					    si->si_addr;
		}
		if (nested) {
			tramp_ok = src == TRAP || tramp_call();
			fire(1);
		}
	}
	CHECK(sig == signo[src]);
	if (src == SEGV)
		CHECK(mprotect(page[level], 4096, PROT_READ | PROT_WRITE) == 0);
	depth--;
}

static void info_handler(int sig, siginfo_t *si, void *uc)
{
	on_signal(sig, si);
}

static void plain_handler(int sig)
{
	on_signal(sig, NULL);
}

/* The program's action, installed before the library's handler. */
static void program(void (*h)(int), int flags, int mask_usr1)
{
	struct sigaction sa = { .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	if (mask_usr1)
		sigaddset(&sa.sa_mask, SIGUSR1);
	if (flags & SA_SIGINFO)
		sa.sa_sigaction = info_handler;
	else
		sa.sa_handler = h;
	CHECK(sigaction(signo[src], &sa, NULL) == 0);
}


/* The library installs its handler for src; 77 if it cannot here. */
static void library_on(void)
{
	struct sigaction cur;
	struct tramp_spec spec = { .kind = TRAMP_BIND, .target = (void *)add,
				   .data = (void *)40 };

	if (src == TRAP) {
		region = jit_region_create(1 << 16, JIT_APPEND_PWRITE);
		CHECK(region);
		CHECK(sigaction(SIGTRAP, NULL, &cur) == 0);
		CHECK(cur.sa_flags & SA_SIGINFO);
		lib_trap = cur.sa_sigaction;
		nbt = backtrace(bt, 64);	/* the unwinder is loaded */
		return;
	}
	spec.backend = src == SEGV ? TRAMP_FAULT : TRAMP_SYSCALL;
	tr = tramp_create(&spec);
	if (!tr) {
		fprintf(stderr, "%s: %s\n", src_name[src], strerror(errno));
		_exit(77);
	}
	CHECK(tramp_call());
	nbt = backtrace(bt, 64);	/* the unwinder sees its tables */
}

/* The library's side still works: its trampolines run, its handler is
   still the installed one. */
static void library_works(void)
{
	unsigned char ret5[CODE_RET_LEN];
	struct sigaction cur;
	void *f;

	if (src != TRAP) {
		CHECK(tramp_call());
		return;
	}
	CHECK(sigaction(SIGTRAP, NULL, &cur) == 0);
	CHECK((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == lib_trap);
	code_ret(ret5, 5);
	f = jit_region_append(region, ret5, sizeof(ret5));
	CHECK(f && ((int (*)(void))f)() == 5);
}

static void setup(void)
{
	for (int i = 0; i < 2; i++) {
		page[i] = mmap(NULL, 4096, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(page[i] != MAP_FAILED);
	}
	if (src == SYS && foreign_filter()) {
		fprintf(stderr, "seccomp: %s\n", strerror(errno));
		_exit(77);
	}
}

static void reprotect(void)
{
	for (int i = 0; i < 2; i++)
		CHECK(mprotect(page[i], 4096, PROT_NONE) == 0);
}

/* Neither the signal nor sa_mask stays blocked after the handler. */
static void mask_restored(void)
{
	sigset_t m;

	CHECK(pthread_sigmask(SIG_SETMASK, NULL, &m) == 0);
	CHECK(!sigismember(&m, signo[src]) && !sigismember(&m, SIGUSR1));
}

/* The handler's backtrace went through the library's frames to fire(). */
static int reached_fire(void)
{
	for (int i = 0; i < nbt; i++)
		if ((uintptr_t)bt[i] - (uintptr_t)fire < 256)
			return 1;
	return 0;
}

/* ---- cases: each runs in a child; exit 0 passes unless noted -------- */

static void c_siginfo(void)
{
	program(NULL, SA_SIGINFO, 0);
	library_on();
	fire(0);
	CHECK(calls == 1 && code == kcode[src] && sig_blocked);
	CHECK(reached_fire());
	if (src == SEGV)
		CHECK(addr == page[0]);
	if (src == SYS)
		CHECK(addr == (void *)(intptr_t)FOREIGN_NR);
	mask_restored();
	reprotect();
	library_works();
	fire(0);
	CHECK(calls == 2);
	code = 0;
	kill(getpid(), signo[src]);
	CHECK(calls == 3 && code == SI_USER);
}

static void c_plain(void)
{
	program(plain_handler, 0, 0);
	library_on();
	fire(0);
	CHECK(calls == 1 && sig_blocked);
	mask_restored();
	library_works();
}

static void c_sa_mask(void)
{
	program(NULL, SA_SIGINFO, 1);
	library_on();
	fire(0);
	CHECK(calls == 1 && sig_blocked && usr1_blocked);
	mask_restored();
}

/* The handler calls a trampoline of the backend and takes a nested
   signal of its own: both need the signal unblocked. */
static void c_nodefer(void)
{
	program(NULL, SA_SIGINFO | SA_NODEFER, 0);
	library_on();
	nested = 1;
	fire(0);
	CHECK(calls == 2 && max_depth == 2 && !sig_blocked && tramp_ok);
	mask_restored();
	library_works();
}

static void c_nodefer_plain(void)
{
	program(plain_handler, SA_NODEFER, 0);
	library_on();
	nested = 1;
	fire(0);
	CHECK(calls == 2 && max_depth == 2 && !sig_blocked && tramp_ok);
}

/* Exits by the signal: the second one takes the default action. */
static void c_resethand(void)
{
	program(NULL, SA_SIGINFO | SA_RESETHAND, 0);
	library_on();
	fire(0);
	CHECK(calls == 1);
	reprotect();
	library_works();
	library_works();
	fire(0);
	_exit(3);
}

static void c_ignore_kill(void)
{
	program(SIG_IGN, 0, 0);
	library_on();
	kill(getpid(), signo[src]);
	library_works();
}

/* Exits by the signal: a kernel-raised signal cannot be ignored. */
static void c_ignore_fault(void)
{
	program(SIG_IGN, 0, 0);
	library_on();
	fatal = 1;
	fire(0);
	_exit(3);
}

static void c_default_fault(void)
{
	program(SIG_DFL, 0, 0);
	library_on();
	fatal = 1;
	fire(0);
	_exit(3);
}

static void c_default_kill(void)
{
	program(SIG_DFL, 0, 0);
	library_on();
	kill(getpid(), signo[src]);
	_exit(3);
}

/* With an alternate stack (the library's handler runs there): the
   handler runs, takes nested signals and calls trampolines. */
static void with_alt_stack(int flags)
{
	stack_t ss = { .ss_size = ALT_SIZE };

	alt = malloc(ALT_SIZE);
	CHECK(alt);
	ss.ss_sp = alt;
	CHECK(sigaltstack(&ss, NULL) == 0);
	program(NULL, SA_SIGINFO | SA_NODEFER | flags, 0);
	library_on();
	nested = 1;
	fire(0);
	CHECK(calls == 2 && max_depth == 2 && tramp_ok);
	if (flags & SA_ONSTACK)
		CHECK(handler_sp - (uintptr_t)alt < ALT_SIZE);
	CHECK(reached_fire());
	mask_restored();
	reprotect();
	library_works();
}

static void c_no_onstack(void)
{
	with_alt_stack(0);
}

static void c_onstack(void)
{
	with_alt_stack(SA_ONSTACK);
}

static sigjmp_buf overflow_env;

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
	handler_sp = (uintptr_t)__builtin_frame_address(0);
	siglongjmp(overflow_env, 1);
}

static volatile int bottomless = 1;

static int recurse(volatile char *p)
{
	volatile char buf[1024];

	if (!bottomless)
		return 0;
	buf[0] = *p;
	return recurse(buf) + buf[1];
}

static void *overflow_thread(void *arg)
{
	stack_t ss = { .ss_sp = alt, .ss_size = ALT_SIZE }, old;

	CHECK(sigaltstack(&ss, &old) == 0);
	if (!sigsetjmp(overflow_env, 1))
		recurse(arg);
	CHECK(sigaltstack(&old, NULL) == 0);	/* sanitizers free theirs */
	return NULL;
}

/* Where SA_ONSTACK matters: a stack overflow still reaches the program's
   SA_ONSTACK handler, on the alternate stack, through the library's. */
static void c_overflow(void)
{
	struct sigaction sa = { .sa_sigaction = overflow_handler,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	pthread_attr_t at;
	pthread_t th;
	char c = 0;

	if (src != SEGV)
		return;
	alt = malloc(ALT_SIZE);
	CHECK(alt);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
	library_on();
	CHECK(pthread_attr_init(&at) == 0);
	CHECK(pthread_attr_setstacksize(&at, 256 << 10) == 0);
	CHECK(pthread_create(&th, &at, overflow_thread, &c) == 0);
	CHECK(pthread_join(th, NULL) == 0);
	CHECK(handler_sp - (uintptr_t)alt < ALT_SIZE);
	library_works();
}

struct test_case {
	const char *name;
	void (*fn)(void);
	int dies;		/* exits by the signal */
};

static const struct test_case cases[] = {
	{ "SA_SIGINFO", c_siginfo, 0 },
	{ "plain handler", c_plain, 0 },
	{ "sa_mask", c_sa_mask, 0 },
	{ "SA_NODEFER", c_nodefer, 0 },
	{ "SA_NODEFER plain", c_nodefer_plain, 0 },
	{ "SA_RESETHAND", c_resethand, 1 },
	{ "SIG_IGN kill", c_ignore_kill, 0 },
	{ "SIG_IGN fault", c_ignore_fault, 1 },
	{ "SIG_DFL fault", c_default_fault, 1 },
	{ "SIG_DFL kill", c_default_kill, 1 },
	{ "alternate stack, no SA_ONSTACK", c_no_onstack, 0 },
	{ "SA_ONSTACK", c_onstack, 0 },
	{ "stack overflow", c_overflow, 0 },
};

static int run(const struct test_case *c)
{
	pid_t pid;
	int st;

	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		/* Sanitizers install handlers of their own. */
		signal(signo[src], SIG_DFL);
		setup();
		c->fn();
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		return 0;
	if (src == SEGV && emulator_aborted(st)) {
		fprintf(stderr, "note: %s, %s: the emulator aborted on the "
			"default SIGSEGV\n", src_name[src], c->name);
		return 1;
	}
	if (c->dies ? !(WIFSIGNALED(st) && WTERMSIG(st) == signo[src]) :
		      !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		fprintf(stderr, "%s, %s: status %#x\n", src_name[src],
			c->name, st);
		exit(1);
	}
	return 1;
}

int main(void)
{
	const char *only = getenv("TRAMPJIT_TEST_BACKENDS");

	for (src = 0; src < NSRC; src++) {
		int ran = 0;

		if (only && src != TRAP &&
		    !strstr(only, src == SEGV ? "fault" : "syscall"))
			continue;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			ran += run(&cases[i]);
		fprintf(stderr, "%s: %d cases %s\n", src_name[src], ran,
			ran ? "ok" : "skipped (backend unavailable)");
	}
	return 0;
}
