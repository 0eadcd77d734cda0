/* SPDX-License-Identifier: MIT */
/*
 * The module's own interface, without the library: fault and call
 * trampolines run their contexts; the fault mapping has no readable byte;
 * nothing maps writable; allowed pcs are enforced; the stack words of a
 * context reach a stack page that is not present (the path that drops the
 * mmap lock); a fork child keeps its contexts; the trampoline ioctl is
 * refused from anywhere but a stub.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "trampfd.h"

/* peek_below: returns the word just below the stack pointer at entry. */
uint64_t peek_below(void);
__asm__(".text\n.globl peek_below\npeek_below:\n"
	"\tmov -8(%rsp), %rax\n\tret\n");

static long add(long a, long b) { return a + b; }
static long chain_val(void)
{
	long v;

	__asm__ volatile("mov %%r10, %0" : "=r"(v));
	return v;
}

static int fd;

static void set(void *addr, const struct trampfd_context *c, int expect)
{
	struct trampfd_set s = { .addr = (uintptr_t)addr, .ctx = *c };

	if (expect)
		CHECK(ioctl(fd, TRAMPFD_IOC_SET, &s) == -1 && errno == expect);
	else
		CHECK(ioctl(fd, TRAMPFD_IOC_SET, &s) == 0);
}

static struct trampfd_context ctx_pc(void *pc)
{
	struct trampfd_context c = { .pc = (uintptr_t)pc };

	return c;
}

static sigjmp_buf jb;
static volatile int sigs;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	sigs++;
	siglongjmp(jb, 1);
}

/* Does fn(arg) die of signal sig? */
static int dies(int sig, void (*fn)(void *), void *arg)
{
	struct sigaction sa = { .sa_sigaction = on_sig,
				.sa_flags = SA_SIGINFO | SA_NODEFER }, old;
	int hit = 0;

	sigaction(sig, &sa, &old);
	if (!sigsetjmp(jb, 1))
		fn(arg);
	else
		hit = 1;
	sigaction(sig, &old, NULL);
	return hit;
}

static int segv(void (*fn)(void *), void *arg)
{
	return dies(SIGSEGV, fn, arg);
}

static void read_byte(void *p) { (void)*(volatile char *)p; }
static void call_void(void *p) { ((void (*)(void))p)(); }

static void fault_mode(char *t)
{
	struct trampfd_context c = ctx_pc(add);

	/* Registers: the args pass through, a masked one is loaded. */
	set(t, &c, 0);
	CHECK(((long (*)(long, long))t)(2, 3) == 5);
	c.mask = 1ull << TRAMPFD_RSI;
	c.regs[TRAMPFD_RSI] = 40;
	set(t, &c, 0);
	CHECK(((long (*)(long, long))t)(2, 3) == 42);
	c = ctx_pc(chain_val);
	c.mask = 1ull << TRAMPFD_R10;
	c.regs[TRAMPFD_R10] = 0x1234;
	set(t + TRAMPFD_STRIDE, &c, 0);
	CHECK(((long (*)(void))(t + TRAMPFD_STRIDE))() == 0x1234);
	/* A stack word lands below the stack pointer of the call. */
	c = ctx_pc(peek_below);
	c.nstack = 1;
	c.stack[0] = 0xfeedf00d;
	set(t + 2 * TRAMPFD_STRIDE, &c, 0);
	CHECK(((uint64_t (*)(void))(t + 2 * TRAMPFD_STRIDE))() == 0xfeedf00d);
	/* Bad contexts and addresses. */
	c = ctx_pc(add);
	c.mask = 1ull << TRAMPFD_RSP;
	set(t, &c, EINVAL);
	c = ctx_pc(add);
	c.nstack = TRAMPFD_MAX_STACK + 1;
	set(t, &c, EINVAL);
	c = ctx_pc(NULL);
	set(t, &c, EINVAL);
	c = ctx_pc((void *)-4096L);
	set(t, &c, EINVAL);
	c = ctx_pc(add);
	set(t + 1, &c, EINVAL);
	set((char *)&c, &c, EINVAL);
	/* Not one readable byte; a call of a trampoline without context,
	   or into its middle, faults. */
	CHECK(segv(read_byte, t));
	CHECK(segv(read_byte, t + 4096 * 3));
	CHECK(segv(call_void, t + 5 * TRAMPFD_STRIDE));
	CHECK(segv(call_void, t + 1));
	uint64_t a = (uintptr_t)t;
	CHECK(ioctl(fd, TRAMPFD_IOC_CLEAR, &a) == 0);
	CHECK(segv(call_void, t));
	/* Never writable. */
	CHECK(mprotect(t, 4096, PROT_READ | PROT_WRITE) == -1 &&
	      errno == EACCES);
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	      MAP_FAILED && errno == EACCES);
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) !=
	      MAP_FAILED);
}

/* Run a context with a stack word on a stack whose page below the return
   address is not present: the module must drop the mmap lock to write. */
static uint64_t call_on(void *code, char *top)
{
	uint64_t r;

	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %2, %%rsp\n\t"
			 "call *%1\n\t"
			 "mov %%rbx, %%rsp"
			 : "=a"(r)
			 : "r"(code), "r"(top)
			 : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
			   "r10", "r11", "memory");
	return r;
}

static void slow_stack(char *t)
{
	struct trampfd_context c = ctx_pc(peek_below);
	struct trampfd_info before, after;
	char *stk = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(stk != MAP_FAILED);
	c.nstack = 1;
	c.stack[0] = 0xabad1dea;
	set(t + 3 * TRAMPFD_STRIDE, &c, 0);
	CHECK(ioctl(fd, TRAMPFD_IOC_INFO, &before) == 0);
	/* Return address at stk + 7 pages (faults that page in), the word
	   below it in the untouched page under it. */
	CHECK(call_on(t + 3 * TRAMPFD_STRIDE, stk + 7 * 4096 + 8) ==
	      0xabad1dea);
	CHECK(ioctl(fd, TRAMPFD_IOC_INFO, &after) == 0);
	CHECK(after.slow_stack == before.slow_stack + 1);
	munmap(stk, 8 * 4096);
}

static void allowed_pcs(char *t)
{
	int f2 = open(TRAMPFD_PATH, O_RDWR);
	uint64_t pcs[1] = { (uintptr_t)add };
	struct trampfd_pcs p = { .count = 1, .pcs = (uintptr_t)pcs };
	struct trampfd_context c = ctx_pc(add);
	struct trampfd_set s = { .ctx = c };
	char *m;

	CHECK(f2 >= 0);
	m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, f2, 0);
	CHECK(m != MAP_FAILED);
	s.addr = (uintptr_t)m;
	CHECK(ioctl(f2, TRAMPFD_IOC_ALLOW_PCS, &p) == 0);
	CHECK(ioctl(f2, TRAMPFD_IOC_ALLOW_PCS, &p) == -1 && errno == EBUSY);
	CHECK(ioctl(f2, TRAMPFD_IOC_SET, &s) == 0);
	s.ctx.pc = (uintptr_t)chain_val;
	CHECK(ioctl(f2, TRAMPFD_IOC_SET, &s) == -1 && errno == EPERM);
	CHECK(((long (*)(long, long))m)(20, 22) == 42);
	/* Another instance's mapping is not this one's. */
	s.addr = (uintptr_t)t;
	s.ctx.pc = (uintptr_t)add;
	CHECK(ioctl(f2, TRAMPFD_IOC_SET, &s) == -1 && errno == EINVAL);
	p.count = 0;
	CHECK(ioctl(fd, TRAMPFD_IOC_ALLOW_PCS, &p) == -1 && errno == EINVAL);
	munmap(m, 4096);
	close(f2);
}

static void fork_own(char *t)
{
	struct trampfd_context c = ctx_pc(add);
	int p[2], st;
	char x;
	pid_t pid;

	c.mask = 1ull << TRAMPFD_RSI;
	c.regs[TRAMPFD_RSI] = 1;
	set(t + 4 * TRAMPFD_STRIDE, &c, 0);
	CHECK(pipe(p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		long (*f)(long, long) = (void *)(t + 4 * TRAMPFD_STRIDE);

		CHECK(read(p[0], &x, 1) == 1);
		CHECK(f(1, 0) == 2);	/* the parent's change is not ours */
		c.regs[TRAMPFD_RSI] = 1000;
		set(t + 4 * TRAMPFD_STRIDE, &c, 0);
		CHECK(f(1, 0) == 1001);
		_exit(0);
	}
	c.regs[TRAMPFD_RSI] = 100;
	set(t + 4 * TRAMPFD_STRIDE, &c, 0);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
	CHECK(((long (*)(long, long))(t + 4 * TRAMPFD_STRIDE))(1, 0) == 101);
	close(p[0]);
	close(p[1]);
}

static void call_mode(void)
{
	struct trampfd_context c = ctx_pc(add);
	struct trampfd_info in;
	char *s;

	/* No stubs before the fd is named. */
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd,
		   TRAMPFD_CALL_OFFSET) == MAP_FAILED && errno == EINVAL);
	CHECK(ioctl(fd, TRAMPFD_IOC_CALL_FD, fd + 100) == -1 &&
	      errno == EBADF);
	CHECK(ioctl(fd, TRAMPFD_IOC_CALL_FD, fd) == 0);
	CHECK(ioctl(fd, TRAMPFD_IOC_CALL_FD, fd) == -1 && errno == EBUSY);
	s = mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_SHARED, fd,
		 TRAMPFD_CALL_OFFSET);
	CHECK(s != MAP_FAILED);
	c.mask = 1ull << TRAMPFD_RSI;
	c.regs[TRAMPFD_RSI] = 7;
	set(s + TRAMPFD_CALL_STRIDE, &c, 0);
	set(s + 1, &c, EINVAL);
	CHECK(ioctl(fd, TRAMPFD_IOC_INFO, &in) == 0);
	CHECK(((long (*)(long, long))(s + TRAMPFD_CALL_STRIDE))(5, 0) == 12);
	c = ctx_pc(peek_below);
	c.nstack = 1;
	c.stack[0] = 99;
	set(s + 4096, &c, 0);
	CHECK(((uint64_t (*)(void))(s + 4096))() == 99);
	/* The ioctl from anywhere but a stub changes nothing. */
	CHECK(ioctl(fd, TRAMPFD_IOC_CALL, 0) == -1 && errno == EINVAL);
	/* A stub without a context faults at its entry. */
	CHECK(segv(call_void, s + 2 * TRAMPFD_CALL_STRIDE));
	/* Stub code is readable, never writable. */
	CHECK(s[0] == (char)0xf3);
	CHECK(mprotect(s, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) == -1);
	munmap(s, 8192);
}

/* Stubs whose fd was closed: the failed ioctl ends in SIGILL in the stub,
   never in a jump through the stack. */
static void call_fd_closed(void)
{
	int f = open(TRAMPFD_PATH, O_RDWR), d;
	struct trampfd_context c = ctx_pc(add);
	struct trampfd_set st = { .ctx = c };
	char *s;

	CHECK(f >= 0);
	d = dup(f);
	CHECK(d >= 0 && ioctl(f, TRAMPFD_IOC_CALL_FD, d) == 0);
	s = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, f,
		 TRAMPFD_CALL_OFFSET);
	CHECK(s != MAP_FAILED);
	st.addr = (uintptr_t)s;
	CHECK(ioctl(f, TRAMPFD_IOC_SET, &st) == 0);
	CHECK(((long (*)(long, long))s)(1, 2) == 3);
	close(d);
	CHECK(dies(SIGILL, call_void, s));
	munmap(s, 4096);
	close(f);
}

int main(void)
{
	char *t;

	fd = open(TRAMPFD_PATH, O_RDWR);
	if (fd < 0)
		SKIP("%s: %s (module not loaded)", TRAMPFD_PATH,
		     strerror(errno));
	t = mmap(NULL, 4 * 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	CHECK(t != MAP_FAILED);
	fault_mode(t);
	slow_stack(t);
	allowed_pcs(t);
	fork_own(t);
	call_mode();
	call_fd_closed();
	fprintf(stderr, "trampfd uapi: ok\n");
	return 0;
}
