/* SPDX-License-Identifier: MIT */
/*
 * The perf files (jit-PID.dump in $JITDUMPDIR, /tmp/perf-PID.map) live in
 * directories anyone may write to.  Something planted under their names
 * before the process enables the publishers is refused with EEXIST, at
 * once and untouched: a regular file of another user, a FIFO (which would
 * block an open, and every thread behind the registry lock), a symbolic
 * link (to a file of ours, or dangling), a second hard link to a file of
 * ours, a directory.  Each case runs in a child that plants the files for
 * its own pid and enables the publishers through TRAMPJIT_DEBUG, so the
 * refusal also happens inside tramp_create(), which must still work.
 * Without planted files the files are created 0600; a regular file of ours
 * left by an earlier process with the same pid is reused.  Planting
 * another user's file needs root (chown); without it that case is left
 * out.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

enum plant {
	NONE, FOREIGN, FIFO, SYMLINK, DANGLING, HARDLINK, DIRECTORY, LEFTOVER,
};
static const char *const plant_names[] = {
	"none", "another user's file", "FIFO", "symbolic link",
	"dangling symbolic link", "hard link", "directory", "leftover of ours",
};

static char dir[] = "/tmp/trampjit-planted-XXXXXX";

#define TAKEN	3	/* child status: the file names were in use */

static long target(void)
{
	return 7;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);

	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static int same_text(const char *path, const char *text)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY | O_NOFOLLOW);
	ssize_t n;

	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n == (ssize_t)strlen(text) && !strcmp(buf, text);
}

/* Plant p at path; *reader: a read end kept open on a FIFO. */
static void plant(enum plant p, const char *path, const char *aside,
		  int *reader)
{
	switch (p) {
	case NONE:
		break;
	case FOREIGN:
		write_file(path, "planted");
		CHECK(!chown(path, 65534, 65534));
		break;
	case FIFO:
		CHECK(!mkfifo(path, 0666));
		*reader = open(path, O_RDONLY | O_NONBLOCK);
		CHECK(*reader >= 0);
		break;
	case SYMLINK:
		write_file(aside, "target");
		CHECK(!symlink(aside, path));
		break;
	case DANGLING:
		CHECK(!symlink(aside, path));
		break;
	case HARDLINK:
		write_file(aside, "target");
		CHECK(!link(aside, path));
		break;
	case DIRECTORY:
		CHECK(!mkdir(path, 0700));
		break;
	case LEFTOVER:
		write_file(path, "an old dump of ours");
		break;
	}
}

/* The planted thing is as it was, and nothing was written into it. */
static void untouched(enum plant p, const char *path, const char *aside,
		      int reader)
{
	struct stat st;
	char c;

	switch (p) {
	case FOREIGN:
		CHECK(same_text(path, "planted"));
		CHECK(!lstat(path, &st) && st.st_uid == 65534);
		break;
	case FIFO:
		CHECK(!lstat(path, &st) && S_ISFIFO(st.st_mode));
		CHECK(read(reader, &c, 1) <= 0);
		close(reader);
		break;
	case SYMLINK:
	case HARDLINK:
		CHECK(same_text(aside, "target"));
		CHECK(!unlink(aside));
		break;
	case DANGLING:
		CHECK(access(aside, F_OK) && errno == ENOENT);
		break;
	case DIRECTORY:
		CHECK(!lstat(path, &st) && S_ISDIR(st.st_mode));
		break;
	case NONE:
	case LEFTOVER:
		/* Ours: created or reused, private, regular. */
		CHECK(!lstat(path, &st) && S_ISREG(st.st_mode));
		CHECK((st.st_mode & 0777) == 0600 && st.st_uid == geteuid());
		CHECK(!same_text(path, "an old dump of ours"));
		break;
	}
}

static int child(enum plant p)
{
	char dump[4200], map[64], aside1[4200], aside2[4200];
	int r1 = -1, r2 = -1, ok = p == NONE || p == LEFTOVER;
	struct stat st;
	struct tramp_spec spec = {
		.kind = TRAMP_CHAIN, .target = (void *)target,
	};
	struct tramp *t;

	alarm(20);	/* a blocking open would hang here: fail instead */
	snprintf(dump, sizeof(dump), "%s/jit-%d.dump", dir, (int)getpid());
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", (int)getpid());
	snprintf(aside1, sizeof(aside1), "%s/aside-dump-%d", dir,
		 (int)getpid());
	snprintf(aside2, sizeof(aside2), "%s/aside-map-%d", dir,
		 (int)getpid());
	/* /tmp is shared: a file an earlier process with this pid left is
	   not ours to plant over, so the case is retried in another child. */
	if (!lstat(map, &st) || errno != ENOENT)
		return TAKEN;
	plant(p, dump, aside1, &r1);
	plant(p, map, aside2, &r2);
	CHECK(!setenv("JITDUMPDIR", dir, 1));
	CHECK(!setenv("TRAMPJIT_DEBUG", "perf", 1));

	t = tramp_create(&spec);	/* enables the publishers */
	CHECK(t && ((long (*)(void))tramp_code(t))() == 7);
	tramp_destroy(t);
	CHECK(jit_debug_flags() ==
	      (ok ? JIT_DEBUG_JITDUMP | JIT_DEBUG_PERFMAP : 0));
	if (!ok) {
		errno = 0;
		CHECK(jit_debug_enable(JIT_DEBUG_JITDUMP) == -1 &&
		      errno == EEXIST);
		errno = 0;
		CHECK(jit_debug_enable(JIT_DEBUG_PERFMAP) == -1 &&
		      errno == EEXIST);
		CHECK(!jit_debug_flags());
	}
	untouched(p, dump, aside1, r1);
	untouched(p, map, aside2, r2);
	CHECK(!remove(dump) && !remove(map));
	return 0;
}

int main(void)
{
	int failed = 0;

	CHECK(mkdtemp(dir) && !chmod(dir, 01777));
	for (int p = NONE; p <= LEFTOVER; p++) {
		pid_t pid;
		int st;

		if (p == FOREIGN && geteuid() != 0) {
			fprintf(stderr, "note: planting another user's file "
				"needs root (chown): case left out\n");
			continue;
		}
		for (int tries = 0; tries < 50; tries++) {
			pid = fork();
			CHECK(pid >= 0);
			if (!pid)
				_exit(child((enum plant)p));
			CHECK(waitpid(pid, &st, 0) == pid);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != TAKEN)
				break;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "planted %s: child failed (status "
				"0x%x)\n", plant_names[p], st);
			failed = 1;
		}
	}
	CHECK(!rmdir(dir));
	return failed;
}
