/* SPDX-License-Identifier: MIT */
/*
 * TRAMP_MPROTECT under PR_SET_MDWE: every kind fails with the kernel's
 * EPERM/EACCES, again on retry, without crashing and without falling back
 * to another backend, while the other backends keep working.  Run plainly,
 * the test makes the refusal happen in a child that sets MDWE itself, and
 * checks the backend works and never maps anything writable+executable.
 */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

static long inc(long x) { return x + 1; }
static long bind_inc(void *d, long x) { return x + 1; }
static void h(struct tramp_frame *f, void *d) { tramp_set_return(f, 1); }

static int no_rwx(void)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[512];
	int ok = 1;

	CHECK(fp);
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, " rwx"))
			ok = 0;
	fclose(fp);
	return ok;
}

/* Under MDWE: refused, every time, and nothing else changes. */
static void refused(void)
{
	struct tramp_context ctx = { .pc = (void *)inc };

	for (int round = 0; round < 2; round++)
		for (int k = TRAMP_CHAIN; k <= TRAMP_CONTEXT; k++) {
			struct tramp_spec spec = {
				.kind = (enum tramp_kind)k,
				.backend = TRAMP_MPROTECT,
				.target = (void *)inc, .context = &ctx,
				.handler = h,
			};

			errno = 0;
			CHECK(tramp_create(&spec) == NULL);
			CHECK(errno == EPERM || errno == EACCES);
		}
	struct tramp *t = make(TRAMP_BIND, TRAMP_STATIC, (void *)bind_inc,
			       NULL);
	CHECK(((long (*)(long))tramp_code(t))(1) == 2);
	CHECK(tramp_backend_of(t) == TRAMP_STATIC);
	tramp_destroy(t);
	CHECK(no_rwx());
}

int main(void)
{
	struct tramp *t;
	pid_t pid;
	int st;

	if (mdwe_active()) {
		refused();
		fprintf(stderr, "mprotect under MDWE: refused, as it must "
			"be\n");
		return 0;
	}
	t = make(TRAMP_BIND, TRAMP_MPROTECT, (void *)bind_inc, NULL);
	for (long i = 0; i < 100; i++)
		CHECK(((long (*)(long))tramp_code(t))(i) == i + 1);
	CHECK(no_rwx());
	tramp_destroy(t);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L))
			_exit(77);
		refused();
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		SKIP("PR_SET_MDWE unsupported: only the plain half ran");
	CHECK(WEXITSTATUS(st) == 0);
	fprintf(stderr, "mprotect: works plainly, refused under MDWE\n");
	return 0;
}
