/* SPDX-License-Identifier: MIT */
/*
 * Signal chaining: the library's SIGSEGV, SIGSYS and SIGTRAP handlers hand
 * every signal that is not theirs to the disposition that was in place
 * before them, delivered as the kernel would have delivered it.
 *
 * The kernel, delivering a signal to an action, blocks the action's
 * sa_mask and (unless SA_NODEFER) the signal itself on top of the mask of
 * the interrupted code, resets the action to SIG_DFL first when it has
 * SA_RESETHAND, runs the handler on the alternate stack only with
 * SA_ONSTACK, passes siginfo and context to SA_SIGINFO handlers, and
 * restores the mask when the handler returns.  A signal the kernel raised
 * itself (a fault, a breakpoint, a seccomp trap) cannot be ignored: if it
 * is ignored it gets the default action.  sigchain_deliver() does the
 * same, in the same order, from inside the library's handler:
 *
 *  - the thread mask around the call is the interrupted code's mask (the
 *    ucontext's uc_sigmask, not the library handler's) plus sa_mask plus
 *    the signal unless SA_NODEFER, and the library handler's mask is put
 *    back afterwards; a handler that changes uc_sigmask in the context, or
 *    siglongjmp()s out, gets what it would get from the kernel;
 *  - SA_RESETHAND: the saved action, not the installed one, becomes
 *    SIG_DFL, exactly once (the first delivery claims it atomically).  The
 *    library's handler stays installed, so trampolines and fixups keep
 *    working, and every later signal that is not the library's takes the
 *    default action, as it would after the kernel's reset.  Resetting the
 *    installed action instead would kill the next trampoline call;
 *  - SA_ONSTACK matters where a signal could not be delivered without it,
 *    a fault on a stack that has overflowed: the library's handlers have
 *    it, so the kernel delivers them on the alternate stack and a handler
 *    with SA_ONSTACK chained from there runs there too.  A handler without
 *    SA_ONSTACK chained from there also runs on the alternate stack (the
 *    kernel would have used the interrupted stack): moving it back would
 *    leave the library's live frames on an alternate stack the kernel
 *    considers free, to be overwritten by the next signal delivered there,
 *    such as a trampoline call made by the handler;
 *  - the default action is taken by the kernel itself: the disposition
 *    becomes SIG_DFL and the signal is queued again to this thread with
 *    its original siginfo (rt_tgsigqueueinfo), blocked until the handler
 *    returns; the return unblocks it and the process dies of it, with the
 *    kernel's core dump and the original si_code and si_addr.
 *
 * The library's own handlers are installed with SA_SIGINFO | SA_ONSTACK,
 * an empty sa_mask and the previous action's SA_RESTART (a signal sent
 * with kill() that interrupts a system call then restarts it, or not, as
 * the program asked; with an ignored signal it restarts).
 *
 * A program that installs a handler after the library owns the signal
 * from then on: the library's trampolines and fixups keep working only if
 * that handler passes the signals it does not recognise to the action
 * sigaction() returned to it (the library's handler), as for any runtime.
 *
 * Everything called on the signal path is async-signal-safe.
 */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

int sigchain_install(struct sigchain *c, int sig,
		     void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa, old;

	/* Saved before ours is installed: a signal on another thread in
	   between must never find a half-written copy. */
	if (sigaction(sig, NULL, &old))
		return -1;
	if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == fn)
		return 0;	/* already ours: chaining to it would loop */
	c->act = old;
	atomic_store(&c->reset, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	if (old.sa_handler == SIG_IGN || (old.sa_flags & SA_RESTART))
		sa.sa_flags |= SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

int sigchain_uninstall(struct sigchain *c, int sig)
{
	struct sigaction dfl;

	if (!atomic_load(&c->reset))
		return sigaction(sig, &c->act, NULL);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	return sigaction(sig, &dfl, NULL);
}

/*
 * The default action, taken by the kernel: SIG_DFL, then the signal again
 * with its own siginfo, pending until the library's handler returns (the
 * signal is blocked while it runs).  The kernel accepts any si_code for a
 * signal a thread queues to itself.  Only if that is refused is it sent
 * plainly.
 */
static void take_default(int sig, const siginfo_t *si)
{
	struct sigaction dfl;
	siginfo_t copy = *si;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), sig, &copy))
		raise(sig);
}

void sigchain_deliver(struct sigchain *c, int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *a = &c->act;
	int forced = si->si_code > 0;	/* sent by the kernel itself */
	sigset_t m, saved;

	if (a->sa_handler == SIG_IGN && !forced)
		return;
	if (a->sa_handler == SIG_DFL || a->sa_handler == SIG_IGN ||
	    ((a->sa_flags & SA_RESETHAND) && atomic_exchange(&c->reset, 1))) {
		take_default(sig, si);
		return;
	}
	sigorset(&m, &((ucontext_t *)uc)->uc_sigmask, &a->sa_mask);
	if (!(a->sa_flags & SA_NODEFER))
		sigaddset(&m, sig);
	pthread_sigmask(SIG_SETMASK, &m, &saved);
	if (a->sa_flags & SA_SIGINFO)
		a->sa_sigaction(sig, si, uc);
	else
		a->sa_handler(sig);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}
