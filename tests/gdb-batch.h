/* SPDX-License-Identifier: MIT */
/* Run gdb in batch mode on a child of the test program itself. */
#ifndef TRAMPJIT_GDB_BATCH_H
#define TRAMPJIT_GDB_BATCH_H

#include "harness.h"

/* Run "gdb -batch" with the commands in script (after the settings every
   test wants) on "self child arg"; returns its output (malloc'ed). */
static inline char *gdb_batch(const char *script, const char *self,
			      const char *arg)
{
	char path[] = "/tmp/trampjit-gdb-XXXXXX", cmd[1024], *out;
	size_t n = 0, cap = 1 << 16;
	FILE *f, *p;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	CHECK(f != NULL);
	fprintf(f, "set pagination off\nset confirm off\nset width 0\n"
		"handle SIGSEGV nostop noprint pass\n"
		"handle SIGSYS nostop noprint pass\n%s", script);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gdb -batch -nx -x %s --args %s child %s "
		 "2>&1", path, self, arg);
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
