/* SPDX-License-Identifier: MIT */
/* Getters and co-allocated data: tramp_target() and tramp_data() report
   what create and retarget set; data_size gives each trampoline private,
   zeroed memory of its own that calls see, that fork children copy, that
   tramp_lookup_data() maps back, and that retarget cannot lose. */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

struct counter {
	long hits;
	long add;
};

static long bump(void *data, long x)
{
	struct counter *c = data;

	c->hits++;
	return x + c->add;
}

static long bump_twice(void *data, long x)
{
	return bump(data, x) + bump(data, 0);
}

static void on_call(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, (uintptr_t)bump(data, (long)tramp_arg(f, 0)));
}

extern uintptr_t chain_target_reg(void);

static void getters(enum tramp_backend b)
{
	long x = 0, y = 0;
	struct tramp *t = make(TRAMP_BIND, b, (void *)bump, &x);
	struct tramp_context ctx = { .pc = (void *)bump };
	struct tramp_spec spec = {
		.kind = TRAMP_CONTEXT, .backend = b, .context = &ctx,
	};

	CHECK(tramp_target(t) == (void *)bump);
	CHECK(tramp_data(t) == &x);
	CHECK(tramp_retarget(t, (void *)bump_twice, &y) == 0);
	CHECK(tramp_target(t) == (void *)bump_twice);
	CHECK(tramp_data(t) == &y);
	errno = 0;
	CHECK(tramp_retarget(t, (void *)bump, NULL) == 0);
	CHECK(tramp_data(t) == NULL && errno == 0);
	tramp_destroy(t);

	t = make(TRAMP_HANDLER, b, (void *)on_call, &x);
	CHECK(tramp_target(t) == (void *)on_call);
	CHECK(tramp_data(t) == &x);
	tramp_destroy(t);

	t = tramp_create(&spec);
	CHECK(t);
	CHECK(tramp_target(t) == (void *)bump);
	CHECK(tramp_data(t) == NULL);
	tramp_destroy(t);
}

static struct tramp *make_data(enum tramp_kind k, enum tramp_backend b,
			       void *target, size_t size)
{
	return make_sized(k, b, target, NULL, size);
}

/* size bytes at d are zero and writable. */
static void fresh(const unsigned char *d, size_t size)
{
	CHECK(d && (uintptr_t)d % 16 == 0);
	for (size_t i = 0; i < size; i++)
		CHECK(d[i] == 0);
	memset((void *)d, 0xa5, size);
}

static void coalloc(enum tramp_backend b)
{
	static const size_t sizes[] = { 1, 16, 56, 64, 65, 200, 256 };
	struct tramp *t[7], *u;
	struct counter *c;

	/* Every size, every kind that has data; distinct, zeroed areas. */
	for (int i = 0; i < 7; i++) {
		t[i] = make_data(TRAMP_BIND, b, (void *)bump, sizes[i]);
		fresh(tramp_data(t[i]), sizes[i]);
		CHECK(tramp_lookup_data(tramp_data(t[i])) == t[i]);
	}
	for (int i = 0; i < 7; i++)
		for (int j = 0; j < 7; j++)
			CHECK(i == j || tramp_data(t[i]) != tramp_data(t[j]));
	for (int i = 0; i < 7; i++)
		tramp_destroy(t[i]);
	/* Recycled slots come back zeroed. */
	for (int i = 0; i < 7; i++) {
		t[i] = make_data(TRAMP_HANDLER, b, (void *)on_call, sizes[i]);
		fresh(tramp_data(t[i]), sizes[i]);
	}
	for (int i = 0; i < 7; i++)
		tramp_destroy(t[i]);

	/* Calls see the co-allocated data. */
	u = make_data(TRAMP_BIND, b, (void *)bump, sizeof(*c));
	c = tramp_data(u);
	c->add = 40;
	CHECK(((long (*)(long))tramp_code(u))(2) == 42 && c->hits == 1);
	u = make_data(TRAMP_HANDLER, b, (void *)on_call, sizeof(*c));
	c = tramp_data(u);
	c->add = 1;
	CHECK(((long (*)(long))tramp_code(u))(2) == 3 && c->hits == 1);
	tramp_destroy(u);
	u = make_data(TRAMP_CHAIN, b, (void *)chain_target_reg, 64);
	CHECK(((uintptr_t (*)(void))tramp_code(u))() ==
	      (uintptr_t)tramp_data(u));

	/* Retarget keeps the area: NULL or the area itself, nothing else. */
	CHECK(tramp_retarget(u, (void *)bump, NULL) == 0);
	c = tramp_data(u);
	CHECK(tramp_lookup_data(c) == u);
	CHECK(tramp_retarget(u, (void *)bump_twice, c) == 0);
	CHECK(tramp_data(u) == c && tramp_target(u) == (void *)bump_twice);
	CHECK(tramp_retarget(u, (void *)bump, &b) == -1 && errno == EINVAL);
	CHECK(tramp_data(u) == c && tramp_target(u) == (void *)bump_twice);
	tramp_destroy(u);
	CHECK(tramp_lookup_data(c) == NULL && errno == EINVAL);
}

/* The area is private memory: a child writes its copy, the parent's
   stays as it was. */
static void forked(void)
{
	struct tramp *t = make_data(TRAMP_BIND, TRAMP_STATIC, (void *)bump,
				    sizeof(struct counter));
	struct counter *c = tramp_data(t);
	long (*fn)(long) = (long (*)(long))tramp_code(t);
	int status;
	pid_t pid;

	c->add = 5;
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		c->add = 1000;
		_exit(fn(1) == 1001 && c->hits == 1 ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(c->add == 5 && c->hits == 0 && fn(1) == 6);
	tramp_destroy(t);
}

static void bad_input(void)
{
	long x;
	struct tramp_spec spec = {
		.kind = TRAMP_BIND, .target = (void *)bump,
		.data_size = TRAMP_DATA_MAX + 1,
	};
	struct tramp_context ctx = { .pc = (void *)bump };
	struct tramp *t;

	CHECK(!tramp_create(&spec) && errno == EINVAL);
	spec.data_size = (size_t)-1;
	CHECK(!tramp_create(&spec) && errno == EINVAL);
	spec.data_size = 8;
	spec.data = &x;
	CHECK(!tramp_create(&spec) && errno == EINVAL);
	spec = (struct tramp_spec){ .kind = TRAMP_CONTEXT, .context = &ctx,
				    .data_size = 8 };
	CHECK(!tramp_create(&spec) && errno == EINVAL);

	CHECK(!tramp_target(NULL) && errno == EINVAL);
	CHECK(!tramp_data(NULL) && errno == EINVAL);
	CHECK(!tramp_target((struct tramp *)&x) && errno == EINVAL);
	CHECK(!tramp_data((struct tramp *)&x) && errno == EINVAL);
	CHECK(!tramp_lookup_data(NULL) && errno == EINVAL);
	CHECK(!tramp_lookup_data(&x) && errno == EINVAL);

	/* Dead handles, interior and foreign data addresses. */
	t = make_data(TRAMP_BIND, TRAMP_STATIC, (void *)bump, 64);
	char *d = tramp_data(t);
	CHECK(!tramp_lookup_data(d + 16) && errno == EINVAL);
	CHECK(!tramp_lookup_data(tramp_code(t)) && errno == EINVAL);
	CHECK(!tramp_lookup_data(t) && errno == EINVAL);
	tramp_destroy(t);
	CHECK(!tramp_target(t) && errno == EINVAL);
	CHECK(!tramp_data(t) && errno == EINVAL);
	t = make(TRAMP_BIND, TRAMP_STATIC, (void *)bump, &x);
	CHECK(!tramp_lookup_data(tramp_data(t)) && errno == EINVAL);
	tramp_destroy(t);
}

/* Thousands of co-allocated trampolines: more than one table per class,
   each area still its own. */
static void many(void)
{
	enum { N = 9000 };
	static struct tramp *t[N];

	for (int i = 0; i < N; i++) {
		t[i] = make_data(TRAMP_BIND, TRAMP_STATIC, (void *)bump,
				 i % 2 ? 256 : 48);
		((struct counter *)tramp_data(t[i]))->add = i;
	}
	for (int i = 0; i < N; i++) {
		CHECK(((long (*)(long))tramp_code(t[i]))(0) == i);
		CHECK(tramp_lookup_data(tramp_data(t[i])) == t[i]);
	}
	for (int i = 0; i < N; i++)
		tramp_destroy(t[i]);
}

int main(void)
{
	for_each_backend(getters);
	for_each_backend(coalloc);
	forked();
	bad_input();
	many();
	return 0;
}
