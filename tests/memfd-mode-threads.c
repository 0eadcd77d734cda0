/* SPDX-License-Identifier: MIT */
/*
 * jitfd_memfd_mode() is thread-safe: threads create sealed code files
 * (each creation records which memfd flags worked) while others read the
 * mode.  Every answer is one of the documented strings; under
 * ThreadSanitizer the run also proves the accesses race-free.
 */
#include <pthread.h>
#include <unistd.h>

#include "harness.h"
#include "test_arch.h"

#define THREADS	4
#define ROUNDS	200

/* mov $0x2a, %eax; ret */
static unsigned char ret42[CODE_RET_LEN];	/* return 42 */

static int known(const char *m)
{
	return !strcmp(m, "none yet") || !strcmp(m, "MFD_EXEC") ||
	       !strncmp(m, "no exec flag (", 14);
}

static void *creator(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		int fd = jitfd_create(ret42, sizeof(ret42), 0);
		void *code;

		CHECK(fd >= 0);
		code = jitfd_map(fd);
		CHECK(code && ((int (*)(void))code)() == 42);
		CHECK(!jitfd_unmap(code));
		close(fd);
		CHECK(known(jitfd_memfd_mode()));
	}
	return arg;
}

static void *reader(void *arg)
{
	for (int i = 0; i < ROUNDS * 20; i++)
		CHECK(known(jitfd_memfd_mode()));
	return arg;
}

int main(void)
{
	pthread_t th[2 * THREADS];

	code_ret(ret42, 42);
	for (int i = 0; i < 2 * THREADS; i++)
		CHECK(!pthread_create(&th[i], NULL, i & 1 ? reader : creator,
				      NULL));
	for (int i = 0; i < 2 * THREADS; i++)
		CHECK(!pthread_join(th[i], NULL));
	CHECK(strcmp(jitfd_memfd_mode(), "none yet"));
	return 0;
}
