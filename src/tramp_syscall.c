/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_SYSCALL: the syscall trampoline of the trampfd discussion, with a
 * seccomp filter standing in for the new syscall.
 *
 * Mechanism: every trampoline is a 16-byte stub (push %rcx; push %rax;
 * mov $reserved, %eax; syscall) from one sealed memfd mapped read+execute
 * as the code half of each table.  A seccomp filter returns
 * SECCOMP_RET_TRAP for that number only, so the syscall becomes SIGSYS;
 * the handler checks it is one of our stubs (si_call_addr minus the stub
 * length is a live trampoline of this backend), pops the two saved words
 * back into %rax and %rcx and applies the kind to the ucontext exactly as
 * the fault backend does (shared code: fault_enter()).  Anything else
 * goes to the previous SIGSYS disposition, delivered as the kernel would
 * (sigchain.c).  A call with SIGSYS blocked kills the process (the kernel
 * cannot deliver a seccomp trap that is blocked).
 *
 * Trade-offs: like TRAMP_FAULT, a call costs a signal round trip plus a
 * seccomp filter run, and %r11 is clobbered by the syscall instruction;
 * the code is plain read-only executable memory, so it works under MDWE.
 * But the price is process-wide and permanent: the first creation sets
 * no_new_privs (setuid binaries exec'd later gain no privileges) and
 * installs a filter on every thread (TSYNC) that can never be removed and
 * is inherited by every child, across fork and execve; every syscall of
 * the process then runs the filter (a few nanoseconds).  Nothing of this
 * happens unless a program asks for this backend.  If seccomp filters are
 * unavailable, tramp_create() fails with the kernel's errno (ENOSYS,
 * EINVAL, EACCES) and nothing is left installed.  Use it to measure the
 * syscall route, or where SIGSEGV belongs to someone else (a JVM, a GC).
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "arch_backends.h"
#include "os.h"

/* si_code of a SIGSYS sent by seccomp (SYS_SECCOMP, which glibc hides). */
#define SI_SECCOMP	1

static int stubs_fd = -1;		/* set once by setup */
static struct sigchain chain;	/* the SIGSYS action before ours */

static void sys_handler(int sig, siginfo_t *si, void *uc)
{
	const char *ret = si->si_call_addr;
	int err = errno;

	if (si->si_code != SI_SECCOMP || si->si_syscall != ARCH_TRAP_NR ||
	    arch_uc_pc(uc) != (uintptr_t)ret ||
	    !fault_enter(uc, ret - ARCH_SYSCALL_RET, TRAMP_SYSCALL))
		sigchain_deliver(&chain, sig, si, uc);
	errno = err;
}

/* The stub table in a sealed memfd. */
static int stubs_memfd(void)
{
	int fd = os_memfd("trampjit-syscall-stubs");

	if (fd < 0)
		return -1;
	if (os_pwrite_all(fd, arch_syscall_stubs, ARCH_SYSCALL_CODE, 0) ||
	    os_seal(fd)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Stubs, then handler, then filter: a failure undoes the earlier steps,
   except no_new_privs when the filter itself is refused after the probe. */
static int sys_setup(void)
{
	int fd = stubs_memfd(), err;

	if (fd < 0)
		return -1;
	if (sigchain_install(&chain, SIGSYS, sys_handler))
		goto fail;
	if (os_seccomp_trap(ARCH_TRAP_NR)) {
		err = errno;
		sigchain_uninstall(&chain, SIGSYS);
		errno = err;
		goto fail;
	}
	stubs_fd = fd;
	return 0;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static void sys_geometry(struct table *tb)
{
	tb->nslots = ARCH_SYSCALL_SLOTS;
	tb->code_stride = ARCH_SYSCALL_STRIDE;
	tb->code_size = ARCH_SYSCALL_CODE;
}

static int sys_map_code(struct table *tb)
{
	return os_map_code(tb->base, tb->code_size, stubs_fd, 0) ? 0 : -1;
}

const struct backend_ops backend_syscall = {
	.setup = sys_setup,
	.geometry = sys_geometry,
	.map_code = sys_map_code,
};
