/* SPDX-License-Identifier: MIT */
/*
 * Internal declarations shared across files: tables, backends and the slot
 * pool.  Everything here is hidden (-fvisibility=hidden).
 */
#ifndef TRAMPJIT_INTERNAL_H
#define TRAMPJIT_INTERNAL_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The public API is the only thing the library exports. */
#pragma GCC visibility push(default)
#include "trampjit.h"
#pragma GCC visibility pop
#include "arch.h"

/* Bugs, not errors: checked in debug and test builds (-DTRAMPJIT_DEBUG). */
#ifdef TRAMPJIT_DEBUG
#include <stdio.h>
#include <stdlib.h>
#define ASSERT(e)							\
	((e) ? (void)0 : (fprintf(stderr, "trampjit: %s:%d: %s\n",	\
				  __FILE__, __LINE__, #e), abort()))
#else
#define ASSERT(e) ((void)0)
#endif

/* Table kinds: enum tramp_kind, plus TRAMP_BIND with TRAMP_BIND_SRET,
   which needs a thunk (hence tables) of its own. */
#define KIND_BIND_SRET	4
#define NKINDS		5
/*
 * Backends by internal index (tables, pools, backends[]): the enum value
 * for the user-space ones, BK_KERNEL and BK_KERNEL_CALL for TRAMP_KERNEL
 * and TRAMP_KERNEL_CALL, whose public values leave a gap.
 */
#define NBACKENDS	6
#define BK_KERNEL	4
#define BK_KERNEL_CALL	5

/*
 * Every trampoline lives in a table: one SPAN-aligned piece of the arena,
 * a code half at base followed by a read-write data half of slots.  Code
 * address, slot and handle map to each other by arithmetic.
 */
#define SPAN_SHIFT	18		/* 256 KiB per table */
#define SPAN		((size_t)1 << SPAN_SHIFT)

struct table {
	char *base;		/* start of the code half (= of the span) */
	char *data;		/* start of the slots: base + code_size */
	size_t code_size;	/* bytes of code half, page multiple */
	size_t data_size;	/* bytes of slots, page multiple */
	unsigned code_stride;	/* bytes between trampoline addresses */
	unsigned nslots;	/* trampolines in this table */
	unsigned char kind;	/* enum tramp_kind */
	unsigned char backend;	/* enum tramp_backend */
	unsigned char dclass;	/* data class: co-allocated bytes per slot */
	void *priv;		/* backend's own per-table state */
	char *udata;		/* co-allocated data of slot i at udata +
				   i * class_size(dclass); NULL if none */
};

/*
 * Data classes: tables whose slots come with co-allocated data hold it in
 * the span after their own (SPAN / size slots at most), so a data address
 * maps to its table and slot by arithmetic too.  Class 0 has none.
 */
#define NCLASSES	3
static inline unsigned class_shift(unsigned c)	/* pre: c != 0 */
{
	return 6 + 2 * (c - 1);
}

static inline size_t class_size(unsigned c)
{
	return c ? (size_t)1 << class_shift(c) : 0;	/* 0, 64, 256 */
}

_Static_assert((64 << 2 * (NCLASSES - 2)) == TRAMP_DATA_MAX, "classes");

/* The smallest class holding n bytes (n <= TRAMP_DATA_MAX). */
static inline unsigned class_of(size_t n)
{
	return n == 0 ? 0 : n <= 64 ? 1 : 2;
}

/*
 * A backend: how the code half of a table is made and what a slot change
 * must do besides storing the pair.  The front end owns the data half.
 */
struct backend_ops {
	/* Once per process, before its first table; may install process-wide
	   handlers.  Returns 0 or -1 with errno; a failure installs nothing
	   and is retried on the next tramp_create(). */
	int (*setup)(void);
	/* Fill in tb->code_stride, nslots, code_size for tb->kind. */
	void (*geometry)(struct table *tb);
	/* Map the code half at tb->base (the data half is mapped after it).
	   Returns 0 or -1 with errno. */
	int (*map_code)(struct table *tb);
	/* Slot i was written (create or retarget); NULL if nothing to do.
	   Returns 0 or -1 with errno. */
	int (*publish)(struct table *tb, unsigned i);
	/* Slot i was freed; NULL if nothing to do. */
	void (*retire)(struct table *tb, unsigned i);
};

extern const struct backend_ops backend_static;
extern const struct backend_ops backend_fault;
extern const struct backend_ops backend_syscall;
extern const struct backend_ops backend_mprotect;
extern const struct backend_ops backend_kernel;
extern const struct backend_ops backend_kernel_call;
/* Indexed by internal index; NULL: not built on this architecture. */
extern const struct backend_ops *const backends[NBACKENDS];

/*
 * pool.c: the arena, its tables and the free slots.  The hot halves are
 * inline here: a thread's cache of free slots (initial-exec TLS, so no
 * __tls_get_addr call in the shared library) and the directory lookup.
 * A cache holding a slot belongs to a thread whose exit flushes it
 * (pool.c registered it for that), so only the empty and the full cases
 * leave the inline paths.
 */
#define POOL_CACHE_MAX	64	/* slots a thread's cache holds at most */
struct slot_cache {
	void *head;		/* free slots, linked through word 0 */
	unsigned n;		/* how many */
};
extern _Thread_local __attribute__((tls_model("initial-exec")))
struct slot_cache pool_caches[NBACKENDS][NKINDS];
/* Caches of the data classes, malloc'ed on a thread's first use (NULL
   before, and again once its exit flushed them): static TLS is scarce for
   libraries loaded by dlopen (glibc's surplus is a few KiB shared by all
   of them), so it holds only the class 0 caches. */
struct pool_dcaches {
	/* by backend, kind and data class - 1 */
	struct slot_cache c[NBACKENDS][NKINDS][NCLASSES - 1];
};
extern _Thread_local __attribute__((tls_model("initial-exec")))
struct pool_dcaches *pool_dcaches;

/* This thread's cache of (b, k, dclass), or NULL when the data classes
   have none yet. */
static inline struct slot_cache *slot_cache_of(unsigned b, unsigned k,
					       unsigned dclass)
{
	struct pool_dcaches *d = pool_dcaches;

	if (!dclass)
		return &pool_caches[b][k];
	return d ? &d->c[b][k][dclass - 1] : NULL;
}

/* pre: c->n > 0. */
static inline void *slot_cache_pop(struct slot_cache *c)
{
	void *s = c->head;

	c->head = *(void **)s;
	c->n--;
	return s;
}

/* Whether a push needs no slow path: the cache holds a slot (so its
   thread is registered) and has room. */
static inline int slot_cache_open(const struct slot_cache *c)
{
	return c->n - 1 < POOL_CACHE_MAX - 1;
}

/* pre: slot_cache_open(c). */
static inline void slot_cache_push(struct slot_cache *c, void *s)
{
	*(void **)s = c->head;
	c->head = s;
	c->n++;
}
/* The slow halves, and every data class (their caches are malloc'ed):
   refill an empty cache and take a slot (NULL with errno); put a slot in
   a cache that is empty or full. */
void *pool_alloc_refill(enum tramp_backend b, enum tramp_kind k,
			unsigned dclass);
void pool_free_slow(struct table *tb, void *slot);
/* pool_free straight to the shared list, bypassing this thread's cache
   (for thread-exit destructors, which may run after the cache's own). */
void pool_give_back(struct table *tb, void *slot);

static inline void *pool_alloc(enum tramp_backend b, enum tramp_kind k,
			       unsigned dclass)
{
	struct slot_cache *c = &pool_caches[b][k];

	if (__builtin_expect(dclass || !c->n, 0))
		return pool_alloc_refill(b, k, dclass);
	return slot_cache_pop(c);
}

/* pre: slot is a slot of tb; its target word is already 0. */
static inline void pool_free(struct table *tb, void *slot)
{
	struct slot_cache *c = &pool_caches[tb->backend][tb->kind];

	if (__builtin_expect(tb->dclass || !slot_cache_open(c), 0))
		pool_free_slow(tb, slot);
	else
		slot_cache_push(c, slot);
}

/*
 * The directory: pool_root[a >> POOL_DIR_SHIFT][(a >> SPAN_SHIFT) %
 * POOL_LEAF_SIZE] is the table of address a, or NULL.  Leaves are
 * published with release stores once complete, entries once their table
 * is; addresses at or above 2^POOL_VA_BITS have no table.
 */
#define POOL_VA_BITS	48
#define POOL_LEAF_SHIFT	16
#define POOL_LEAF_SIZE	((size_t)1 << POOL_LEAF_SHIFT)
#define POOL_DIR_SHIFT	(SPAN_SHIFT + POOL_LEAF_SHIFT)
#define POOL_ROOT_SIZE	((size_t)1 << (POOL_VA_BITS - POOL_DIR_SHIFT))
extern struct table *_Atomic *_Atomic pool_root[POOL_ROOT_SIZE];

/* The table of addr, or NULL if not in a table.  Async-signal-safe. */
static inline struct table *pool_table_of(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	struct table *_Atomic *leaf;

	if (a >> POOL_VA_BITS)
		return NULL;
	leaf = atomic_load_explicit(&pool_root[a >> POOL_DIR_SHIFT],
				    memory_order_acquire);
	if (!leaf)
		return NULL;
	return atomic_load_explicit(&leaf[(a >> SPAN_SHIFT) &
					  (POOL_LEAF_SIZE - 1)],
				    memory_order_acquire);
}

/* tramp.c, for the libffi drop-in: trampolines with co-allocated data,
   each call with one table lookup.  tramp_create_coalloc: tramp_create()
   that also gives the code and data addresses; tramp_data_slot: the live
   slot whose data starts at data, and its table (NULL with EINVAL when
   none does); tramp_destroy_data: tramp_destroy() of that slot (-1 with
   EINVAL when none). */
struct tramp *tramp_create_coalloc(const struct tramp_spec *spec,
				   void **code, void **data);
struct tramp *tramp_data_slot(const void *data, struct table **tbp);
int tramp_destroy_data(void *data);

/* tramp.c: the slot behind a live trampoline's code address, or NULL.
   Async-signal-safe (the fault and syscall backends call it). */
void *tramp_slot_at(const void *code, struct table **tbp);

/* Index of slot within its table. */
static inline unsigned slot_index(const struct table *tb, const void *slot)
{
	return (unsigned)((size_t)((const char *)slot - tb->data) /
			  SLOT_PAIR_SIZE);
}

static inline char *slot_code(const struct table *tb, unsigned i)
{
	return tb->base + (size_t)i * tb->code_stride;
}

static inline char *slot_at(const struct table *tb, unsigned i)
{
	return tb->data + (size_t)i * SLOT_PAIR_SIZE;
}

/* Co-allocated data of slot i.  pre: tb->dclass != 0. */
static inline char *slot_udata(const struct table *tb, unsigned i)
{
	return tb->udata + ((size_t)i << class_shift(tb->dclass));
}

/* The target word of a slot: 0 when free. */
static inline uintptr_t slot_target(const void *slot)
{
	return arch_slot_target(slot);
}

/* tramp.c: a context applied to a register image (see there). */
uintptr_t context_image(uintptr_t *img, const struct tramp_context *c);

/* jit_kernel.c: the kernel module's JIT objects (JIT_APPEND_KERNEL).
   kjit_create: code mapped read+execute by the module; kjit_region: an
   int3-filled region of cap bytes; kjit_append: append at the module's
   next 16-byte boundary; kjit_destroy: unmap an object (EINVAL if addr
   is not the start of one).  NULL/-1 with errno. */
void *kjit_create(const void *src, size_t len);
void *kjit_region(size_t cap);
void *kjit_append(void *region, const void *src, size_t len);
int kjit_destroy(void *addr);

/* Validate a context for TRAMP_CONTEXT or tramp_jump: 0 or EINVAL. */
int context_check(const struct tramp_context *c);

/* tramp_fault.c: signal plumbing shared by the fault and syscall backends.
   fault_enter: if pc is the entry of a live trampoline of backend b,
   redirect uc as that trampoline and return 1, else 0.  Async-signal-safe. */
#include <signal.h>
int fault_enter(void *uc, const void *pc, enum tramp_backend b);

/*
 * sigchain.c: the disposition a library handler replaced, and delivery of
 * the signals that are not the library's to it as the kernel would have
 * delivered them.  sigchain_install saves the current action of sig into
 * c, then installs fn (SA_SIGINFO | SA_ONSTACK); 0 or -1 with errno.
 * sigchain_uninstall puts the saved action back (failure paths).
 * sigchain_deliver is called from fn with fn's arguments for a signal fn
 * does not own; async-signal-safe.
 */
struct sigchain {
	struct sigaction act;	/* the action before ours */
	atomic_int reset;	/* SA_RESETHAND used: act counts as SIG_DFL */
};
int sigchain_install(struct sigchain *c, int sig,
		     void (*fn)(int, siginfo_t *, void *));
int sigchain_uninstall(struct sigchain *c, int sig);
void sigchain_deliver(struct sigchain *c, int sig, siginfo_t *si, void *uc);

#endif

/* ---- JIT half ---------------------------------------------------------- */

#include <signal.h>
#include <sys/types.h>

/* arch/<arch>/jit_trap.c: the address of the filler-sized breakpoint
   instruction behind a SIGTRAP (0: not a breakpoint exception); whether
   the bytes now at pc (before: the byte at pc - 1, -1 if unreadable) make
   a breakpoint instruction ending where that one ended, so that no stale
   filler is needed to explain the trap; resuming a signal context
   elsewhere.  The helpers are async-signal-safe.  The filler of unwritten
   code space is ARCH_FILL_WORD (arch.h), repeated from every
   ARCH_INSN_SIZE-aligned file offset. */
uintptr_t arch_breakpoint_pc(const siginfo_t *si, const void *uc);
int arch_breakpoint_explained(uintptr_t pc, int before);
void arch_set_pc(void *uc, uintptr_t pc);

/* Fill len bytes at p, which lies at file (or code) offset off, with the
   filler in its phase for that offset. */
void code_fill_mem(void *p, size_t len, size_t off);
/* Whether the instruction at pc is the filler.  Async-signal-safe. */
int code_is_fill(const void *pc);
/* Whether code_sync() remaps (an emulator keeps stale translations):
   code_stale_state is 0 until known, then 1 (no) or 2 (yes). */
extern _Atomic int code_stale_state;
int code_stale_probe(void);

static inline int code_stale(void)
{
	int s = atomic_load_explicit(&code_stale_state, memory_order_relaxed);

	return s ? s == 2 : code_stale_probe();
}

int code_remap(char *rx, size_t len, int fd, off_t off);

/* Make len bytes of code written at rx (file fd, offset off) visible to
   instruction fetch: cache maintenance, plus a remap of the pages where an
   emulator keeps stale translations (codesync.c: code_remap; only then is
   fd read).  Returns 0 or -1. */
static inline int code_sync(char *rx, size_t len, int fd, off_t off)
{
	__builtin___clear_cache(rx, rx + len);
	if (!len || !code_stale())
		return 0;
	return code_remap(rx, len, fd, off);
}

/*
 * trap.c: the address ranges whose filler may have been replaced by code
 * since a thread fetched it.  A SIGTRAP on a filler byte inside a range
 * that no longer holds the filler is rewound and retried; with
 * TRAP_SWAPPED a SIGSEGV (no mapping) inside the range is retried too, as
 * it hit the gap of a MAP_FIXED page swap.  Handlers are installed on the
 * first trap_add() (SIGSEGV: the first with TRAP_SWAPPED) and chain to the
 * previous ones.  trap_add returns an id for trap_del, or -1 with errno.
 */
#define TRAP_SWAPPED	1u
#define TRAP_COW	2u	/* SIGSEGV: a store into a view write-
				   protected at fork (heap_cow_fault,
				   near_cow_fault) */
int trap_add(const void *start, size_t len, unsigned flags);
/* Add flags to range id (installing what they need): 0, or -1. */
int trap_flags(int id, unsigned flags);
void trap_del(int id);
/* Swap window bookkeeping: bracket every MAP_FIXED page swap. */
void trap_swap_begin(void);
void trap_swap_end(void);

/* Process-wide counters, reported by jit_get_stats(). */
extern unsigned long jit_stat_fixups, jit_stat_retries, jit_stat_flushes,
	jit_stat_swaps, jit_stat_membarrier_failures;

/* Fill len bytes of fd at off with the filler.  Returns 0 or -1. */
int code_fill(int fd, off_t off, size_t len);
/* CODE_FILL_PAGE bytes of filler as it lies at offset 0 (and at every
   multiple of 64). */
#define CODE_FILL_PAGE	4096
const unsigned char *code_fill_page(void);


/*
 * heap.c: the packed code heaps (heap.h).  HEAP_PWRITE has no writable view; the
 * others map one ARENA bytes above the code (heap_alloc returns it in *rw,
 * NULL for HEAP_PWRITE).  heap_free refuses anything but the start of a
 * live object (EINVAL).  heap_of and heap_range_live are inline, in
 * heap.h.
 */
enum heap_id { HEAP_PWRITE, HEAP_ALIAS, HEAP_DUAL, HEAP_COUNT };
void *heap_alloc(enum heap_id id, size_t len, char **rw);
int heap_free(enum heap_id id, void *code);
/* code_sync() for len bytes written at rx in heap id. */
int heap_sync(enum heap_id id, char *rx, size_t len);
/* jit_create_code's write of the object at rx that heap_alloc returned
   (HEAP_PWRITE, HEAP_ALIAS) is over, its sync included: a fork may
   proceed.  Called once per allocation. */
void heap_written(enum heap_id id, char *rx);
/* Mark the dual-view buffer at rx JIT_DUAL_FORK_PRIVATE: 0, or -1. */
int heap_dual_private(void *rx);
/* A SIGSEGV at addr, in the dual heap's views: 2 when it was a store
   into a view just made writable (copy-on-write after fork), 1 when the
   view already was writable (retry), 0 when the fault is not ours. */
int heap_cow_fault(const void *addr);
/* The same for a near dual-view buffer's RW view (dual_near.c). */
int near_cow_fault(const void *addr);
/* dual_near.c: near dual-view buffers, for dual.c.  near_rw/near_rx: the
   address in the other view, or NULL (lock-free).  near_commit and
   near_free return 1 when addr is not a near buffer's, else what the
   public function returns. */
void *near_rw(const void *rx);
void *near_rx(const void *rw);
int near_commit(const void *addr, size_t len, unsigned flags);
int near_free(void *addr);

/* Distance from the RX view to the RW view of a heap with views. */
#define HEAP_RW_DELTA	((size_t)1 << 32)

/* debug.c: a table's code half was mapped; registers its unwind info and
   publishes its name.  Called under the table lock; never fails. */
void debug_table_added(struct table *tb);
/* Whether the user has named code (jit_name and friends), ever. */
extern _Atomic int debug_user_named;
void debug_code_unname(const void *code);
/* Code at code was freed: drop the name the user gave it, if any.
   One load unless the user has named code.  Preserves errno. */
static inline void debug_code_freed(const void *code)
{
	if (__builtin_expect(atomic_load_explicit(&debug_user_named,
						  memory_order_relaxed), 0))
		debug_code_unname(code);
}

/*
 * fork.c: the lock order of the whole library, outermost first.  A thread
 * holding one of these locks may only take locks further down the list
 * (fork.c explains why, and takes them all, in this order, around fork):
 *
 *   1. pool locks, locks[backend][kind] in index order	(pool.c)
 *   2. table_lock					(pool.c)
 *   3. TRAMP_MPROTECT page rebuild locks, by stripe	(tramp_mprotect.c)
 *   4. heap locks: HEAP_PWRITE, HEAP_ALIAS, HEAP_DUAL	(heap.c),
 *      then the thread caches' list_lock		(heap_cache.c)
 *   5. reg_lock					(region.c)
 *   6. region locks, by registry slot			(region.c)
 *   7. near dual-view buffer registry lock		(dual_near.c)
 *   8. jitfd mapping list lock				(jitfd.c)
 *   9. name registry once-initialisation, then its lock	(debug.c)
 *  10. trap range lock					(trap.c)
 *  11. code filler once-initialisation		(trap.c)
 *
 * A new lock gets a place in this list and in fork.c's hook table.
 * fork_setup() registers the one pthread_atfork handler triple; every
 * entry point calls it before the first lock it may take.  Returns 0, or
 * -1 with ENOMEM (pthread_atfork failed: creation must fail).
 */
int fork_setup(void);
/* Each module's part, called by fork.c in the order above: prepare takes
   the locks (and makes what a child needs), parent and child release. */
void pool_fork_lock(void);
void pool_fork_unlock(void);
void mprotect_fork_lock(void);
void mprotect_fork_unlock(void);
void heap_fork_prepare(void);
void heap_fork_parent(void);
void heap_fork_child(void);
void region_fork_prepare(void);
void region_fork_parent(void);
void region_fork_child(void);
void near_fork_prepare(void);
void near_fork_parent(void);
void near_fork_child(void);
void jitfd_fork_lock(void);
void jitfd_fork_unlock(void);
void debug_fork_prepare(void);
void debug_fork_parent(void);
void debug_fork_child(void);
void trap_fork_lock(void);
void trap_fork_unlock(void);
