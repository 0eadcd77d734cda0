/* SPDX-License-Identifier: MIT */
/*
 * Freeing named code drops its name: after jit_destroy_code,
 * tramp_destroy or jitfd_unmap the name is gone (jit_unname: ENOENT), so
 * a later object at the same address is not shown under a stale name.
 */
#include <stdint.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

static unsigned char ret5[CODE_RET_LEN];	/* return 5 */

static long f(long x) { return x; }

int main(void)
{
	struct tramp_spec spec = { .kind = TRAMP_CHAIN, .target = (void *)f };
	struct tramp *t;
	void *c;
	int fd;

	code_ret(ret5, 5);
	c = jit_create_code(ret5, sizeof(ret5));
	CHECK(c && jit_name(c, sizeof(ret5), "short_lived") == 0);
	CHECK(jit_destroy_code(c) == 0);
	CHECK(jit_unname(c) == -1 && errno == ENOENT);
	/* A failed destroy keeps the name. */
	c = jit_create_code(ret5, sizeof(ret5));
	CHECK(c && jit_name(c, sizeof(ret5), "kept") == 0);
	CHECK(jit_destroy_code((char *)c + 1) == -1 && errno == EINVAL);
	CHECK(jit_unname(c) == 0);
	CHECK(jit_destroy_code(c) == 0);

	t = tramp_create(&spec);
	CHECK(t && tramp_name(t, "named trampoline") == 0);
	c = tramp_code(t);
	tramp_destroy(t);
	CHECK(jit_unname(c) == -1 && errno == ENOENT);

	fd = jitfd_create(ret5, sizeof(ret5), JITFD_CLOEXEC);
	CHECK(fd >= 0);
	c = jitfd_map(fd);
	CHECK(c && jit_name(c, sizeof(ret5), "sealed") == 0);
	CHECK(jitfd_unmap(c) == 0);
	CHECK(jit_unname(c) == -1 && errno == ENOENT);
	close(fd);
	return 0;
}
