/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_STATIC: remapped pages of pre-assembled stubs (the default).
 *
 * The stub tables are assembled once into the library's read-only data
 * (src/arch/<arch>/stubs.S).  On first use they are copied into one memfd,
 * which is then sealed against any change, and every table maps the part
 * for its kind read+execute as its code half.  Each stub reaches its slot
 * in the private read-write half with one PC-relative access, so a call
 * costs two predictable indirect jumps (stub to the kind's thunk in the
 * library text, thunk to the target) and one 16-byte load: nanoseconds, no syscall, no signal.
 * No page is ever writable and executable and nothing gains execute through
 * mprotect, so this works under PR_SET_MDWE, MemoryDenyWriteExecute= and
 * SELinux execmem denials.  Slots are private: after fork the child's
 * trampolines are its own.
 *
 * Why a sealed memfd rather than mapping the library file itself: the file
 * may be gone or replaced (package upgrade), may sit on a noexec mount, and
 * a static link puts the tables at an arbitrary file offset; the memfd has
 * none of these problems and costs one copy of 64 KiB per process.
 */
#include <unistd.h>

#include "internal.h"
#include "os.h"

static int stubs_fd = -1;	/* set once by setup, under the table lock */

static int static_setup(void)
{
	int fd = os_memfd("trampjit-stubs");

	if (fd < 0)
		return -1;
	if (os_pwrite_all(fd, arch_stubs, ARCH_STUB_CODE, 0) || os_seal(fd)) {
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
	tb->nslots = ARCH_HDR_SLOT;
	tb->code_stride = ARCH_STUB_STRIDE;
	tb->code_size = ARCH_STUB_CODE;
}

/* Map the stubs as the code half; the header slot names the kind's thunk. */
static int static_map_code(struct table *tb)
{
	static const char *const thunks[NKINDS] = {
		[TRAMP_CHAIN] = tramp_chain_thunk,
		[TRAMP_BIND] = tramp_bind_thunk,
		[KIND_BIND_SRET] = tramp_bind_sret_thunk,
		[TRAMP_HANDLER] = tramp_handler_thunk,
		[TRAMP_CONTEXT] = tramp_context_thunk,
	};

	if (!os_map_code(tb->base, tb->code_size, stubs_fd, 0))
		return -1;
	*(const char **)slot_at(tb, ARCH_HDR_SLOT) = thunks[tb->kind];
	return 0;
}

const struct backend_ops backend_static = {
	.setup = static_setup,
	.geometry = static_geometry,
	.map_code = static_map_code,
};
