/* SPDX-License-Identifier: MIT */
/* A TRAMP_HANDLER trampoline standing in for a varargs function: the
   handler sees every argument register and the varargs count in %al. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <trampjit.h>

/* double sum(int n, ...) over n doubles, scaled by *data. */
static void sum(struct tramp_frame *f, void *data)
{
	int n = (int)tramp_arg(f, 0);
	double s = 0;

	for (int i = 0; i < n; i++)
		s += tramp_arg_double(f, (unsigned)i);
	tramp_set_return_double(f, s * *(double *)data);
}

int main(void)
{
	double scale = 10;
	struct tramp_spec spec = {
		.kind = TRAMP_HANDLER, .handler = sum, .data = &scale,
	};
	struct tramp *t = tramp_create(&spec);
	double (*fn)(int, ...);
	void *code;

	if (!t) {
		perror("tramp_create");
		return 1;
	}
	code = tramp_code(t);
	memcpy(&fn, &code, sizeof(fn));	/* see trampjit.h */
	printf("%g\n", fn(3, 1.0, 2.0, 3.5));
	tramp_destroy(t);
	return 0;
}
