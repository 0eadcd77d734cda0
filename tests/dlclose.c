/* SPDX-License-Identifier: MIT */
/*
 * dlopen -> use -> dlclose -> dlopen -> use.  Once used, the shared library
 * has installed process-wide state that points at its code: a SIGTRAP
 * handler (regions), a thread-exit key destructor (slot caches), pthread
 * atfork handlers.  dlclose() must not unmap it (the library is linked
 * with -z nodelete): a thread that used trampolines exits after the
 * dlclose, a foreign int3 is chained to the program's handler through the
 * library's, a fork runs the atfork handlers, and a second dlopen finds
 * everything working, the old trampoline included.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "test_arch.h"

struct api {
	struct tramp *(*create)(const struct tramp_spec *);
	void *(*code)(const struct tramp *);
	void (*destroy)(struct tramp *);
	struct jit_region *(*region_create)(size_t, int);
	void *(*region_append)(struct jit_region *, const void *, size_t);
	void (*region_destroy)(struct jit_region *);
};

static volatile sig_atomic_t traps;
static pthread_barrier_t used, closed;
static struct api api;

/* mov $0x2a, %eax; ret */
static unsigned char ret42[CODE_RET_LEN];	/* return 42 */

static void on_trap(int sig)
{
	(void)sig;
	traps++;
}

static long target(void *data)
{
	return (long)(uintptr_t)data;
}

static void *load(struct api *a)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *h;

	CHECK(n > 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	snprintf(path, sizeof(path), "%s/../libtrampjit.so", exe);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fprintf(stderr, "dlopen: %s\n", dlerror());
	CHECK(h);
	a->create = (struct tramp *(*)(const struct tramp_spec *))
		dlsym(h, "tramp_create");
	a->code = (void *(*)(const struct tramp *))dlsym(h, "tramp_code");
	a->destroy = (void (*)(struct tramp *))dlsym(h, "tramp_destroy");
	a->region_create = (struct jit_region *(*)(size_t, int))
		dlsym(h, "jit_region_create");
	a->region_append = (void *(*)(struct jit_region *, const void *,
				      size_t))dlsym(h, "jit_region_append");
	a->region_destroy = (void (*)(struct jit_region *))
		dlsym(h, "jit_region_destroy");
	CHECK(a->create && a->code && a->destroy && a->region_create &&
	      a->region_append && a->region_destroy);
	return h;
}

static struct tramp *bind(const struct api *a, long v)
{
	struct tramp_spec spec = {
		.kind = TRAMP_BIND, .target = (void *)target,
		.data = (void *)(uintptr_t)v,
	};
	struct tramp *t = a->create(&spec);

	CHECK(t && ((long (*)(void))a->code(t))() == v);
	return t;
}

/* Uses trampolines (its slot cache registers the exit destructor), then
   exits only after the library was closed. */
static void *user(void *arg)
{
	struct tramp *t[40];

	for (int i = 0; i < 40; i++)
		t[i] = bind(&api, i);
	for (int i = 0; i < 40; i++)
		api.destroy(t[i]);
	pthread_barrier_wait(&used);
	pthread_barrier_wait(&closed);
	return arg;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_trap };
	struct jit_region *r;
	struct tramp *old;
	pthread_t th;
	int (*fn)(void);
	pid_t pid;
	int st;
	void *h;

	code_ret(ret42, 42);
	CHECK(!sigaction(SIGTRAP, &sa, NULL));
	CHECK(!pthread_barrier_init(&used, NULL, 2));
	CHECK(!pthread_barrier_init(&closed, NULL, 2));
	h = load(&api);
	old = bind(&api, 5);
	r = api.region_create(4096, JIT_APPEND_PWRITE);	/* SIGTRAP fixup */
	CHECK(r);
	fn = (int (*)(void))api.region_append(r, ret42, sizeof(ret42));
	CHECK(fn && fn() == 42);
	CHECK(!pthread_create(&th, NULL, user, NULL));
	pthread_barrier_wait(&used);

	CHECK(!dlclose(h));
	pthread_barrier_wait(&closed);
	CHECK(!pthread_join(th, NULL));	/* the key destructor ran */
	TEST_FOREIGN_TRAP();		/* the library's handler chains */
	CHECK(traps == 1);
	CHECK(fn() == 42);
	pid = fork();			/* the library's atfork handlers */
	CHECK(pid >= 0);
	if (!pid)
		_exit(fn() == 42 ? 0 : 1);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      !WEXITSTATUS(st));

	h = load(&api);
	CHECK(((long (*)(void))api.code(old))() == 5);
	api.destroy(old);
	api.destroy(bind(&api, 9));
	fn = (int (*)(void))api.region_append(r, ret42, sizeof(ret42));
	CHECK(fn && fn() == 42);
	api.region_destroy(r);
	TEST_FOREIGN_TRAP();
	CHECK(traps == 2);
	CHECK(!dlclose(h));
	return 0;
}
