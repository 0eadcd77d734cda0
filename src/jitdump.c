/* SPDX-License-Identifier: MIT */
/*
 * perf publishers.  jitdump (tools/perf/Documentation/jitdump-specification
 * .txt): $JITDUMPDIR/jit-PID.dump (default /tmp), a header then one
 * JIT_CODE_LOAD record per name with a copy of the code; perf finds the
 * file because we map it read+execute (perf records executable mappings),
 * and `perf inject --jit` turns the records into ELF files, so it works for
 * memfd-backed code.  The map file /tmp/perf-PID.map ("start size name"
 * lines) is what perf reads for anonymous executable mappings only.
 * Both are append-only, private to the user (0600) and never opened
 * through a link or a FIFO planted in /tmp; timestamps are CLOCK_MONOTONIC
 * (`perf record -k mono`).  Called under the registry lock: nothing here
 * blocks (O_NONBLOCK opens, regular files only).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "debug.h"
#include "os.h"

#define JITDUMP_MAGIC	0x4A695444	/* "JiTD" */
#define JITDUMP_VERSION	1
#define JIT_CODE_LOAD	0

struct jd_header {
	uint32_t magic;		/* JITDUMP_MAGIC, in our byte order */
	uint32_t version;	/* JITDUMP_VERSION */
	uint32_t total_size;	/* of this header */
	uint32_t elf_mach;	/* e_machine of the code */
	uint32_t pad1;
	uint32_t pid;
	uint64_t timestamp;	/* CLOCK_MONOTONIC ns */
	uint64_t flags;		/* 0: no arch timestamp */
};

struct jd_load {
	uint32_t id;		/* JIT_CODE_LOAD */
	uint32_t total_size;	/* record, name and code included */
	uint64_t timestamp;
	uint32_t pid, tid;
	uint64_t vma;		/* where the code runs */
	uint64_t code_addr;	/* = vma */
	uint64_t code_size;
	uint64_t code_index;	/* unique per record */
	/* then the NUL-terminated name and code_size bytes of code */
};

static int jd_fd = -1, map_fd = -1;
static off_t jd_off, map_off;	/* where the next record goes */
static void *jd_marker;
static uint64_t jd_index;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Open path read-write as a file of our own in a directory anyone may
 * write to (/tmp): created exclusively with mode 0600; or, when the name
 * exists, reused (emptied) only if it is a regular file that we own and
 * that has no other link, i.e. one an earlier process of ours with the
 * same pid left behind.  Symbolic links are never followed and the open
 * never blocks, so a planted link, FIFO, device, directory or another
 * user's file is refused with EEXIST, untouched, at once.
 */
static int open_private(const char *path)
{
	const int flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	struct stat st;
	int fd = open(path, flags | O_CREAT | O_EXCL, 0600);

	if (fd >= 0 || errno != EEXIST)
		return fd;
	fd = open(path, flags);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENXIO || errno == EACCES ||
		    errno == EISDIR)
			errno = EEXIST;
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_nlink != 1) {
		close(fd);
		errno = EEXIST;
		return -1;
	}
	if (os_truncate(fd, 0) || fchmod(fd, 0600)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int jitdump_open(void)
{
	const char *dir = getenv("JITDUMPDIR");
	char path[4096];
	struct jd_header h = {
		.magic = JITDUMP_MAGIC, .version = JITDUMP_VERSION,
		.total_size = sizeof(h), .elf_mach = arch_elf_machine,
		.pid = (uint32_t)getpid(), .timestamp = now_ns(),
	};
	int fd, err;

	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/jit-%d.dump", dir,
			     (int)getpid()) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open_private(path);
	if (fd < 0)
		return -1;
	if (os_pwrite_all(fd, &h, sizeof(h), 0))
		goto fail;
	jd_marker = os_map_marker(fd, os_page_size());
	if (!jd_marker)
		goto fail;
	jd_fd = fd;
	jd_off = sizeof(h);
	return 0;
fail:
	err = errno;
	close(fd);
	unlink(path);
	errno = err;
	return -1;
}

int jitdump_add(const struct dsym *s)
{
	size_t nlen = strlen(s->name) + 1;
	struct jd_load r = {
		.id = JIT_CODE_LOAD,
		.total_size = (uint32_t)(sizeof(r) + nlen + s->len),
		.timestamp = now_ns(),
		.pid = (uint32_t)getpid(),
		.tid = (uint32_t)syscall(SYS_gettid),
		.vma = s->start, .code_addr = s->start, .code_size = s->len,
		.code_index = jd_index++,
	};
	struct dbuf b = { 0 };
	int ret, e;

	if (jd_fd < 0)
		return 0;
	if (sizeof(r) + nlen + s->len > UINT32_MAX) {
		errno = EFBIG;
		return -1;
	}
	dbuf_put(&b, &r, sizeof(r));
	dbuf_put(&b, s->name, nlen);
	/* The code is copied without touching it: the name may outlive it
	   (code the program unmapped), and then the record is refused.  No
	   instruction runs in an unreadable table (PROT_NONE): the filler. */
	uint32_t fill = ARCH_FILL_WORD;

	for (size_t i = 0; i < s->len; i++)
		dbuf_u8(&b, ((const unsigned char *)&fill)[i % sizeof(fill)]);
	if (b.err) {
		errno = b.err;
		return -1;
	}
	if (s->readable &&
	    os_read_mem(b.p + b.len - s->len, (const void *)s->start, s->len) &&
	    errno == EFAULT) {
		free(b.p);
		return -1;
	}
	ret = os_pwrite_all(jd_fd, b.p, b.len, jd_off);
	e = errno;
	if (!ret)
		jd_off += (off_t)b.len;
	else
		os_truncate(jd_fd, jd_off);	/* no part of a record */
	free(b.p);
	errno = e;
	return ret;
}

void jitdump_close(void)
{
	if (jd_fd < 0)
		return;
	os_unmap(jd_marker, os_page_size());
	close(jd_fd);
	jd_fd = -1;
	jd_marker = NULL;
}

int perfmap_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	map_fd = open_private(path);
	map_off = 0;
	return map_fd < 0 ? -1 : 0;
}

int perfmap_add(const struct dsym *s)
{
	char line[JIT_NAME_MAX + 64];
	int n;

	if (map_fd < 0)
		return 0;
	n = snprintf(line, sizeof(line), "%" PRIxPTR " %zx %s\n", s->start,
		     s->len, s->name);
	if (os_pwrite_all(map_fd, line, (size_t)n, map_off)) {
		int e = errno;

		os_truncate(map_fd, map_off);	/* no part of a line */
		errno = e;
		return -1;
	}
	map_off += n;
	return 0;
}

void perfmap_close(void)
{
	if (map_fd >= 0)
		close(map_fd);
	map_fd = -1;
}
