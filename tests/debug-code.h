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

/*
 * A frame-pointer function that calls fn(arg) and returns its value:
 *	push %rbp; mov %rsp,%rbp; movabs $fn,%rax; call *%rax; pop %rbp; ret
 * (the argument in %rdi passes through untouched).
 */
static const unsigned char jit_call_cfi[] = {
	0x41, 0x0e, 16,		/* after push: CFA = rsp + 16 */
	0x86, 2,		/* rbp at CFA - 16 */
	0x43, 0x0d, 6,		/* after mov: CFA = rbp + 16 */
	0x4d, 0x0c, 7, 8,	/* after pop: CFA = rsp + 8 */
};
#define JIT_CALL_LEN	18

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
	unsigned char c[JIT_CALL_LEN] = {
		0x55, 0x48, 0x89, 0xe5, 0x48, 0xb8,
	};
	uint64_t a = (uint64_t)(uintptr_t)fn;

	memcpy(c + 6, &a, 8);
	c[14] = 0xff;
	c[15] = 0xd0;
	c[16] = 0x5d;
	c[17] = 0xc3;
	return code_new(c, sizeof(c));
}

#endif
