/* SPDX-License-Identifier: MIT */
/*
 * Test harness: CHECK() prints file:line:expression and fails the test;
 * exit 0 pass, 1 fail, 77 skip (reason on stderr).  Semantics tests run
 * on every backend through for_each_backend().
 */
#ifndef TRAMPJIT_HARNESS_H
#define TRAMPJIT_HARNESS_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>

#include <trampjit.h>

#define CHECK(e)							\
	do {								\
		if (!(e)) {						\
			fprintf(stderr, "%s:%d: CHECK(%s) failed "	\
				"(errno %d: %s)\n", __FILE__, __LINE__,	\
				#e, errno, strerror(errno));		\
			exit(1);					\
		}							\
	} while (0)

#define SKIP(...)							\
	do {								\
		fprintf(stderr, "skip: " __VA_ARGS__);			\
		fputc('\n', stderr);					\
		exit(77);						\
	} while (0)

/* The value of "name:" in /proc/self/task/<tid>/status (tid 0: the
   process's /proc/self/status), or -1 when there is no such line. */
static inline long proc_status(int tid, const char *name)
{
	char path[64], line[256];
	size_t n = strlen(name);
	long v = -1;
	FILE *fp;

	if (tid)
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	fp = fopen(path, "r");
	CHECK(fp);
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, name, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(fp);
	return v;
}

/* Open file descriptors of this process (entries of /proc/self/fd). */
static inline int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	CHECK(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The inode of the file mapped at addr in /proc/self/maps (0: none, or
   anonymous memory). */
static inline unsigned long map_inode(const void *addr)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo, hi, ino, found = 0;

	CHECK(m);
	while (fgets(line, sizeof(line), m)) {
		CHECK(sscanf(line, "%lx-%lx %*s %*s %*s %lu", &lo, &hi, &ino) ==
		      3);
		if ((unsigned long)addr >= lo && (unsigned long)addr < hi)
			found = ino;
	}
	fclose(m);
	return found;
}

/* Whether tests/run.sh runs us under an emulator (qemu-user): then
   memory figures are the emulator's. */
static inline int emulated(void)
{
	const char *r = getenv("TRAMPJIT_TEST_RUNNER");

	return r && *r;
}

/*
 * Whether a child's wait status st is qemu-aarch64 7.2 aborting itself
 * (its cpu_exec assertion "cpu == current_cpu", then SIGABRT or exit
 * 127) where the kernel would have killed the program with SIGSEGV, as
 * it does after the fault backend's handler has redirected a call.  Only
 * under an emulator; the caller says so on stderr.
 */
#include <sys/wait.h>
static inline int emulator_aborted(int st)
{
	return emulated() &&
	       ((WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) ||
		(WIFEXITED(st) && WEXITSTATUS(st) == 127));
}

/* By enum tramp_backend value (TRAMP_KERNEL is 8); NULL: no backend has
   that value.  Positional, as C++ has no array designators. */
static const char *const backend_names[] = {
	"static", "fault", "syscall", "mprotect", NULL, NULL, NULL, NULL,
	"kernel", "kernel-call",
};

/* Is name one of the comma-separated names in list? */
static inline int name_listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

static inline int mdwe_active(void)
{
	return prctl(66 /* PR_GET_MDWE */, 0L, 0L, 0L, 0L) > 0;
}

/*
 * Whether semantics tests can run on backend b here.  Not built: no.
 * Refused because of the W^X policy (the mprotect baseline under MDWE):
 * no, after checking the refusal is the kernel's EPERM/EACCES.  Any other
 * failure fails the test.  TRAMPJIT_TEST_BACKENDS="static,fault" narrows
 * the set (by name).
 */
static inline int backend_usable(enum tramp_backend b)
{
	const char *only = getenv("TRAMPJIT_TEST_BACKENDS");
	struct tramp_spec spec = {
		.kind = TRAMP_CHAIN, .backend = b,
		.target = (void *)backend_usable,
	};
	struct tramp *t;

	if (only && !name_listed(only, backend_names[b]))
		return 0;
	t = tramp_create(&spec);
	if (t) {
		tramp_destroy(t);
		return 1;
	}
	if (errno == ENOSYS) {
		fprintf(stderr, "note: backend %s not available\n",
			backend_names[b]);
		return 0;
	}
	if (b == TRAMP_MPROTECT && mdwe_active() &&
	    (errno == EPERM || errno == EACCES)) {
		fprintf(stderr, "note: backend mprotect refused under MDWE "
			"(%s), as it must be\n", strerror(errno));
		return 0;
	}
	fprintf(stderr, "backend %s: tramp_create: %s\n", backend_names[b],
		strerror(errno));
	exit(1);
}

/* Run fn(b) for every usable backend (the kernel ones only where the
   module is loaded); fails if none is usable. */
static inline void for_each_backend(void (*fn)(enum tramp_backend))
{
	int ran = 0;

	for (int b = TRAMP_STATIC; b <= TRAMP_KERNEL_CALL; b++) {
		if (!backend_names[b] ||
		    !backend_usable((enum tramp_backend)b))
			continue;
		fn((enum tramp_backend)b);
		ran++;
	}
	CHECK(ran > 0);
}

/* Create a trampoline of the given shape, with data_size bytes of
   co-allocated data, failing the test on error. */
static inline struct tramp *make_sized(enum tramp_kind k,
				       enum tramp_backend b, void *target,
				       void *data, size_t data_size)
{
	struct tramp_spec spec = {
		.kind = k, .backend = b, .data = data,
		.data_size = data_size,
	};
	struct tramp *t;

	if (k == TRAMP_HANDLER)
		spec.handler = (tramp_handler_fn *)target;
	else
		spec.target = target;
	t = tramp_create(&spec);
	CHECK(t != NULL);
	CHECK(tramp_code(t) != NULL);
	return t;
}

/* Create a trampoline of the given shape, failing the test on error. */
static inline struct tramp *make(enum tramp_kind k, enum tramp_backend b,
				 void *target, void *data)
{
	return make_sized(k, b, target, data, 0);
}

/* Whether calling code (no arguments) in a fork child ends in SIGABRT. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static inline int call_aborts(void *code)
{
	int status;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		((void (*)(void))code)();
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

/* Lines of /proc/self/maps that contain what. */
static inline int maps_count(const char *what)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	CHECK(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/* Trampoline tables mapped: each maps the stub file once. */
static inline int stub_tables(void)
{
	return maps_count("trampjit-stubs");
}

#endif
