/* SPDX-License-Identifier: MIT */
/*
 * JIT_APPEND_KERNEL: jit_create_code() objects made by the module (each
 * its own read+execute mapping of /dev/trampfd, never writable, freed by
 * jit_destroy_code()); kernel regions (appends across pages, full region,
 * bad input, a fork child owning its copy); and the module's int3 fixup:
 * a thread that runs a region page's old filler after the new page is in
 * place is rewound and runs the new code, without a signal.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include "harness.h"
#include "trampfd.h"

#define PAGE	4096

static int tfd;

/* mov $v, %eax; ret, padded to n bytes with nops in front. */
static void ret_code(unsigned char *p, size_t n, uint32_t v)
{
	memset(p, 0x90, n);
	p[n - 6] = 0xb8;
	memcpy(p + n - 5, &v, 4);
	p[n - 1] = 0xc3;
}

static int call(const void *code) { return ((int (*)(void))code)(); }

/* The /proc/self/maps permissions of the mapping holding p, or "". */
static const char *perms(const void *p)
{
	static char out[8];
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	out[0] = 0;
	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, out) == 3 &&
		    (uintptr_t)p >= lo && (uintptr_t)p < hi)
			break;
		out[0] = 0;
	}
	fclose(f);
	return out;
}

static void objects(void)
{
	unsigned char big[3 * PAGE + 100];
	char *c, *b;
	int mem;

	CHECK(jit_set_code_mode(JIT_APPEND_KERNEL) == JIT_APPEND_PWRITE);
	ret_code(big, 16, 42);
	c = jit_create_code(big, 16);
	CHECK(c && call(c) == 42);
	CHECK(((uintptr_t)c & (PAGE - 1)) == 0);
	CHECK(!strcmp(perms(c), "r-xs"));
	CHECK(!memcmp(c, big, 16) && (unsigned char)c[16] == 0xcc);
	CHECK(mprotect(c, PAGE, PROT_READ | PROT_WRITE) == -1 &&
	      errno == EACCES);
	mem = open("/proc/self/mem", O_RDWR);
	CHECK(mem >= 0);
	CHECK(pwrite(mem, "x", 1, (off_t)(uintptr_t)c) == -1);
	close(mem);
	CHECK(call(c) == 42);
	/* Several pages, every byte as given. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	ret_code(big + sizeof(big) - 32, 32, 7);
	b = jit_create_code(big, sizeof(big));
	CHECK(b && !memcmp(b, big, sizeof(big)));
	CHECK(call(b + sizeof(big) - 32) == 7);
	/* Destroy: gone, once. */
	CHECK(jit_destroy_code(c) == 0);
	CHECK(perms(c)[0] == 0);
	CHECK(jit_destroy_code(c) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code(b + PAGE) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code(big) == -1 && errno == EINVAL);
	CHECK(jit_destroy_code(b) == 0);
	CHECK(jit_create_code(NULL, 5) == NULL && errno == EINVAL);
	CHECK(jit_create_code(big, (64u << 20) + 1) == NULL &&
	      errno == ENOMEM);
	CHECK(jit_create_code((void *)16, 5) == NULL && errno == EFAULT);
	CHECK(jit_set_code_mode(JIT_APPEND_PWRITE) == JIT_APPEND_KERNEL);
}

static void regions(void)
{
	struct jit_region *r = jit_region_create(3 * PAGE, JIT_APPEND_KERNEL);
	unsigned char code[PAGE + 300];
	char *first = NULL, *p;

	CHECK(r);
	for (uint32_t k = 0; k < 5; k++) {
		size_t n = k == 2 ? sizeof(code) : 100 + k;

		ret_code(code, n, k);
		p = jit_region_append(r, code, n);
		CHECK(p);
		CHECK(((uintptr_t)p & (JIT_REGION_ALIGN - 1)) == 0);
		CHECK(!strcmp(perms(p), "r-xs"));
		if (!first)
			first = p;
		CHECK(call(p + n - 6) == (int)k);
		CHECK(call(first + 100 - 6) == 0);	/* old code runs */
	}
	CHECK(jit_region_append(r, code, 2 * PAGE) == NULL &&
	      errno == ENOMEM);
	CHECK(jit_region_append(r, NULL, 4) == NULL && errno == EINVAL);
	CHECK(jit_region_append(r, (void *)16, 4) == NULL && errno == EFAULT);
	ret_code(code, 8, 99);
	p = jit_region_append(r, code, 8);	/* still usable */
	CHECK(p && call(p + 2) == 99);
	CHECK(jit_region_create(65u << 20, JIT_APPEND_KERNEL) == NULL &&
	      errno == ENOMEM);
	jit_region_destroy(r);
	CHECK(perms(first)[0] == 0);
}

/* A fork child owns a copy: appends on either side stay on that side. */
static void fork_copy(void)
{
	struct jit_region *r = jit_region_create(PAGE, JIT_APPEND_KERNEL);
	unsigned char code[16];
	int to_child[2], to_parent[2], st;
	char *a, *p, x;
	pid_t pid;

	CHECK(r && pipe(to_child) == 0 && pipe(to_parent) == 0);
	ret_code(code, 16, 1);
	a = jit_region_append(r, code, 16);
	CHECK(a && call(a + 10) == 1);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		ret_code(code, 16, 2);
		p = jit_region_append(r, code, 16);
		CHECK(p == a + 16 && call(p + 10) == 2);
		CHECK(write(to_parent[1], "x", 1) == 1);
		CHECK(read(to_child[0], &x, 1) == 1);
		CHECK(call(p + 10) == 2 && call(a + 10) == 1);
		_exit(0);
	}
	CHECK(read(to_parent[0], &x, 1) == 1);
	CHECK((unsigned char)a[16] == 0xcc);	/* not the child's */
	ret_code(code, 16, 3);
	p = jit_region_append(r, code, 16);
	CHECK(p == a + 16 && call(p + 10) == 3);
	CHECK(write(to_child[1], "x", 1) == 1);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
	jit_region_destroy(r);
	close(to_child[0]); close(to_child[1]);
	close(to_parent[0]); close(to_parent[1]);
}

/* ---- the int3 fixup ----------------------------------------------------- */

static char *volatile target;
static atomic_int early, go, result;

/* Before the append the filler is a real breakpoint: wait and retry. */
static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	if ((char *)uc->uc_mcontext.gregs[REG_RIP] - 1 == target) {
		uc->uc_mcontext.gregs[REG_RIP]--;
		atomic_fetch_add(&early, 1);
		return;
	}
	abort();
}

static void *runner(void *arg)
{
	atomic_store(&go, 1);
	atomic_store(&result, call(target));
	return NULL;
}

static void set_delay(const char *us)
{
	int f = open("/sys/module/trampfd/parameters/swap_delay_us", O_WRONLY);

	CHECK(f >= 0);
	CHECK(write(f, us, strlen(us)) == (ssize_t)strlen(us));
	close(f);
}

static void fixup(void)
{
	struct sigaction sa = { .sa_sigaction = on_trap,
				.sa_flags = SA_SIGINFO }, old;
	struct jit_region *r = jit_region_create(PAGE, JIT_APPEND_KERNEL);
	struct trampfd_info before, after;
	unsigned char code[16];
	pthread_t t;
	char *p;

	CHECK(r);
	ret_code(code, 16, 5);
	p = jit_region_append(r, code, 16);	/* the region's page is live */
	CHECK(p && call(p + 10) == 5);
	target = p + 16;			/* filler, for now */
	CHECK(sigaction(SIGTRAP, &sa, &old) == 0);
	CHECK(pthread_create(&t, NULL, runner, NULL) == 0);
	while (!atomic_load(&go) || atomic_load(&early) < 10)
		sched_yield();
	CHECK(ioctl(tfd, TRAMPFD_IOC_INFO, &before) == 0);
	set_delay("200000");	/* 0.2 s between swap and flush */
	ret_code(code, 16, 77);
	CHECK(jit_region_append(r, code, 16) == target);
	set_delay("0");
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(atomic_load(&result) == 77);
	CHECK(ioctl(tfd, TRAMPFD_IOC_INFO, &after) == 0);
	fprintf(stderr, "fixup: %d early traps, %llu fixups\n",
		atomic_load(&early),
		(unsigned long long)(after.bp_fixups - before.bp_fixups));
	CHECK(after.bp_fixups > before.bp_fixups);
	CHECK(after.page_swaps > before.page_swaps);
	CHECK(sigaction(SIGTRAP, &old, NULL) == 0);
	jit_region_destroy(r);
}

int main(void)
{
	tfd = open(TRAMPFD_PATH, O_RDWR);
	if (tfd < 0)
		SKIP("%s: %s (module not loaded)", TRAMPFD_PATH,
		     strerror(errno));
	objects();
	regions();
	fork_copy();
	fixup();
	fprintf(stderr, "kernel JIT: ok\n");
	return 0;
}
