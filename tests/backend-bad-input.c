/* SPDX-License-Identifier: MIT */
/*
 * Bad input on the signal backends: a bad spec fails with EINVAL before
 * anything process-wide is touched (no SIGSEGV/SIGSYS handler, no seccomp
 * filter, no no_new_privs), and an unknown backend is EINVAL too.
 * Filters are counted (Seccomp_filters:) since a container may run us
 * under its own.
 */
#include <signal.h>
#include <stdint.h>
#include "harness.h"

static long f(long x) { return x + 1; }

static void *handler_of(int sig)
{
	struct sigaction sa;

	CHECK(sigaction(sig, NULL, &sa) == 0);
	return (sa.sa_flags & SA_SIGINFO) ? (void *)sa.sa_sigaction :
					    (void *)sa.sa_handler;
}

static void expect_einval(struct tramp_spec *spec)
{
	errno = 0;
	CHECK(tramp_create(spec) == NULL);
	CHECK(errno == EINVAL);
}

int main(void)
{
	void *segv = handler_of(SIGSEGV), *sys = handler_of(SIGSYS);
	long filters = proc_status(0, "Seccomp_filters");
	long nnp = proc_status(0, "NoNewPrivs");
	struct tramp_context ctx = { .pc = (void *)f };
	struct tramp_spec spec = { .kind = TRAMP_CONTEXT, .context = &ctx };

	for (int b = TRAMP_FAULT; b <= TRAMP_MPROTECT; b++) {
		spec.backend = (enum tramp_backend)b;
		ctx.mask = 1ull << TRAMP_REG_SP;		/* rsp */
		expect_einval(&spec);
		ctx.mask = 1ull << TRAMP_NREGS;			/* rip */
		expect_einval(&spec);
		ctx.mask = 0;
		ctx.nstack = TRAMP_CONTEXT_MAX_STACK + 1;
		expect_einval(&spec);
		ctx.nstack = 0;
		ctx.pc = NULL;
		expect_einval(&spec);
		ctx.pc = (void *)f;
		spec.kind = TRAMP_BIND;
		expect_einval(&spec);				/* no target */
		spec.kind = (enum tramp_kind)9;
		spec.target = (void *)f;
		expect_einval(&spec);
		spec.kind = TRAMP_CONTEXT;
		spec.target = NULL;
	}
	spec.backend = (enum tramp_backend)(TRAMP_MPROTECT + 1);
	expect_einval(&spec);
	CHECK(handler_of(SIGSEGV) == segv);
	CHECK(handler_of(SIGSYS) == sys);
	CHECK(proc_status(0, "Seccomp_filters") == filters);
	CHECK(proc_status(0, "NoNewPrivs") == nnp);
	fprintf(stderr, "bad input on fault, syscall, mprotect: EINVAL, "
		"nothing installed\n");
	return 0;
}
