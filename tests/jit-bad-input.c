/* SPDX-License-Identifier: MIT */
/*
 * Bad input to jit_create_code and jitfd: clear errno, no crash, nothing
 * leaked (the fd count is unchanged), nothing changed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <stdint.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

static unsigned char ret7[CODE_RET_LEN];	/* return 7 */

int main(void)
{
	int fds, fd, p[2];
	void *ok;

	code_ret(ret7, 7);
	ok = jit_create_code(ret7, sizeof(ret7));
	CHECK(ok && ((int (*)(void))ok)() == 7);
	fds = open_fds();
	errno = 0;
	CHECK(jit_create_code(NULL, 16) == NULL && errno == EINVAL);
	CHECK(jit_create_code(ret7, 0) == NULL && errno == EINVAL);
	CHECK(jit_create_code(ret7, SIZE_MAX) == NULL && errno == ENOMEM);
	CHECK(jit_create_code(ret7, (size_t)1 << 40) == NULL &&
	      errno == ENOMEM);
	CHECK(jit_destroy_code((void *)ret7) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code((void *)1) == -1 && errno == EINVAL);

	CHECK(jitfd_create(NULL, CODE_RET_LEN, 0) == -1 && errno == EINVAL);
	CHECK(jitfd_create(ret7, 0, 0) == -1 && errno == EINVAL);
	CHECK(jitfd_create(ret7, CODE_RET_LEN, 0x100) == -1 && errno == EINVAL);
	CHECK(jitfd_create(ret7, SIZE_MAX, 0) == -1 && errno == ENOMEM);
	CHECK(jitfd_map(-1) == NULL && errno == EBADF);
	CHECK(jitfd_map(1000) == NULL && errno == EBADF);
	CHECK(pipe(p) == 0);
	CHECK(jitfd_map(p[0]) == NULL && errno == EINVAL);	/* no seals */
	close(p[0]);
	close(p[1]);
	fd = memfd_create("unsealed", MFD_ALLOW_SEALING);
	CHECK(fd >= 0 && write(fd, ret7, sizeof(ret7)) == sizeof(ret7));
	CHECK(jitfd_map(fd) == NULL && errno == EINVAL);	/* not sealed */
	close(fd);
	CHECK(jitfd_unmap((void *)ret7) == -1 && errno == EINVAL);
	CHECK(jitfd_unmap(ok) == -1 && errno == EINVAL);
	CHECK(open_fds() == fds);

	/* Still works. */
	CHECK(((int (*)(void))ok)() == 7);
	CHECK(jit_destroy_code(ok) == 0);
	fd = jitfd_create(ret7, sizeof(ret7), JITFD_CLOEXEC);
	CHECK(fd >= 0);
	ok = jitfd_map(fd);
	CHECK(ok && ((int (*)(void))ok)() == 7);
	CHECK(jitfd_unmap(ok) == 0);
	close(fd);
	return 0;
}
