/* SPDX-License-Identifier: MIT */
/* A program built against an installed trampjit (tests/install.sh): one
   trampoline and one piece of JIT code, called; prints "ok". */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <trampjit.h>

static int add(void *data, int x)
{
	return x + *(int *)data;
}

int main(void)
{
#if defined(__x86_64__)
	static const unsigned char ret42[] = {	/* mov $42, %eax; ret */
		0xb8, 42, 0, 0, 0, 0xc3,
	};
#elif defined(__aarch64__)
	static const uint32_t ret42[] = {	/* bti c; mov w0, #42; ret */
		0xd503245f, 0x52800540, 0xd65f03c0,
	};
#elif defined(__riscv)
	static const uint32_t ret42[] = {	/* li a0, 42; ret */
		0x02a00513, 0x00008067,
	};
#endif
	int five = 5;
	struct tramp_spec spec = { TRAMP_BIND, TRAMP_STATIC, 0, 0, 0, 0, 0 };
	int (*fn)(int);
	int (*jit)(void);
	struct tramp *t;
	void *code;

	/* Object and function pointers convert through memcpy (ISO C). */
	int (*target)(void *, int) = add;
	memcpy(&spec.target, &target, sizeof(spec.target));
	spec.data = &five;
	t = tramp_create(&spec);
	if (!t) {
		perror("tramp_create");
		return 1;
	}
	code = tramp_code(t);
	memcpy(&fn, &code, sizeof(fn));
	code = jit_create_code(ret42, sizeof(ret42));
	if (!code) {
		perror("jit_create_code");
		return 1;
	}
	memcpy(&jit, &code, sizeof(jit));
	if (fn(37) != 42 || jit() != 42) {
		fprintf(stderr, "wrong results\n");
		return 1;
	}
	jit_destroy_code(code);
	tramp_destroy(t);
	puts("ok");
	return 0;
}
