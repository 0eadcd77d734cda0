/* SPDX-License-Identifier: MIT */
/*
 * RLIMIT_FSIZE without a getrlimit() per write: the library lets the
 * kernel refuse its writes (EFBIG) and takes the SIGXFSZ the kernel sends
 * with them in a handler of its own, which hands every other SIGXFSZ to
 * the disposition the program had.  So, whatever that disposition is:
 *  - the library's failing writes and resizes (JIT code, regions, sealed
 *    files, dual-view buffers; from several threads at once; with the
 *    signal blocked or not) never reach the program's handler, never kill,
 *    and leave nothing pending;
 *  - the program's own writes past the limit and its own raise() still
 *    reach its handler, kill under SIG_DFL (in a child), stay pending when
 *    blocked, and are dropped under SIG_IGN.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "test_arch.h"

static unsigned char ret42[CODE_RET_LEN];
static unsigned char big[3 << 20];
static volatile sig_atomic_t caught;	/* SIGXFSZ seen by the program */
static volatile sig_atomic_t caught_code;

static void on_xfsz(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	caught++;
	caught_code = si->si_code;
}

static void set_fsize(rlim_t cur)
{
	struct rlimit rl;

	CHECK(!getrlimit(RLIMIT_FSIZE, &rl));
	rl.rlim_cur = cur;
	CHECK(!setrlimit(RLIMIT_FSIZE, &rl));
}

static int pending(void)
{
	sigset_t set;

	CHECK(!sigpending(&set));
	return sigismember(&set, SIGXFSZ);
}

/* The program's own write past the limit: EFBIG (and its SIGXFSZ). */
static void own_write_past_limit(void)
{
	int fd = memfd_create("own", MFD_CLOEXEC);
	char c = 1;

	CHECK(fd >= 0);
	errno = 0;
	CHECK(pwrite(fd, &c, 1, 1 << 20) == -1 && errno == EFBIG);
	close(fd);
}

/* Every kind of library write, each failing with EFBIG. */
static void library_writes_fail(void)
{
	void *rx, *rw;

	errno = 0;
	CHECK(!jit_create_code(big, sizeof(big)) && errno == EFBIG);
	errno = 0;
	CHECK(jitfd_create(big, 8192, 0) == -1 && errno == EFBIG);
	errno = 0;
	CHECK(!jit_region_create(1 << 20, JIT_APPEND_PWRITE) &&
	      errno == EFBIG);
	errno = 0;
	rx = jit_dual_alloc(4 << 20, &rw);	/* a run of chunks: a resize */
	CHECK(!rx && errno == EFBIG);
}

static void *thread_writes(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50; i++) {
		errno = 0;
		CHECK(!jit_create_code(big, sizeof(big)) && errno == EFBIG);
	}
	return NULL;
}

/* The program's handler was there first. */
static void with_handler(void)
{
	struct sigaction sa;
	pthread_t t[2];
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_xfsz;
	sa.sa_flags = SA_SIGINFO;
	CHECK(!sigaction(SIGXFSZ, &sa, NULL));
	set_fsize(4096);
	library_writes_fail();
	for (int i = 0; i < 2; i++)
		CHECK(!pthread_create(&t[i], NULL, thread_writes, NULL));
	for (int i = 0; i < 2; i++)
		CHECK(!pthread_join(t[i], NULL));
	CHECK(caught == 0 && !pending());
	own_write_past_limit();
	CHECK(caught == 1 && caught_code == SI_USER);
	raise(SIGXFSZ);
	CHECK(caught == 2);
	/* Blocked: the library leaves nothing pending, the program's own
	   signal stays pending for it. */
	sigemptyset(&set);
	sigaddset(&set, SIGXFSZ);
	CHECK(!pthread_sigmask(SIG_BLOCK, &set, NULL));
	library_writes_fail();
	CHECK(!pending());
	own_write_past_limit();
	CHECK(pending());
	CHECK(!pthread_sigmask(SIG_UNBLOCK, &set, NULL));
	CHECK(caught == 3 && !pending());
	set_fsize(RLIM_INFINITY);
	CHECK(jit_create_code(ret42, sizeof(ret42)));
}

/* In a child whose SIGXFSZ is at SIG_DFL (or SIG_IGN) before the library
   first writes: its own failing writes are harmless, the program's kill
   (or are ignored). */
static void child(int ignore)
{
	struct rlimit core = { 0, 0 };
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0);
	if (!pid) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = ignore ? SIG_IGN : SIG_DFL;
		if (sigaction(SIGXFSZ, &sa, NULL) || setrlimit(RLIMIT_CORE,
							       &core))
			_exit(2);
		set_fsize(4096);
		library_writes_fail();
		if (pending())
			_exit(3);
		own_write_past_limit();		/* dies unless ignored */
		_exit(ignore ? 0 : 4);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (ignore)
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	else
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ);
}

int main(void)
{
	struct sigaction sa;

	code_ret(ret42, 42);
	if (emulated())
		SKIP("%s reads /proc/self/maps for the program through a "
		     "file of its own, which the lowered RLIMIT_FSIZE cuts "
		     "(SIGXFSZ in the emulator)",
		     getenv("TRAMPJIT_TEST_RUNNER"));
	CHECK(!sigaction(SIGXFSZ, NULL, &sa));
	if (sa.sa_handler != SIG_DFL)
		SKIP("SIGXFSZ is not at its default disposition");
	/* The children fork before this process first writes a file. */
	child(0);
	child(1);
	with_handler();
	return 0;
}
