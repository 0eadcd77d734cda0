/* SPDX-License-Identifier: MIT */
/*
 * Without the trampjit kernel module: the kernel backends and the kernel
 * JIT mode fail with ENOSYS and leave nothing behind (no descriptor),
 * while the values between the user-space and kernel backends stay
 * invalid (EINVAL).  Skipped where /dev/trampfd exists (kernel-check runs
 * the kernel side).
 */
#include <dirent.h>
#include <unistd.h>
#include "harness.h"

/* Does any descriptor of this process refer to path? */
static int fd_open_on(const char *path)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int hit = 0;

	CHECK(d);
	while ((e = readdir(d))) {
		char link[300], target[256];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			hit |= !strcmp(target, path);
		}
	}
	closedir(d);
	return hit;
}

static const unsigned char ret[] = { 0xc3 };

int main(void)
{
	struct tramp_spec spec = { .kind = TRAMP_CHAIN,
				   .target = (void *)main };

	if (!access("/dev/trampfd", F_OK))
		SKIP("/dev/trampfd exists: the module is loaded");
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
	CHECK(!fd_open_on("/dev/trampfd"));
	fprintf(stderr, "kernel backends absent: ok\n");
	return 0;
}
