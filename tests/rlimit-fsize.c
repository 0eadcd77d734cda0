/* SPDX-License-Identifier: MIT */
/*
 * RLIMIT_FSIZE: every entry point that writes one of the library's memfds
 * (tramp_create's stub files, jit_create_code, jit_region_create,
 * jitfd_create, the fork snapshot, the jitdump file) fails with EFBIG under
 * a low limit instead of letting the kernel raise SIGXFSZ, whose default
 * action (left in place here) would kill the test; and each works again
 * once the limit is raised.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "test_arch.h"

/* mov $0x2a, %eax; ret */
static unsigned char ret42[CODE_RET_LEN];	/* return 42 */
static unsigned char big[3 << 20];

static long target(void)
{
	return 7;
}

static void set_fsize(rlim_t cur)
{
	struct rlimit rl;

	CHECK(!getrlimit(RLIMIT_FSIZE, &rl));
	rl.rlim_cur = cur;
	CHECK(!setrlimit(RLIMIT_FSIZE, &rl));
}

static struct tramp *create(enum tramp_backend b)
{
	struct tramp_spec spec = {
		.kind = TRAMP_CHAIN, .backend = b, .target = (void *)target,
	};

	return tramp_create(&spec);
}

/* No SIGXFSZ may be left pending either (the test also runs them with
   the signal blocked). */
static void no_sigxfsz_pending(void)
{
	sigset_t set;

	CHECK(!sigpending(&set));
	CHECK(!sigismember(&set, SIGXFSZ));
}

static void under_limit(void)
{
	struct jit_region *r;
	struct tramp *t;

	set_fsize(4096);
	errno = 0;
	CHECK(!create(TRAMP_STATIC) && errno == EFBIG);
	t = create(TRAMP_SYSCALL);	/* stubs are written before seccomp */
	CHECK(!t && (errno == EFBIG || errno == ENOSYS));
	errno = 0;
	CHECK(!jit_create_code(ret42, sizeof(ret42)) && errno == EFBIG);
	errno = 0;
	CHECK(!jit_create_code(big, sizeof(big)) && errno == EFBIG);
	for (int mode = JIT_APPEND_PWRITE; mode <= JIT_APPEND_SWAP; mode++) {
		errno = 0;
		r = jit_region_create(1 << 20, mode);
		CHECK(!r && errno == EFBIG);
	}
	errno = 0;
	CHECK(jitfd_create(big, 8192, 0) == -1 && errno == EFBIG);
	no_sigxfsz_pending();
}

/* A limit lowered after the files exist: writes at higher offsets. */
static void lowered_later(void)
{
	long (*fn)(void) = (long (*)(void))jit_create_code(ret42,
							    sizeof(ret42));
	struct jit_region *r = jit_region_create(1 << 20, JIT_APPEND_PWRITE);
	static unsigned char pad[8192];
	pid_t pid;
	int st;

	CHECK(fn && fn() == 42);
	CHECK(r && jit_region_append(r, ret42, sizeof(ret42)));
	set_fsize(64);
	errno = 0;
	CHECK(!jit_create_code(ret42, sizeof(ret42)) && errno == EFBIG);
	errno = 0;
	CHECK(!jit_region_append(r, pad, sizeof(pad)) && errno == EFBIG);
	CHECK(fn() == 42);
	/* The fork snapshots cannot be written: the parent lives on. */
	pid = fork();
	CHECK(pid >= 0);
	if (!pid)
		_exit(fn() == 42 ? 0 : 1);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      !WEXITSTATUS(st));
	no_sigxfsz_pending();
	set_fsize(RLIM_INFINITY);
	CHECK(jit_region_append(r, pad, sizeof(pad)));
	jit_region_destroy(r);
	CHECK(!jit_destroy_code((void *)fn));
}

/* The jitdump file is written under the limit too. */
static void jitdump_limited(void)
{
	char dir[] = "/tmp/trampjit-fsize-XXXXXX", path[4200];
	long (*fn)(void) = (long (*)(void))jit_create_code(ret42,
							    sizeof(ret42));

	CHECK(fn && mkdtemp(dir));
	CHECK(!setenv("JITDUMPDIR", dir, 1));
	set_fsize(512);
	CHECK(!jit_debug_enable(JIT_DEBUG_JITDUMP));
	errno = 0;
	CHECK(jit_name((void *)fn, 4096, "big name") == -1 && errno == EFBIG);
	set_fsize(RLIM_INFINITY);
	CHECK(!jit_debug_disable(JIT_DEBUG_JITDUMP));
	snprintf(path, sizeof(path), "%s/jit-%d.dump", dir, (int)getpid());
	CHECK(!unlink(path) && !rmdir(dir));
	CHECK(!jit_destroy_code((void *)fn));
}

static void works_again(void)
{
	long (*fn)(void) = (long (*)(void))jit_create_code(ret42,
							    sizeof(ret42));
	struct jit_region *r = jit_region_create(1 << 20, JIT_APPEND_SWAP);
	struct tramp *t = create(TRAMP_STATIC);
	int fd = jitfd_create(big, 8192, 0);

	CHECK(fn && fn() == 42);
	CHECK(r && jit_region_append(r, ret42, sizeof(ret42)));
	CHECK(t && ((long (*)(void))tramp_code(t))() == 7);
	CHECK(fd >= 0);
	close(fd);
	tramp_destroy(t);
	jit_region_destroy(r);
	CHECK(!jit_destroy_code((void *)fn));
}

int main(void)
{
	struct sigaction sa;
	sigset_t set;

	code_ret(ret42, 42);
	if (emulated())
		SKIP("%s reads /proc/self/maps for the program through a "
		     "file of its own, which the lowered RLIMIT_FSIZE cuts "
		     "(SIGXFSZ in the emulator)", getenv("TRAMPJIT_TEST_RUNNER"));
	CHECK(!sigaction(SIGXFSZ, NULL, &sa));
	if (sa.sa_handler != SIG_DFL)
		SKIP("SIGXFSZ is not at its default disposition");
	under_limit();
	set_fsize(RLIM_INFINITY);
	lowered_later();
	jitdump_limited();
	works_again();
	/* Again with SIGXFSZ blocked: nothing may be left pending. */
	sigemptyset(&set);
	sigaddset(&set, SIGXFSZ);
	CHECK(!sigprocmask(SIG_BLOCK, &set, NULL));
	set_fsize(4096);
	errno = 0;
	CHECK(!jit_create_code(big, sizeof(big)) && errno == EFBIG);
	errno = 0;
	CHECK(jitfd_create(big, 8192, 0) == -1 && errno == EFBIG);
	no_sigxfsz_pending();
	return 0;
}
