/* SPDX-License-Identifier: MIT */
/*
 * Run gdb in batch mode on a child of the test program itself.
 *
 * Natively the host's gdb runs the child.  Under qemu-user (tests/run.sh's
 * RUNNER), the child runs under that emulator with its gdb stub on a free
 * TCP port ("qemu-<arch> -L <sysroot> -g <port>"), and gdb-multiarch
 * debugs it through the stub with the emulator's sysroot; the script's
 * "run" becomes "continue" (the stub starts the program stopped).
 */
#ifndef TRAMPJIT_GDB_BATCH_H
#define TRAMPJIT_GDB_BATCH_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "harness.h"

/*
 * qemu 7.2's gdb stub does not describe pointer authentication to gdb, so
 * gdb cannot strip a signed return address and stops there.  The test
 * program's own frames that gdb walks are built unsigned (the library's
 * are what is under test); natively gdb reads the keys' masks itself.
 */
#if defined(__aarch64__)
#define GDB_WALKED	__attribute__((target("branch-protection=none")))
#else
#define GDB_WALKED
#endif

/* The gdb that can debug this program: "gdb" natively, gdb-multiarch
   under an emulator; NULL if it is not installed. */
static inline const char *gdb_program(void)
{
	const char *g = emulated() ? "gdb-multiarch" : "gdb";
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "%s --version >/dev/null 2>&1", g);
	return system(cmd) == 0 ? g : NULL;
}

/* A TCP port nobody listens on now (the kernel picks it). */
static inline int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	CHECK(s >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&a, &len) == 0);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* The emulator's sysroot: the argument of the runner's -L. */
static inline const char *runner_sysroot(const char *runner, char *buf,
					 size_t size)
{
	const char *l = strstr(runner, " -L ");

	CHECK(l != NULL);
	l += 4;
	snprintf(buf, size, "%.*s", (int)strcspn(l, " "), l);
	return buf;
}

/* Run "gdb -batch" with the commands in script (after the settings every
   test wants; "run" on a line of its own starts the child) on "self child
   arg"; returns its output (malloc'ed). */
static inline char *gdb_batch(const char *script, const char *self,
			      const char *arg)
{
	char path[] = "/tmp/trampjit-gdb-XXXXXX", cmd[2048], root[512], *out;
	const char *runner = getenv("TRAMPJIT_TEST_RUNNER");
	size_t n = 0, cap = 1 << 16;
	FILE *f, *p;
	int fd = mkstemp(path), port;

	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	CHECK(f != NULL);
	fprintf(f, "set pagination off\nset confirm off\nset width 0\n"
		"handle SIGSEGV nostop noprint pass\n"
		"handle SIGSYS nostop noprint pass\n");
	if (!emulated()) {
		fputs(script, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "gdb -batch -nx -x %s --args %s "
			 "child %s 2>&1", path, self, arg);
	} else {
		const char *run = strstr(script, "\nrun\n");

		CHECK(run != NULL);
		port = free_port();
		fprintf(f, "set sysroot %s\ntarget remote 127.0.0.1:%d\n"
			"%.*s\ncontinue\n%s",
			runner_sysroot(runner, root, sizeof(root)), port,
			(int)(run - script), script, run + 5);
		fclose(f);
		/* The stub waits for gdb; gdb retries until the stub
		   listens.  Both are bounded, so a failure cannot hang. */
		snprintf(cmd, sizeof(cmd), "timeout 300 %s -g %d %s child %s "
			 ">/dev/null 2>&1 & timeout 300 gdb-multiarch -batch "
			 "-nx -x %s %s 2>&1; wait", runner, port, self, arg,
			 path, self);
	}
	p = popen(cmd, "r");
	CHECK(p != NULL);
	out = malloc(cap);
	CHECK(out != NULL);
	while (n + 1 < cap && (n += fread(out + n, 1, cap - 1 - n, p)) &&
	       !feof(p))
		;
	out[n] = 0;
	pclose(p);
	unlink(path);
	return out;
}

#endif
