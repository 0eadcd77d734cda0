/* SPDX-License-Identifier: MIT */
/*
 * The breakpoint fixup, made to happen on purpose: a thread calls the
 * next append address while it still holds the int3 filler; a SIGTRAP
 * handler installed after the library's appends the code there and then
 * hands the trap to the library's handler, which sees the byte changed,
 * rewinds the thread and lets it run the new code.  A trap on filler that
 * stays filler still reaches the program (the previous handler).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

static unsigned char ret1[CODE_RET_LEN];	/* return 1 */
static unsigned char ret7[CODE_RET_LEN];	/* return 7 */

static struct sigaction library;	/* the handler we chain to */
static struct jit_region *region;
static void *expect;			/* where the append must land */
static volatile int appended, real_trap;
static sigjmp_buf out;

/* The program's own handler, installed before any region exists: it gets
   the traps the library does not own. */
static void program_trap(int sig, siginfo_t *si, void *uc)
{
	real_trap = 1;
	siglongjmp(out, 1);
}

/* Installed after the library's: append while the thread sits in the
   trap, then let the library decide. */
static void racing_writer(int sig, siginfo_t *si, void *uc)
{
	if (!appended) {
		void *at = jit_region_append(region, ret7, sizeof(ret7));

		if (at != expect)
			_exit(3);
		appended = 1;
	}
	library.sa_sigaction(sig, si, uc);
}

static void run(int mode)
{
	struct sigaction sa = { .sa_flags = SA_SIGINFO }, mine;
	struct jit_stats s0, s1;
	void *first;

	appended = 0;
	region = jit_region_create(1 << 16, mode);
	CHECK(region);
	first = jit_region_append(region, ret1, sizeof(ret1));
	CHECK(first && ((int (*)(void))first)() == 1);
	expect = (char *)first + JIT_REGION_ALIGN;
	CHECK(test_is_fill(expect));

	sa.sa_sigaction = racing_writer;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGTRAP, &sa, &library) == 0);
	CHECK(library.sa_flags & SA_SIGINFO);
	CHECK(jit_get_stats(&s0) == 0);
	CHECK(((int (*)(void))expect)() == 7);	/* trapped, fixed, ran */
	CHECK(jit_get_stats(&s1) == 0);
	CHECK(appended);
	CHECK(s1.trap_fixups == s0.trap_fixups + 1);
	CHECK(sigaction(SIGTRAP, &library, &mine) == 0);

	/* Filler that stays filler is a real breakpoint: the program's. */
	real_trap = 0;
	if (!sigsetjmp(out, 1))
		((void (*)(void))((char *)expect + JIT_REGION_ALIGN))();
	CHECK(real_trap);
	jit_region_destroy(region);
	fprintf(stderr, "mode %d: fixup ran the new code\n", mode);
}

int main(void)
{
	code_ret(ret1, 1);
	code_ret(ret7, 7);
	struct sigaction sa = { .sa_flags = SA_SIGINFO,
				.sa_sigaction = program_trap };

	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGTRAP, &sa, NULL) == 0);
	run(JIT_APPEND_PWRITE);
	run(JIT_APPEND_ALIAS);
	run(JIT_APPEND_SWAP);
	return 0;
}
