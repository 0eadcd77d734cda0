/* SPDX-License-Identifier: MIT */
/*
 * Tooling tests: a small JIT function with its unwind info, made with
 * jit_create_code() (or, where that fails, a read+execute memfd mapping).
 */
#ifndef TRAMPJIT_DEBUG_CODE_H
#define TRAMPJIT_DEBUG_CODE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

static inline void *code_new(const void *src, size_t len)
{
	void *p = jit_create_code(src, len);
	int fd;

	if (p)
		return p;
	fd = memfd_create("debug-test", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(write(fd, src, len) == (ssize_t)len);
	p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	close(fd);
	return p;
}

static inline void *jit_call_new(void *fn)
{
	unsigned char c[JIT_CALL_LEN];

	code_call(c, fn);
	return code_new(c, sizeof(c));
}

#endif
