/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_STATIC: remapped pages of pre-assembled stubs (the default).
 *
 * The stub tables are assembled once into the library's read-only data
 * (src/arch/<arch>/stubs.S).  On first use they are copied into one memfd,
 * which is then sealed against any change, and every table maps the part
 * for its kind read+execute as its code half.  Each stub reaches its slot
 * in the private read-write half with one PC-relative access, so a call
 * costs one load and one indirect jump: nanoseconds, no syscall, no signal.
 * No page is ever writable and executable and nothing gains execute through
 * mprotect, so this works under PR_SET_MDWE, MemoryDenyWriteExecute= and
 * SELinux execmem denials.  Slots are private: after fork the child's
 * trampolines are its own.
 *
 * Why a sealed memfd rather than mapping the library file itself: the file
 * may be gone or replaced (package upgrade), may sit on a noexec mount, and
 * a static link puts the tables at an arbitrary file offset; the memfd has
 * none of these problems and costs one copy of 384 KiB per process.
 */
#include <unistd.h>

#include "internal.h"
#include "os.h"

/* Offsets of the three stub tables in the memfd. */
#define OFF_CHAIN	0
#define OFF_BIND	(OFF_CHAIN + ARCH_CHAIN_CODE)
#define OFF_THUNK	(OFF_BIND + ARCH_BIND_CODE)
#define STUBS_SIZE	(OFF_THUNK + ARCH_THUNK_CODE)

static int stubs_fd = -1;	/* set once by setup, under the table lock */

static int static_setup(void)
{
	int fd = os_memfd("trampjit-stubs");

	if (fd < 0)
		return -1;
	if (os_pwrite_all(fd, arch_chain_stubs, ARCH_CHAIN_CODE, OFF_CHAIN) ||
	    os_pwrite_all(fd, arch_bind_stubs, ARCH_BIND_CODE, OFF_BIND) ||
	    os_pwrite_all(fd, arch_thunk_stubs, ARCH_THUNK_CODE, OFF_THUNK) ||
	    os_seal(fd)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	stubs_fd = fd;
	return 0;
}

static void static_geometry(struct table *tb)
{
	tb->nslots = ARCH_TABLE_SLOTS;
	switch (tb->kind) {
	case TRAMP_CHAIN:
		tb->code_stride = ARCH_CHAIN_STRIDE;
		tb->data_stride = SLOT_PAIR_SIZE;
		break;
	case TRAMP_BIND:
		tb->code_stride = ARCH_BIND_STRIDE;
		tb->data_stride = SLOT_PAIR_SIZE;
		break;
	default:
		tb->code_stride = ARCH_THUNK_STRIDE;
		tb->data_stride = SLOT_THUNK_SIZE;
		break;
	}
	tb->code_size = (size_t)tb->nslots * tb->code_stride;
}

/* Map the kind's stubs as the code half; thunk slots get their thunk. */
static int static_map_code(struct table *tb)
{
	off_t off = tb->kind == TRAMP_CHAIN ? OFF_CHAIN :
		    tb->kind == TRAMP_BIND ? OFF_BIND : OFF_THUNK;
	const void *thunk = tb->kind == TRAMP_HANDLER ? tramp_handler_thunk :
			    tramp_context_thunk;

	if (!os_map_code(tb->base, tb->code_size, stubs_fd, off))
		return -1;
	if (tb->data_stride == SLOT_THUNK_SIZE)
		for (unsigned i = 0; i < tb->nslots; i++)
			*(const void **)(slot_at(tb, i) + SLOT_THUNK_OFF) =
				thunk;
	return 0;
}

const struct backend_ops backend_static = {
	.setup = static_setup,
	.geometry = static_geometry,
	.map_code = static_map_code,
};
