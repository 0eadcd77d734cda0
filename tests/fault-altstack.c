/* SPDX-License-Identifier: MIT */
/*
 * The fault and syscall backends' handlers run on an alternate signal
 * stack when a thread has one (SA_ONSTACK: a thread near the end of its
 * stack still gets its trampolines) and on any thread, all at once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include "harness.h"
#include "test_arch.h"

#define ALT_SIZE	65536
#define NTHREADS	4
#define CALLS		2000

static long bind_add(void *data, long x) { return (long)(intptr_t)data + x; }

static void handler_add(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, tramp_arg(f, 0) + (uintptr_t)data);
}

static long context_chain(void)
{
	long v;

	READ_CHAIN_REG(v);
	return v;
}

static struct tramp *tb[3];	/* bind, handler, context */

static void make_all(enum tramp_backend b)
{
	static struct tramp_context ctx;

	ctx.mask = 1ull << TRAMP_REG_CHAIN;
	ctx.regs[TRAMP_REG_CHAIN] = 777;
	ctx.pc = (void *)context_chain;
	tb[0] = make(TRAMP_BIND, b, (void *)bind_add, (void *)100);
	tb[1] = make(TRAMP_HANDLER, b, (void *)handler_add, (void *)200);
	tb[2] = tramp_create(&(struct tramp_spec){ .kind = TRAMP_CONTEXT,
						   .backend = b,
						   .context = &ctx });
	CHECK(tb[2]);
}

static void call_all(long i)
{
	CHECK(((long (*)(long))tramp_code(tb[0]))(i) == 100 + i);
	CHECK(((long (*)(long))tramp_code(tb[1]))(i) == 200 + i);
	CHECK(((long (*)(void))tramp_code(tb[2]))() == 777);
}

/* Give this thread an alternate stack filled with a pattern. */
static unsigned char *alt_stack(void)
{
	unsigned char *mem = malloc(ALT_SIZE);
	stack_t ss = { .ss_sp = mem, .ss_size = ALT_SIZE };

	CHECK(mem);
	memset(mem, 0xa5, ALT_SIZE);
	CHECK(sigaltstack(&ss, NULL) == 0);
	return mem;
}

/* Whether the handler wrote on mem, then detach and free it. */
static int alt_used(unsigned char *mem)
{
	stack_t off = { .ss_flags = SS_DISABLE };
	int used = 0;

	for (size_t i = 0; i < ALT_SIZE; i++)
		used |= mem[i] != 0xa5;
	CHECK(sigaltstack(&off, NULL) == 0);
	free(mem);
	return used;
}

static void *thread(void *arg)
{
	unsigned char *mem = (intptr_t)arg & 1 ? alt_stack() : NULL;

	for (long i = 0; i < CALLS; i++)
		call_all(i);
	if (mem)
		CHECK(alt_used(mem));
	return NULL;
}

static void run(enum tramp_backend b)
{
	pthread_t th[NTHREADS];
	unsigned char *mem;

	if (b != TRAMP_FAULT && b != TRAMP_SYSCALL)
		return;
	make_all(b);
	mem = alt_stack();
	call_all(1);
	CHECK(alt_used(mem));
	for (intptr_t i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&th[i], NULL, thread, (void *)i) == 0);
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	for (int i = 0; i < 3; i++)
		tramp_destroy(tb[i]);
	fprintf(stderr, "alternate stack and %d threads on %s: ok\n",
		NTHREADS, backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
