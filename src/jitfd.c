/* SPDX-License-Identifier: MIT */
/*
 * Sealed code files: jitfd_create() puts code in a memfd and seals it
 * against write, grow, shrink and further seals, so whoever holds the fd
 * (this process, or another one it was passed to over SCM_RIGHTS) can map
 * it read+execute and nobody can ever change it.  One memfd and one
 * mapping per object: about 16 us each, for code that must cross a
 * process boundary or be provably immutable; jit_create_code() packs.
 * jitfd_unmap() finds the length of a mapping in a small list (mappings
 * are few and long-lived), as code memory holds no metadata.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "os.h"

#define SEALS_NEEDED	(F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK)

struct fdmap {
	void *code;		/* the RX mapping */
	size_t len;		/* its length, page multiple */
	struct fdmap *next;	/* next mapping */
};

static struct fdmap *maps;	/* live jitfd_map() mappings */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int jitfd_create(const void *source, size_t len, unsigned flags)
{
	int fd, e;

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
	e = errno;
	close(fd);
	errno = e == EFBIG || e == ENOSPC ? ENOMEM : e;
	return -1;
}

void *jitfd_map(int fd)
{
	struct fdmap *m;
	long long size;
	int seals;
	size_t len, ps = os_page_size();

	size = os_file_size(fd);
	if (size < 0)
		return NULL;
	seals = os_get_seals(fd);
	if (seals < 0 || (seals & SEALS_NEEDED) != SEALS_NEEDED || !size) {
		errno = EINVAL;
		return NULL;
	}
	len = ((size_t)size + ps - 1) & ~(ps - 1);
	m = malloc(sizeof(*m));
	if (!m)
		return NULL;
	m->code = os_map_code(NULL, len, fd, 0);
	if (!m->code) {
		free(m);
		return NULL;
	}
	m->len = len;
	pthread_mutex_lock(&lock);
	m->next = maps;
	maps = m;
	pthread_mutex_unlock(&lock);
	return m->code;
}

int jitfd_unmap(void *code)
{
	struct fdmap **p, *m = NULL;

	if (!code)
		return 0;
	pthread_mutex_lock(&lock);
	for (p = &maps; *p; p = &(*p)->next) {
		if ((*p)->code == code) {
			m = *p;
			*p = m->next;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	if (!m) {
		errno = EINVAL;
		return -1;
	}
	os_unmap(m->code, m->len);
	free(m);
	return 0;
}

const char *jitfd_memfd_mode(void)
{
	return os_memfd_mode();
}
