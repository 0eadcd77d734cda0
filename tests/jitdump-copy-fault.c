/* SPDX-License-Identifier: MIT */
/*
 * The jitdump publisher copies code that may stop being readable under it
 * (the program protects or unmaps its own mapping; another thread frees
 * code between jit_unname and the unmap): jit_name() then answers 0,
 * EINVAL or EFAULT and the process never crashes.  Both cases run twice:
 * with process_vm_readv, and in a child where a seccomp filter makes it
 * ENOSYS, as qemu-user 7.2 always does, so the library's fallback copy
 * runs (checking the pages with mincore and then calling memcpy faulted on
 * a page made PROT_NONE, and raced with unmaps).
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define LEN	(256 << 10)	/* long copies and unmaps: wide windows */
#define MAPS	400
#define NAMES	64		/* at most, each a LEN record in the file */

static unsigned char code[LEN];
static _Atomic(void *) latest;
static atomic_int done;

/*
 * Maps the sealed code, reads all of it (so the unmap has pages to tear
 * down), unmaps it, over and over.  jitfd_unmap() drops the names first,
 * under the lock the namer holds while it copies, then unmaps: a name that
 * takes the lock in between copies code that goes away under it.
 */
static void *unmapper(void *arg)
{
	int fd = *(int *)arg;
	unsigned sum = 0;

	for (int i = 0; i < MAPS && !atomic_load(&done); i++) {
		unsigned char *c = jitfd_map(fd);

		CHECK(c);
		CHECK(((int (*)(void))c)() == 5);
		for (size_t o = 0; o < LEN; o += 4096)
			sum += c[o];
		atomic_store(&latest, c);
		CHECK(jitfd_unmap(c) == 0);
	}
	atomic_store(&done, 1);
	return (void *)(uintptr_t)sum;
}

/* Names whatever was mapped last, again and again, as it comes and
   goes. */
static void race(const char *how)
{
	char dir[] = "/tmp/trampjit-jitdump-unmap-XXXXXX", path[128];
	unsigned named = 0, invalid = 0, fault = 0;
	pthread_t t;
	int fd;

	CHECK(mkdtemp(dir));
	CHECK(setenv("JITDUMPDIR", dir, 1) == 0);
	CHECK(jit_debug_enable(JIT_DEBUG_JITDUMP) == 0);
	fd = jitfd_create(code, sizeof(code), JITFD_CLOEXEC);
	CHECK(fd >= 0);
	atomic_store(&latest, NULL);
	atomic_store(&done, 0);
	CHECK(pthread_create(&t, NULL, unmapper, &fd) == 0);
	while (!atomic_load(&done)) {
		void *c = atomic_load(&latest);

		if (!c)
			continue;
		if (jit_name(c, LEN, "unmap_race") == 0) {
			jit_unname(c);
			if (++named == NAMES)
				atomic_store(&done, 1);
		} else {
			CHECK(errno == EINVAL || errno == EFAULT);
			invalid += errno == EINVAL;
			fault += errno == EFAULT;
		}
	}
	CHECK(pthread_join(t, NULL) == 0);
	close(fd);
	CHECK(jit_debug_disable(JIT_DEBUG_JITDUMP) == 0);
	fprintf(stderr, "%s: %u named, %u gone before (EINVAL), %u during "
		"the copy (EFAULT)\n", how, named, invalid, fault);
	snprintf(path, sizeof(path), "%s/jit-%d.dump", dir, (int)getpid());
	CHECK(unlink(path) == 0);
	CHECK(rmdir(dir) == 0);
}

/*
 * A mapping of the program's own, named once (the library caches that it
 * is readable code), then made PROT_NONE on its second page by the
 * program: naming it again copies an unreadable page.  EFAULT, or EINVAL
 * if the library reread the maps.
 */
static void unreadable(const char *how)
{
	char dir[] = "/tmp/trampjit-jitdump-fault-XXXXXX", path[128];
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	int fd = memfd_create("jitdump-copy-fault", MFD_CLOEXEC);
	unsigned char *c;

	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)(2 * ps)) == 0);
	CHECK(pwrite(fd, code, CODE_RET_LEN, 0) == CODE_RET_LEN);
	c = mmap(NULL, 2 * ps, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	CHECK(c != MAP_FAILED);
	close(fd);
	CHECK(((int (*)(void))c)() == 5);
	CHECK(mkdtemp(dir));
	CHECK(setenv("JITDUMPDIR", dir, 1) == 0);
	CHECK(jit_debug_enable(JIT_DEBUG_JITDUMP) == 0);
	CHECK(jit_name(c, 2 * ps, "readable") == 0);
	CHECK(jit_unname(c) == 0);
	CHECK(mprotect(c + ps, ps, PROT_NONE) == 0);
	errno = 0;
	CHECK(jit_name(c, 2 * ps, "unreadable") == -1);
	CHECK(errno == EFAULT || errno == EINVAL);
	fprintf(stderr, "%s: a PROT_NONE page: %s\n", how, strerror(errno));
	CHECK(jit_debug_disable(JIT_DEBUG_JITDUMP) == 0);
	CHECK(munmap(c, 2 * ps) == 0);
	snprintf(path, sizeof(path), "%s/jit-%d.dump", dir, (int)getpid());
	CHECK(unlink(path) == 0);
	CHECK(rmdir(dir) == 0);
}

/* process_vm_readv fails with ENOSYS from now on; 0, or -1 when seccomp
   is unavailable (qemu-user refuses filters). */
static int no_process_vm_readv(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = insns };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L))
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static int vm_readv_works(void)
{
	char a = 1, b = 0;
	struct iovec to = { &b, 1 }, from = { &a, 1 };

	return process_vm_readv(getpid(), &to, 1, &from, 1, 0) == 1;
}

int main(void)
{
	const char *how;
	int st;
	pid_t pid;

	code_ret(code, 5);
	how = vm_readv_works() ? "process_vm_readv" : "ENOSYS (emulator)";
	unreadable(how);
	race(how);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (no_process_vm_readv()) {
			if (vm_readv_works())
				SKIP("no seccomp to force the fallback: %s",
				     strerror(errno));
			_exit(0);	/* the first run was the fallback */
		}
		CHECK(!vm_readv_works() && errno == ENOSYS);
		unreadable("ENOSYS (seccomp)");
		race("ENOSYS (seccomp)");
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		return 77;
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
