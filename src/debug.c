/* SPDX-License-Identifier: MIT */
/*
 * Names for code and the tooling front end: a registry of named code
 * ranges (trampoline tables and user-named JIT code), each published to the
 * unwinders (always, when it has unwind info) and to the enabled
 * publishers: GDB JIT interface, perf jitdump, perf map.
 *
 * Publishers are off by default; jit_debug_enable() or TRAMPJIT_DEBUG
 * (comma-separated gdb, jitdump, perfmap or all) turns them on, and
 * enabling one publishes everything already named.  One mutex guards all;
 * it ranks after the pool and table locks (tables are announced under them).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdatomic.h>

#include "internal.h"
#include "arch_backends.h"
#include "debug.h"
#include "os.h"

#define TABLE_NAME	"trampjit trampoline"
#define CFI_MAX		(1u << 20)	/* bytes of a user CFA program */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned enabled;	/* JIT_DEBUG_* publishers in force */
static unsigned pending;	/* to enable at the next lock (env, fork) */

/* The registry: chained hash table keyed by start address. */
static struct dsym **buckets;
static size_t nbuckets, nsyms;

/* Executable mappings of the process, from /proc/self/maps (cached). */
struct xmap {
	uintptr_t lo, hi;	/* [lo, hi) */
	int readable;		/* mapped with PROT_READ too */
};
static struct xmap *xmaps;
static size_t nxmaps;
static unsigned long xmaps_gen;	/* os_unmap_count() before it was read */

/* ---- byte buffers ------------------------------------------------------ */

static int dbuf_grow(struct dbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	unsigned char *p;

	if (b->err)
		return -1;
	if (b->len + n <= b->cap)
		return 0;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = ENOMEM;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void dbuf_put(struct dbuf *b, const void *src, size_t n)
{
	if (n && !dbuf_grow(b, n)) {
		memcpy(b->p + b->len, src, n);
		b->len += n;
	}
}

void dbuf_u8(struct dbuf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	dbuf_put(b, &c, 1);
}

void dbuf_u16(struct dbuf *b, unsigned v)
{
	uint16_t x = (uint16_t)v;

	dbuf_put(b, &x, 2);
}

void dbuf_u32(struct dbuf *b, uint32_t v)
{
	dbuf_put(b, &v, 4);
}

void dbuf_u64(struct dbuf *b, uint64_t v)
{
	dbuf_put(b, &v, 8);
}

void dbuf_uleb(struct dbuf *b, uint64_t v)
{
	do {
		unsigned c = v & 0x7f;

		v >>= 7;
		dbuf_u8(b, c | (v ? 0x80 : 0));
	} while (v);
}

void dbuf_cfa_advance(struct dbuf *b, unsigned delta)
{
	if (delta < 64) {
		dbuf_u8(b, 0x40 | delta);	/* DW_CFA_advance_loc */
	} else if (delta < 256) {
		dbuf_u8(b, 0x02);		/* DW_CFA_advance_loc1 */
		dbuf_u8(b, delta);
	} else {
		dbuf_u8(b, 0x03);		/* DW_CFA_advance_loc2 */
		dbuf_u16(b, delta);
	}
}

void dbuf_cfa_offset(struct dbuf *b, unsigned off)
{
	dbuf_u8(b, 0x0e);			/* DW_CFA_def_cfa_offset */
	dbuf_uleb(b, off);
}

void dbuf_sleb(struct dbuf *b, int64_t v)
{
	for (;;) {
		unsigned c = (unsigned)v & 0x7f;
		int done;

		v >>= 7;	/* arithmetic: gcc and clang define it */
		done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
		dbuf_u8(b, c | (done ? 0 : 0x80));
		if (done)
			return;
	}
}

void dbuf_align(struct dbuf *b, size_t a, unsigned fill)
{
	while (!b->err && b->len % a)
		dbuf_u8(b, fill);
}

/* ---- registry ---------------------------------------------------------- */

static size_t hash(uintptr_t a)
{
	return (size_t)((a >> 4) * 0x9e3779b97f4a7c15ull >> 20) &
	       (nbuckets - 1);
}

static struct dsym **find(uintptr_t start)
{
	struct dsym **pp;

	if (!nbuckets)
		return NULL;
	for (pp = &buckets[hash(start)]; *pp; pp = &(*pp)->next)
		if ((*pp)->start == start)
			return pp;
	return NULL;
}

static int insert(struct dsym *s)
{
	if (nsyms >= nbuckets) {
		size_t old = nbuckets, n = old ? old * 2 : 256;
		struct dsym **nb = calloc(n, sizeof(*nb)), **ob = buckets;

		if (!nb)
			return -1;
		buckets = nb;
		nbuckets = n;
		for (size_t i = 0; i < old; i++)
			while (ob[i]) {
				struct dsym *x = ob[i];

				ob[i] = x->next;
				x->next = buckets[hash(x->start)];
				buckets[hash(x->start)] = x;
			}
		free(ob);
	}
	s->next = buckets[hash(s->start)];
	buckets[hash(s->start)] = s;
	nsyms++;
	return 0;
}

static void dsym_free(struct dsym *s)
{
	gdbjit_remove(s);
	unwind_deregister(s->unw);
	free(s->name);
	free(s->cfi);
	free(s);
}

/* Publish s to every enabled publisher; the first error is returned. */
static int publish(struct dsym *s, unsigned to)
{
	int ret = 0, err = 0;

	if ((to & JIT_DEBUG_GDB) && gdbjit_add(s))
		ret = -1, err = err ? err : errno;
	if ((to & JIT_DEBUG_JITDUMP) && jitdump_add(s))
		ret = -1, err = err ? err : errno;
	if ((to & JIT_DEBUG_PERFMAP) && perfmap_add(s))
		ret = -1, err = err ? err : errno;
	if (ret)
		errno = err;
	return ret;
}

static int enable_locked(unsigned flags)
{
	int ret = 0, err = 0;

	if (flags & JIT_DEBUG_GDB)	/* code mapped from now on takes */
		os_code_private();	/* debugger breakpoints (os.c) */

	for (unsigned f = 1; f <= JIT_DEBUG_PERFMAP; f <<= 1) {
		int r = 0;

		if (!(flags & f) || (enabled & f))
			continue;
		if (f == JIT_DEBUG_JITDUMP)
			r = jitdump_open();
		else if (f == JIT_DEBUG_PERFMAP)
			r = perfmap_open();
		if (r) {
			ret = -1;
			err = err ? err : errno;
			continue;
		}
		enabled |= f;
		for (size_t i = 0; i < nbuckets; i++)
			for (struct dsym *s = buckets[i]; s; s = s->next)
				publish(s, f);
	}
	if (ret)
		errno = err;
	return ret;
}

static void disable_locked(unsigned flags)
{
	flags &= enabled;
	enabled &= ~flags;
	if (flags & JIT_DEBUG_GDB)
		gdbjit_clear();
	if (flags & JIT_DEBUG_JITDUMP)
		jitdump_close();
	if (flags & JIT_DEBUG_PERFMAP)
		perfmap_close();
}

/* ---- fork and environment ---------------------------------------------- */

static void init(void);

/* Lock order (internal.h): the once, then the registry lock. */
void debug_fork_prepare(void)
{
	pthread_once(&once, init);
	pthread_mutex_lock(&lock);
}

void debug_fork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

/* The child's pid differs: its perf files are its own, opened lazily. */
void debug_fork_child(void)
{
	unsigned files = enabled & (JIT_DEBUG_JITDUMP | JIT_DEBUG_PERFMAP);

	jitdump_close();
	perfmap_close();
	enabled &= ~files;
	pending |= files;
	pthread_mutex_unlock(&lock);
}

static unsigned parse_env(const char *v)
{
	static const struct { const char *word; unsigned flags; } words[] = {
		{ "gdb", JIT_DEBUG_GDB }, { "jitdump", JIT_DEBUG_JITDUMP },
		{ "perfmap", JIT_DEBUG_PERFMAP }, { "map", JIT_DEBUG_PERFMAP },
		{ "perf", JIT_DEBUG_JITDUMP | JIT_DEBUG_PERFMAP },
		{ "all", JIT_DEBUG_ALL },
	};
	unsigned flags = 0;

	while (v && *v) {
		size_t n = strcspn(v, ", :");

		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].word) == n &&
			    !strncmp(v, words[i].word, n))
				flags |= words[i].flags;
		v += n;
		v += strspn(v, ", :");
	}
	return flags;
}

static void init(void)
{
	pending = parse_env(getenv("TRAMPJIT_DEBUG"));
	fork_setup();	/* before the registry lock is first taken */
}

static void lock_registry(void)
{
	pthread_once(&once, init);
	pthread_mutex_lock(&lock);
	if (pending) {
		unsigned p = pending;

		pending = 0;
		enable_locked(p);	/* a failure leaves that one off */
	}
}

/* ---- validation -------------------------------------------------------- */

/* Names: 1..JIT_NAME_MAX bytes of UTF-8 without control characters (they
   would break the line-based perf map and confuse tools). */
static int name_check(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = 0;

	if (!name || !*name) {
		errno = EINVAL;
		return -1;
	}
	while (*p) {
		unsigned c = *p, k;
		uint32_t cp;

		if (c < 0x20 || c == 0x7f) {
			errno = EINVAL;
			return -1;
		}
		k = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 :
		    (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 4;
		if (k == 4)
			goto bad;
		cp = k ? c & (0x3f >> k) : c;
		for (unsigned i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		p += k + 1;
		n += k + 1;
		if (n > JIT_NAME_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
	}
	return 0;
bad:
	errno = EILSEQ;
	return -1;
}

/* Reread the executable mappings of the process. */
static int xmaps_load(void)
{
	struct dbuf text = { 0 };
	struct xmap *v = NULL;
	size_t n = 0, cap = 0;
	char chunk[4096], *line;
	ssize_t r;
	unsigned long gen = os_unmap_count();
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		dbuf_put(&text, chunk, (size_t)r);
	close(fd);
	dbuf_u8(&text, 0);
	if (r < 0 || text.err) {
		free(text.p);
		errno = r < 0 ? errno : ENOMEM;
		return -1;
	}
	for (line = (char *)text.p; *line; line = strchr(line, '\n') + 1) {
		unsigned long lo, hi;
		char perm[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) == 3 &&
		    perm[2] == 'x') {
			if (n && v[n - 1].hi == lo &&
			    v[n - 1].readable == (perm[0] == 'r')) {
				v[n - 1].hi = hi;
			} else {
				if (n == cap) {
					struct xmap *nv;

					cap = cap ? cap * 2 : 64;
					nv = realloc(v, cap * sizeof(*v));
					if (!nv)
						break;
					v = nv;
				}
				v[n++] = (struct xmap){ lo, hi,
							perm[0] == 'r' };
			}
		}
		if (!strchr(line, '\n'))
			break;
	}
	free(text.p);
	free(xmaps);
	xmaps = v;
	nxmaps = n;
	xmaps_gen = gen;
	return 0;
}

/* The cached mapping holding [a, a+len), or NULL. */
static const struct xmap *xmaps_find(uintptr_t a, size_t len)
{
	size_t lo = 0, hi = nxmaps;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (xmaps[mid].hi <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < nxmaps && xmaps[lo].lo <= a && a + len <= xmaps[lo].hi)
		return &xmaps[lo];
	return NULL;
}

/*
 * Is [a, a+len) code of this process: inside a trampoline table's code
 * half, or inside executable mappings?  Sets *readable.  The cached maps
 * answer "no" safely (reread on a miss); a "yes" is trusted only while the
 * library has unmapped nothing since they were read.
 */
static int range_check(const void *code, size_t len, int *readable)
{
	uintptr_t a = (uintptr_t)code;
	struct table *tb = pool_table_of(code);
	const struct xmap *m;

	if (!code || !len || a + len < a)
		goto bad;
	if (tb) {
		if (a + len > (uintptr_t)tb->base + tb->code_size)
			goto bad;
		*readable = tb->backend != TRAMP_FAULT &&
			    tb->backend != BK_KERNEL;
		return 0;
	}
	m = xmaps_find(a, len);
	if (!m || xmaps_gen != os_unmap_count()) {
		if (xmaps_load())
			return -1;
		m = xmaps_find(a, len);
	}
	if (!m)
		goto bad;
	*readable = m->readable;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* ---- naming ------------------------------------------------------------ */

/* Add (or replace) a named range; under the lock.  cfi_len == 0 with
   has_cfi: the CIE's entry rule holds throughout. */
static int add_locked(const void *code, size_t len, const char *name,
		      const void *cfi, size_t cfi_len, int has_cfi,
		      int readable)
{
	struct dsym *s = calloc(1, sizeof(*s)), **old;

	if (!s)
		return -1;
	s->start = (uintptr_t)code;
	s->len = len;
	s->name = strdup(name);
	s->has_cfi = (unsigned char)has_cfi;
	s->readable = (unsigned char)readable;
	if (cfi_len) {
		s->cfi = malloc(cfi_len);
		if (s->cfi)
			memcpy(s->cfi, cfi, cfi_len);
		s->cfi_len = cfi_len;
	}
	if (!s->name || (cfi_len && !s->cfi)) {
		free(s->name);
		free(s->cfi);
		free(s);
		errno = ENOMEM;
		return -1;
	}
	old = find(s->start);
	if (old) {
		struct dsym *o = *old;

		*old = o->next;
		nsyms--;
		dsym_free(o);
	}
	if (insert(s)) {
		free(s->name);
		free(s->cfi);
		free(s);
		errno = ENOMEM;
		return -1;
	}
	if (has_cfi)	/* tables alone: they stay for good, JIT code groups */
		s->unw = unwind_register(s, !pool_table_of(code));
	return publish(s, enabled);
}

/* Set once any code has been named by the user: until then freeing code
   (debug_code_freed) costs one load. */
_Atomic int debug_user_named;

void debug_code_unname(const void *code)
{
	int err = errno;

	jit_unname(code);
	errno = err;
}

static int name_range(const void *code, size_t len, const char *name,
		      const void *cfi, size_t cfi_len, int has_cfi)
{
	int readable = 0, ret;

	if (name_check(name))
		return -1;
	if ((cfi_len && !cfi) || cfi_len > CFI_MAX ||
	    (has_cfi && cfi_check(cfi, cfi_len, len))) {
		errno = EINVAL;
		return -1;
	}
	lock_registry();
	ret = range_check(code, len, &readable);
	if (!ret)
		ret = add_locked(code, len, name, cfi, cfi_len, has_cfi,
				 readable);
	pthread_mutex_unlock(&lock);
	if (!ret)
		atomic_store_explicit(&debug_user_named, 1,
				      memory_order_relaxed);
	return ret;
}

int jit_name(const void *code, size_t len, const char *name)
{
	return name_range(code, len, name, NULL, 0, 0);
}

int jit_name_unwind(const void *code, size_t len, const char *name,
		    const void *cfi, size_t cfi_len)
{
	return name_range(code, len, name, cfi, cfi_len, 1);
}

int tramp_name(struct tramp *t, const char *name)
{
	void *code = tramp_code(t);
	struct table *tb = code ? pool_table_of(code) : NULL;

	if (!tb) {
		errno = EINVAL;
		return -1;
	}
	return name_range(code, tb->code_stride, name, NULL, 0, 0);
}

int jit_unname(const void *code)
{
	struct dsym **pp, *s;

	lock_registry();
	pp = code ? find((uintptr_t)code) : NULL;
	if (!pp) {
		pthread_mutex_unlock(&lock);
		errno = ENOENT;
		return -1;
	}
	s = *pp;
	*pp = s->next;
	nsyms--;
	dsym_free(s);
	pthread_mutex_unlock(&lock);
	return 0;
}

int jit_debug_enable(unsigned flags)
{
	int ret;

	if (flags & ~JIT_DEBUG_ALL) {
		errno = EINVAL;
		return -1;
	}
	lock_registry();
	ret = enable_locked(flags);
	pthread_mutex_unlock(&lock);
	return ret;
}

int jit_debug_disable(unsigned flags)
{
	if (flags & ~JIT_DEBUG_ALL) {
		errno = EINVAL;
		return -1;
	}
	lock_registry();
	disable_locked(flags);
	pthread_mutex_unlock(&lock);
	return 0;
}

unsigned jit_debug_flags(void)
{
	unsigned f;

	lock_registry();
	f = enabled;
	pthread_mutex_unlock(&lock);
	return f;
}

static const struct cfa_step syscall_cfa[] = { ARCH_SYSCALL_CFA };

/* The CFI of a table: every stub takes its backend's steps from its own
   entry on; the last stub's step onto the next one is left out.  The code
   alignment factor is 1: advances count bytes. */
static void table_cfi(struct dbuf *b, const struct table *tb)
{
	unsigned n = 0, at = 0, end = tb->nslots * tb->code_stride;
	const struct cfa_step *s = NULL;

	if (tb->backend == TRAMP_SYSCALL) {
		s = syscall_cfa;
		n = sizeof(syscall_cfa) / sizeof(syscall_cfa[0]);
	}
#ifdef ARCH_TRAMPFD
	if (tb->backend == BK_KERNEL_CALL) {
		s = arch_kcall_cfa;
		n = arch_kcall_ncfa;
	}
#endif

	for (unsigned i = 0; s && i < tb->nslots; i++) {
		for (unsigned k = 0; k < n; k++) {
			unsigned off = i * tb->code_stride + s[k].at;

			if (off >= end)
				break;
			dbuf_cfa_advance(b, off - at);
			dbuf_cfa_offset(b, s[k].cfa);
			at = off;
		}
	}
}

/* A new trampoline table: unwind info always, names where enabled.  A
   failure here costs only the name: the table works regardless. */
void debug_table_added(struct table *tb)
{
	struct dbuf cfi = { 0 };
	int err = errno;

	table_cfi(&cfi, tb);
	if (!cfi.err) {
		lock_registry();
		add_locked(tb->base, tb->code_size, TABLE_NAME, cfi.p,
			   cfi.len, 1, tb->backend != TRAMP_FAULT &&
			   tb->backend != BK_KERNEL);
		pthread_mutex_unlock(&lock);
	}
	free(cfi.p);
	errno = err;
}
