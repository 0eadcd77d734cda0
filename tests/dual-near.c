/* SPDX-License-Identifier: MIT */
/* Near dual-view buffers: RW view and data area within the asked distance
   of the RX view, code written through the RW view reaching its data with
   32-bit PC-relative accesses, the dual-view calls on them, bad input, and
   fork: the child's code is its own copy, with a writable view of it only
   when the buffer asked for JIT_DUAL_FORK_PRIVATE (else the view's range
   stays reserved, without access); the fork copies nothing, the first
   store into a view after it does, on the side that makes it. */
#include <stdint.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "test_arch.h"

#define GIB2	((size_t)0x7fffffff)

/* The permissions of the mapping holding addr ("" if none); no mapping of
   the process may be writable and executable. */
static void perms(const void *addr, char p[5])
{
	char line[256];
	FILE *f = fopen("/proc/self/maps", "r");

	CHECK(f);
	p[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char q[5];

		CHECK(sscanf(line, "%lx-%lx %4s", &lo, &hi, q) == 3);
		if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi)
			memcpy(p, q, 5);
		CHECK(!strstr(line, "rwx"));
	}
	fclose(f);
}

static int mapped(const void *addr)
{
	char p[5];

	perms(addr, p);
	return p[0] != 0;
}

static int writable(const void *addr)
{
	char p[5];

	perms(addr, p);
	return p[1] == 'w';
}

typedef int fn_t(void);

static void basics(void)
{
	void *rw, *data;
	unsigned char *rx = jit_dual_alloc_near(100, &rw, 5000, &data, GIB2,
						0);
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	int *counter;

	CHECK(rx && rw && data);
	CHECK((uintptr_t)rx % ps == 0);
	/* Every byte of RW view and data within reach of every code byte. */
	CHECK((char *)rw > (char *)rx && (char *)data > (char *)rw);
	CHECK((size_t)((char *)data + 5000 - (char *)rx) <= GIB2);
	CHECK(test_is_fill(rx) && test_is_fill((unsigned char *)rw + 96));
	counter = data;
	for (int i = 0; i < 5000 / 4; i++)
		CHECK(counter[i] == 0);
	counter[1000] = 41;
	code_load_rel(rw, rx, &counter[1000], 1);
	CHECK(jit_dual_commit(rx, CODE_LOAD_REL_LEN, 0) == 0);
	CHECK(((fn_t *)rx)() == 42);
	counter[1000] = 99;
	CHECK(((fn_t *)rx)() == 100);

	/* Patch in place through the RW view, commit through either view. */
	code_load_rel(rw, rx, &counter[1000], 5);
	CHECK(jit_dual_commit(rw, CODE_LOAD_REL_LEN, JIT_DUAL_SYNC_CORE) == 0);
	CHECK(((fn_t *)rx)() == 104);

	CHECK(jit_dual_rw(rx) == rw && jit_dual_rx(rw) == rx);
	CHECK(jit_dual_rw(rx + 50) == (char *)rw + 50);
	CHECK(!jit_dual_rw(rw) && errno == EINVAL);
	CHECK(!jit_dual_rx(rx) && errno == EINVAL);
	CHECK(!jit_dual_rw(data) && errno == EINVAL);
	CHECK(jit_dual_commit(rx, 101, 0) == -1 && errno == EINVAL);
	CHECK(jit_dual_commit(data, 4, 0) == -1 && errno == EINVAL);
	CHECK(jit_dual_commit(rx, 4, 8) == -1 && errno == EINVAL);
	CHECK(jit_dual_free(rx + 1) == -1 && errno == EINVAL);
	CHECK(jit_dual_free(data) == -1 && errno == EINVAL);
	CHECK(mapped(rx) && mapped(rw) && mapped(data));

	CHECK(jit_dual_free(rw) == 0);	/* by either view */
	CHECK(!mapped(rx) && !mapped(rw) && !mapped(data));
	CHECK(jit_dual_free(rx) == -1 && errno == EINVAL);
	CHECK(!jit_dual_rw(rx) && errno == EINVAL);
}

static void bad_input(void)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	void *rw, *data;

	CHECK(!jit_dual_alloc_near(64, NULL, 0, NULL, GIB2, 0) &&
	      errno == EINVAL);
	CHECK(!jit_dual_alloc_near(0, &rw, 0, NULL, GIB2, 0) &&
	      errno == EINVAL);
	CHECK(!jit_dual_alloc_near(64, &rw, 64, NULL, GIB2, 0) &&
	      errno == EINVAL);
	CHECK(!jit_dual_alloc_near(64, &rw, 0, NULL, GIB2, 2) &&
	      errno == EINVAL);
	CHECK(!jit_dual_alloc_near((size_t)-1, &rw, 0, NULL, (size_t)-1, 0) &&
	      errno == EINVAL);
	/* Two pages of views plus a page of data. */
	CHECK(!jit_dual_alloc_near(64, &rw, 64, &data, 3 * ps - 1, 0) &&
	      errno == ERANGE);
	CHECK(!jit_dual_alloc_near(64, &rw, 0, NULL, 0, 0) && errno == ERANGE);
	void *rx = jit_dual_alloc_near(64, &rw, 64, &data, 3 * ps, 0);
	CHECK(rx);
	CHECK(jit_dual_free(rx) == 0);
}

/* fork: the child runs its own copy; its writable view per the flag;
   each side's code moves to a file of its own at its first store. */
static void forked(unsigned flags)
{
	void *rw, *data;
	unsigned char *rx = jit_dual_alloc_near(64, &rw, 64, &data, GIB2,
						flags);
	int *v, to_child[2], to_parent[2], status;
	unsigned long ino;
	char c;
	pid_t pid;

	CHECK(rx);
	v = data;
	*v = 10;
	code_load_rel(rw, rx, v, 0);
	CHECK(jit_dual_commit(rx, CODE_LOAD_REL_LEN, 0) == 0);
	CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
	ino = map_inode(rx);
	CHECK(ino && map_inode(rw) == ino);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int ok = ((fn_t *)rx)() == 10 && map_inode(rx) == ino;

		if (flags & JIT_DUAL_FORK_PRIVATE) {
			/* Shared and write-protected until the first store. */
			ok &= mapped(rw) && !writable(rw);
			code_load_rel(rw, rx, v, 7);	/* child's own copy */
			ok &= writable(rw) && map_inode(rx) != ino &&
			      map_inode(rw) == map_inode(rx);
			ok &= jit_dual_commit(rx, CODE_LOAD_REL_LEN, 0) == 0;
			ok &= ((fn_t *)rx)() == 17;
		} else {
			ok &= !writable(rw);
		}
		ok &= write(to_parent[1], "c", 1) == 1;
		ok &= read(to_child[0], &c, 1) == 1;	/* parent patched */
		*v = 20;
		ok &= ((fn_t *)rx)() ==
		      (flags & JIT_DUAL_FORK_PRIVATE ? 27 : 20);
		_exit(ok ? 0 : 1);
	}
	CHECK(read(to_parent[0], &c, 1) == 1);
	CHECK(((fn_t *)rx)() == 10);		/* child's patch is not ours */
	CHECK(map_inode(rx) == ino && !writable(rw));
	code_load_rel(rw, rx, v, 1);
	CHECK(map_inode(rx) != ino && map_inode(rw) == map_inode(rx) && writable(rw));
	CHECK(jit_dual_commit(rx, CODE_LOAD_REL_LEN, 0) == 0);
	CHECK(((fn_t *)rx)() == 11);
	CHECK(write(to_child[1], "p", 1) == 1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(*v == 10 && ((fn_t *)rx)() == 11);
	CHECK(jit_dual_free(rx) == 0);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/* Fill the descriptor table: a low limit, then dup until EMFILE. */
static void fill_fds(void)
{
	struct rlimit rl = { 64, 64 };

	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while (dup(0) >= 0)
		;
	CHECK(errno == EMFILE);
}

/*
 * The copy a store needs after a fork cannot be made (no descriptor
 * left): a JIT_DUAL_FORK_PRIVATE child's store is a SIGSEGV, never a write
 * into the parent's code; a parent's store goes to the shared file (its
 * code changes, it does not crash).
 */
static void copy_fails(void)
{
	void *rw;
	unsigned char *rx = jit_dual_alloc_near(64, &rw, 0, NULL, GIB2,
						JIT_DUAL_FORK_PRIVATE);
	int status;
	pid_t pid;

	CHECK(rx);
	code_ret(rw, 5);
	CHECK(jit_dual_commit(rx, CODE_RET_LEN, 0) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		fill_fds();
		code_ret(rw, 6);
		_exit(3);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	CHECK(((fn_t *)rx)() == 5);
	/* A parent with a full table stores after forking. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		unsigned char *own = jit_dual_alloc_near(64, &rw, 0, NULL,
							 GIB2, 0);
		pid_t child;

		if (!own)
			_exit(2);
		code_ret(rw, 5);
		fill_fds();
		child = fork();
		if (child == 0)
			_exit(0);
		code_ret(rw, 7);
		_exit(child > 0 && waitpid(child, &status, 0) == child &&
		      jit_dual_commit(own, CODE_RET_LEN, 0) == 0 &&
		      ((fn_t *)own)() == 7 ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(((fn_t *)rx)() == 5);
	CHECK(jit_dual_free(rx) == 0);
}

int main(void)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	void *many[20], *rw;

	basics();
	bad_input();
	forked(0);
	forked(JIT_DUAL_FORK_PRIVATE);
	copy_fails();
	for (int i = 0; i < 20; i++) {
		many[i] = jit_dual_alloc_near(ps * (i + 1), &rw, 0, NULL,
					      GIB2, i % 2);
		CHECK(many[i]);
	}
	for (int i = 0; i < 20; i++)
		CHECK(jit_dual_free(many[i]) == 0);
	return 0;
}
