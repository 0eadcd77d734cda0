/* SPDX-License-Identifier: MIT */
/*
 * Sealed code files: jitfd_create(), jitfd_map(), jitfd_unmap().
 *
 * A jitfd is a memfd holding exactly the code, sealed against write, grow,
 * shrink and further sealing before anyone else sees it.  Nobody, not even
 * this process, can change it afterwards, so it can be mapped read+execute
 * anywhere and handed to another process (SCM_RIGHTS, fork, exec) as a
 * capability to run that code and nothing else.  The cost is one memfd,
 * one write and one mapping per object (microseconds): use it for code
 * that is shared or long-lived, and jit_create_code() for many small
 * objects.  Mappings are tracked so that jitfd_unmap() refuses addresses
 * it did not map.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "os.h"

#define NEEDED_SEALS	(F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK)

/* One mapping made by jitfd_map(). */
struct jmap {
	struct jmap *next;	/* list of live mappings */
	void *addr;		/* where it is mapped */
	size_t len;		/* its length (the file size) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct jmap *maps;	/* live mappings, under lock */

int jitfd_create(const void *source, size_t len, unsigned flags)
{
	int fd, err;

	if (!source || !len || (flags & ~JITFD_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	if (len > (size_t)1 << 40) {
		errno = ENOMEM;
		return -1;
	}
	fd = os_memfd("trampjit-jitfd");
	if (fd < 0)
		return -1;
	if (os_truncate(fd, (off_t)len) ||
	    os_pwrite_all(fd, source, len, 0) || os_seal(fd) ||
	    (!(flags & JITFD_CLOEXEC) && os_set_cloexec(fd, 0)))
		goto fail;
	return fd;
fail:
	err = errno == ENOSPC ? ENOMEM : errno;
	close(fd);
	errno = err;
	return -1;
}

void *jitfd_map(int fd)
{
	struct jmap *m;
	long long size;
	int seals;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	seals = os_get_seals(fd);
	if (seals < 0)
		return NULL;
	if ((seals & NEEDED_SEALS) != NEEDED_SEALS) {
		errno = EINVAL;
		return NULL;
	}
	size = os_file_size(fd);
	if (size < 0)
		return NULL;
	if (size == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (fork_setup())
		return NULL;
	m = malloc(sizeof(*m));
	if (!m)
		return NULL;
	m->len = (size_t)size;
	m->addr = os_map_code(NULL, m->len, fd, 0);
	if (!m->addr) {
		free(m);
		return NULL;
	}
	pthread_mutex_lock(&lock);
	m->next = maps;
	maps = m;
	pthread_mutex_unlock(&lock);
	return m->addr;
}

int jitfd_unmap(void *code)
{
	struct jmap **p, *m = NULL;

	if (!code)
		return 0;
	if (fork_setup()) {	/* then nothing was ever mapped */
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&lock);
	for (p = &maps; *p; p = &(*p)->next)
		if ((*p)->addr == code) {
			m = *p;
			*p = m->next;
			break;
		}
	pthread_mutex_unlock(&lock);
	if (!m) {
		errno = EINVAL;
		return -1;
	}
	debug_code_freed(code);
	os_unmap(m->addr, m->len);
	free(m);
	return 0;
}

/* Lock order (internal.h): after the regions, before the names. */
void jitfd_fork_lock(void)
{
	pthread_mutex_lock(&lock);
}

void jitfd_fork_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

const char *jitfd_memfd_mode(void)
{
	return os_memfd_mode();
}
