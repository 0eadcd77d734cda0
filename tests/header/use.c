/* SPDX-License-Identifier: MIT */
/* Compiled as C and C++ in every standard the header supports, with
   -pedantic -Werror (make check-header): the header is valid there and
   tramp_jump() is known not to return (else -Wreturn-type fires). */
#include <trampjit.h>

int jump_away(const struct tramp_context *ctx);

int jump_away(const struct tramp_context *ctx)
{
	tramp_jump(ctx);
}
