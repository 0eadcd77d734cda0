/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_BIND with TRAMP_BIND_SRET binds functions that return a struct in
 * memory: the hidden result pointer stays in the first register, data
 * becomes the first visible argument, up to four more integer arguments
 * and any doubles pass; on every backend.  Misuse is EINVAL.
 */
#include <stdint.h>
#include "harness.h"

struct big {
	long v[5];
};

struct ctx {
	long base;
};

/* Returned in memory (40 bytes): %rdi is the result pointer. */
static struct big fill(struct ctx *c, long a, long b, long d, long e)
{
	struct big r = { { c->base, a, b, d, e } };

	return r;
}

static struct big scaled(struct ctx *c, double x, long a, double y)
{
	struct big r = { { c->base, (long)(x * 10), a, (long)(y * 10), 0 } };

	return r;
}

static struct tramp *make_sret(enum tramp_backend b, void *target,
			       void *data)
{
	struct tramp_spec spec = {
		.kind = TRAMP_BIND, .backend = b, .target = target,
		.data = data, .flags = TRAMP_BIND_SRET,
	};
	struct tramp *t = tramp_create(&spec);

	CHECK(t);
	return t;
}

static void run(enum tramp_backend b)
{
	struct ctx one = { 100 }, two = { 200 };
	struct tramp *t = make_sret(b, (void *)fill, &one);
	struct big (*fn)(long, long, long, long) =
		(struct big (*)(long, long, long, long))tramp_code(t);
	struct big (*fs)(double, long, double);
	struct big r;

	CHECK(tramp_kind_of(t) == TRAMP_BIND);
	CHECK(tramp_backend_of(t) == (int)b);
	CHECK(tramp_lookup(tramp_code(t)) == t);
	r = fn(1, 2, 3, 4);
	CHECK(r.v[0] == 100 && r.v[1] == 1 && r.v[2] == 2 && r.v[3] == 3 &&
	      r.v[4] == 4);
	CHECK(one.base == 100);		/* data was not written over */
	CHECK(tramp_retarget(t, (void *)fill, &two) == 0);
	r = fn(5, 6, 7, 8);
	CHECK(r.v[0] == 200 && r.v[1] == 5 && r.v[4] == 8);
	tramp_destroy(t);

	t = make_sret(b, (void *)scaled, &two);
	fs = (struct big (*)(double, long, double))tramp_code(t);
	r = fs(1.5, 9, 2.5);
	CHECK(r.v[0] == 200 && r.v[1] == 15 && r.v[2] == 9 && r.v[3] == 25);
	tramp_destroy(t);
	fprintf(stderr, "bind sret on %s: ok\n", backend_names[b]);
}

static void misuse(void)
{
	static const enum tramp_kind others[] = {
		TRAMP_CHAIN, TRAMP_HANDLER, TRAMP_CONTEXT,
	};
	struct tramp_context c = { .pc = (void *)fill };
	struct tramp_spec spec = {
		.target = (void *)fill,
		.handler = (tramp_handler_fn *)(void *)fill,
		.context = &c,
	};

	for (unsigned i = 0; i < 3; i++) {
		spec.kind = others[i];
		spec.flags = TRAMP_BIND_SRET;
		errno = 0;
		CHECK(tramp_create(&spec) == NULL && errno == EINVAL);
		spec.flags = 0;		/* the same spec is fine without */
		struct tramp *t = tramp_create(&spec);
		CHECK(t);
		tramp_destroy(t);
	}
	spec.kind = TRAMP_BIND;
	for (unsigned bit = 1; bit < 32; bit++) {
		spec.flags = 1u << bit;
		errno = 0;
		CHECK(tramp_create(&spec) == NULL && errno == EINVAL);
	}
	spec.flags = TRAMP_BIND_SRET;
	spec.target = NULL;
	errno = 0;
	CHECK(tramp_create(&spec) == NULL && errno == EINVAL);
}

int main(void)
{
	misuse();
	for_each_backend(run);
	return 0;
}
