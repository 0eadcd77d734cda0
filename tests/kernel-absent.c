/* SPDX-License-Identifier: MIT */
/*
 * Without the trampjit kernel module: the kernel backends and the kernel
 * JIT mode fail with ENOSYS and leave nothing behind (no fd, no mapping),
 * while the values between the user-space and kernel backends stay
 * invalid (EINVAL).  Skipped where /dev/trampfd exists (kernel-check runs
 * the kernel side).
 */
#include <unistd.h>
#include "harness.h"

static const unsigned char ret[] = { 0xc3 };

int main(void)
{
	struct tramp_spec spec = { .kind = TRAMP_CHAIN,
				   .target = (void *)main };
	int fds;

	if (!access("/dev/trampfd", F_OK))
		SKIP("/dev/trampfd exists: the module is loaded");
	fds = open_fds();
	spec.backend = TRAMP_KERNEL;
	CHECK(tramp_create(&spec) == NULL && errno == ENOSYS);
	spec.backend = TRAMP_KERNEL_CALL;
	CHECK(tramp_create(&spec) == NULL && errno == ENOSYS);
	for (int b = TRAMP_MPROTECT + 1; b < TRAMP_KERNEL; b++) {
		spec.backend = (enum tramp_backend)b;
		CHECK(tramp_create(&spec) == NULL && errno == EINVAL);
	}
	spec.backend = (enum tramp_backend)(TRAMP_KERNEL_CALL + 1);
	CHECK(tramp_create(&spec) == NULL && errno == EINVAL);
	CHECK(jit_set_code_mode(JIT_APPEND_KERNEL) == -1 && errno == ENOSYS);
	CHECK(jit_set_code_mode(JIT_APPEND_SWAP + 1) == -1 && errno == EINVAL);
	CHECK(jit_region_create(4096, JIT_APPEND_KERNEL) == NULL &&
	      errno == ENOSYS);
	CHECK(jit_region_create(4096, JIT_APPEND_SWAP + 1) == NULL &&
	      errno == EINVAL);
	/* The default path is untouched. */
	void *c = jit_create_code(ret, sizeof(ret));
	CHECK(c != NULL);
	CHECK(jit_destroy_code(c) == 0);
	CHECK(jit_destroy_code((void *)ret) == -1 && errno == EINVAL);
	CHECK(open_fds() == fds + 1);	/* the code heap's memfd only */
	fprintf(stderr, "kernel backends absent: ok\n");
	return 0;
}
