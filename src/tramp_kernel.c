/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_KERNEL and TRAMP_KERNEL_CALL: trampolines run by the trampjit
 * kernel module (kernel/trampfd.c), when its device /dev/trampfd exists.
 *
 * TRAMP_KERNEL is trampfd as proposed: a table's code half is a mapping of
 * the device in which no page is ever present.  A call takes the
 * instruction-fetch fault, and the module, in the fault handler, applies
 * the trampoline's context (registers, stack words, pc) to the saved user
 * registers and returns to the target: no signal, no user-space handler,
 * no byte of code.  TRAMP_KERNEL_CALL is the reply's trampoline syscall:
 * the code half maps the module's read+execute stubs, each of which saves
 * the registers a syscall clobbers and calls the module's trampoline
 * ioctl, which does the same from the syscall path.
 *
 * Contexts live in the kernel (one TRAMPFD_IOC_SET per create or
 * retarget, atomic for a concurrent caller); the module copies a table's
 * contexts for a fork child, which then owns them like private memory.
 * CHAIN, BIND (with the module's argument shift) and CONTEXT are done by
 * the kernel alone; HANDLER, which needs a frame of every argument
 * register, enters the library's shared thunk with %r11 = the slot, as
 * the other backends do.
 *
 * Trade-offs: no signal handler or seccomp filter is installed and nothing
 * is ever writable; a call costs one page fault (or one system call),
 * about the price of a signal-free kernel round trip.  Needs the module,
 * and an fd kept open for the life of the process.  Use it to compare
 * with the user-space emulations, or where not even a signal handler may
 * be installed.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "os.h"
#include "../kernel/trampfd.h"

#ifdef ARCH_TRAMPFD	/* the module exists for this architecture */

#define KFAULT_SLOTS	8192	/* 128 KiB of addresses + 128 KiB of slots */
#define KCALL_SLOTS	3072	/* 192 KiB of stubs + 48 KiB of slots */

_Static_assert(TRAMPFD_NREGS == TRAMP_NREGS, "register sets");
_Static_assert(TRAMPFD_MAX_STACK == TRAMP_CONTEXT_MAX_STACK, "stack words");
_Static_assert(TRAMPFD_MOVE_SP == TRAMP_CONTEXT_MOVE_SP, "flags");

static int kernel_setup(void)
{
	return os_trampfd() < 0 ? -1 : 0;
}

/* The call stubs embed the fd number: tell the module once. */
static int kernel_call_setup(void)
{
	static _Atomic int done;
	int fd = os_trampfd();

	if (fd < 0)
		return -1;
	if (atomic_load(&done))
		return 0;
	if (ioctl(fd, TRAMPFD_IOC_CALL_FD, fd) && errno != EBUSY)
		return -1;
	atomic_store(&done, 1);
	return 0;
}

static void kernel_geometry(struct table *tb)
{
	tb->nslots = KFAULT_SLOTS;
	tb->code_stride = TRAMPFD_STRIDE;
	tb->code_size = (size_t)tb->nslots * tb->code_stride;
}

static void kernel_call_geometry(struct table *tb)
{
	tb->nslots = KCALL_SLOTS;
	tb->code_stride = TRAMPFD_CALL_STRIDE;
	tb->code_size = (size_t)tb->nslots * tb->code_stride;
}

/* Every table maps the same offsets: the module keeps contexts per
   mapping. */
static int kernel_map_code(struct table *tb)
{
	return os_map_code(tb->base, tb->code_size, os_trampfd(), 0) ? 0 : -1;
}

static int kernel_call_map_code(struct table *tb)
{
	return os_map_code(tb->base, tb->code_size, os_trampfd(),
			   (off_t)TRAMPFD_CALL_OFFSET) ? 0 : -1;
}

/* The context slot i stands for, from its pair. */
static void context_of(const struct table *tb, unsigned i,
		       struct trampfd_context *c)
{
	const char *slot = slot_at(tb, i);
	uintptr_t lo, hi;

	arch_load_pair(slot, &lo, &hi);
	memset(c, 0, sizeof(*c));
	switch (tb->kind) {
	case TRAMP_CHAIN:
		c->mask = 1ull << TRAMP_REG_CHAIN;
		c->regs[TRAMP_REG_CHAIN] = lo;
		c->pc = hi;
		break;
	case TRAMP_BIND:
		c->flags = TRAMPFD_SHIFT_ARGS;
		c->mask = 1ull << TRAMP_REG_ARG(0);
		c->regs[TRAMP_REG_ARG(0)] = lo;
		c->pc = hi;
		break;
	case KIND_BIND_SRET:	/* data after the struct-return pointer */
		c->flags = TRAMPFD_SHIFT_ARGS2;
		c->mask = 1ull << TRAMP_REG_ARG(1);
		c->regs[TRAMP_REG_ARG(1)] = lo;
		c->pc = hi;
		break;
	case TRAMP_HANDLER:
		c->mask = 1ull << TRAMP_REG_R11;
		c->regs[TRAMP_REG_R11] = (uintptr_t)slot;
		c->pc = (uintptr_t)tramp_handler_thunk;
		break;
	case TRAMP_CONTEXT: {
		const struct tramp_context *u = (const void *)lo;

		c->mask = u->mask;
		memcpy(c->regs, u->regs, sizeof(c->regs));
		memcpy(c->stack, u->stack, sizeof(c->stack));
		c->nstack = u->nstack;
		c->flags = u->flags;
		c->pc = hi;
		break;
	}
	}
}

static int kernel_publish(struct table *tb, unsigned i)
{
	struct trampfd_set s = { .addr = (uintptr_t)slot_code(tb, i) };

	context_of(tb, i, &s.ctx);
	return ioctl(os_trampfd(), TRAMPFD_IOC_SET, &s) ? -1 : 0;
}

static void kernel_retire(struct table *tb, unsigned i)
{
	uint64_t addr = (uintptr_t)slot_code(tb, i);
	int e = errno;

	ioctl(os_trampfd(), TRAMPFD_IOC_CLEAR, &addr);
	errno = e;
}

const struct backend_ops backend_kernel = {
	.setup = kernel_setup,
	.geometry = kernel_geometry,
	.map_code = kernel_map_code,
	.publish = kernel_publish,
	.retire = kernel_retire,
};

const struct backend_ops backend_kernel_call = {
	.setup = kernel_call_setup,
	.geometry = kernel_call_geometry,
	.map_code = kernel_call_map_code,
	.publish = kernel_publish,
	.retire = kernel_retire,
};
#else
/* No module for this architecture: both backends answer ENOSYS. */
static int kernel_setup(void)
{
	errno = ENOSYS;
	return -1;
}

static void kernel_geometry(struct table *tb)
{
}

static int kernel_map_code(struct table *tb)
{
	errno = ENOSYS;
	return -1;
}

const struct backend_ops backend_kernel = {
	.setup = kernel_setup,
	.geometry = kernel_geometry,
	.map_code = kernel_map_code,
};

const struct backend_ops backend_kernel_call = {
	.setup = kernel_setup,
	.geometry = kernel_geometry,
	.map_code = kernel_map_code,
};
#endif
