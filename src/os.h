/* SPDX-License-Identifier: MIT */
/*
 * The OS layer: the only code that calls mmap, mprotect, memfd_create,
 * prctl, membarrier and friends.  Every function returns -1 (or NULL) with
 * errno on failure, as the kernel reported it, and never aborts.
 */
#ifndef TRAMPJIT_OS_H
#define TRAMPJIT_OS_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

/* The page size of the running kernel (cached). */
size_t os_page_size(void);

/* Reserve len bytes of address space aligned to align, PROT_NONE and
   MAP_NORESERVE: costs no memory, only one VMA.
   pre: align is a power of two multiple of the page size. */
void *os_reserve(size_t len, size_t align);

/* Give [addr, addr+len) back to a PROT_NONE reservation (MAP_FIXED), so
   the range stays ours and may merge with its neighbours. */
int os_unreserve(void *addr, size_t len);

/* Map len bytes of fd at off read+execute, shared, at addr (MAP_FIXED over
   our own reservation) or anywhere when addr is NULL.  Never writable.
   Private instead once the GDB publisher is wanted (os_code_private(), or
   TRAMPJIT_DEBUG names gdb), so that debuggers can insert breakpoints.
   pre: off and len page aligned. */
void *os_map_code(void *addr, size_t len, int fd, off_t off);

/* Map code private from now on (the GDB publisher was turned on). */
void os_code_private(void);

/* After len bytes of code at code were written through its file or a
   writable view (src holds them): bring them into pages of a private code
   mapping that a debugger's breakpoint copied, and do the architecture's
   instruction-cache maintenance.  Returns 0, or -1 with errno when
   /proc/self/pagemap or /proc/self/mem cannot be used (only possible once
   code was mapped private).  pre: len > 0. */
int os_code_refresh(void *code, const void *src, size_t len);
extern _Atomic int os_code_private_used; /* some code was mapped private */

static inline int os_code_written(void *code, const void *src, size_t len)
{
	char *p = code;

	if (atomic_load_explicit(&os_code_private_used,
				 memory_order_relaxed) &&
	    os_code_refresh(p, src, len))
		return -1;
	__builtin___clear_cache(p, p + len);
	return 0;
}

/* Whether some code was mapped private (see os_code_written), so a code
   page may differ from its file. */
static inline int os_code_copied(void)
{
	return atomic_load_explicit(&os_code_private_used,
				    memory_order_relaxed);
}

/* Map len bytes of private anonymous read-write memory at addr (MAP_FIXED)
   or anywhere when addr is NULL. */
void *os_map_data(void *addr, size_t len);

/* Map len bytes of fd at off read-write and shared (a writable view of a
   code file; callers exclude it from fork with os_dontfork). */
void *os_map_view(void *addr, size_t len, int fd, off_t off);

/* Exclude [addr, addr+len) from fork children (MADV_DONTFORK), or
   include it again (MADV_DOFORK). */
int os_dontfork(void *addr, size_t len);
int os_dofork(void *addr, size_t len);

/* Make a writable view read-only (it never gains execute). */
int os_view_readonly(void *addr, size_t len);

int os_unmap(void *addr, size_t len);

/* How many calls so far may have removed or changed a mapping (unmap,
   unreserve, protect, move, MAP_FIXED data or view): a cache of the
   process's mappings is stale once this changed.  Async-signal-safe. */
unsigned long os_unmap_count(void);

/* Change protection; used only by the mprotect baseline. */
int os_protect(void *addr, size_t len, int prot);

/*
 * A close-on-exec memfd for code, with sealing allowed.  Tries MFD_EXEC
 * first (kernels >= 6.3 want to be told; EACCES when vm.memfd_noexec=2
 * forbids it, in which case the memfd is still mappable executable), then
 * no exec flag (EINVAL: older kernel).  os_memfd_mode() says which worked.
 */
int os_memfd(const char *name);
const char *os_memfd_mode(void);

/* Seal fd against write, grow, shrink and further seals. */
int os_seal(int fd);

/* Write all of buf at off, retrying short writes and EINTR.  Like every
   file write and resize here: EFBIG past RLIMIT_FSIZE, and the kernel's
   SIGXFSZ never reaches the program (os.c). */
int os_pwrite_all(int fd, const void *buf, size_t len, off_t off);

/* The same for n iovecs written at off (they are consumed). */
struct iovec;
int os_pwritev_all(int fd, struct iovec *iov, int n, off_t off);

int os_truncate(int fd, off_t len);

/* 1 when prctl(PR_SET_MDWE) is in force for this process, else 0. */
int os_mdwe_active(void);

/* Make every running thread of the process serialise its instruction
   stream (membarrier SYNC_CORE, registered on first use).  Counts calls
   in os_membarrier_calls. */
int os_membarrier_sync_core(void);
/* A full memory barrier on every thread of the process (membarrier
   PRIVATE_EXPEDITED, registered on first use): 0, or -1 with errno. */
int os_membarrier_fence(void);
extern unsigned long os_membarrier_calls;

/* Move the private mapping [from, from+len) to to, replacing whatever is
   there in one step (mremap MREMAP_FIXED): a concurrent access sees the
   old pages or the new ones.  Used by the mprotect baseline. */
int os_move(void *from, size_t len, void *to);

/*
 * Make syscall number nr of the native ABI raise SIGSYS (seccomp filter,
 * SECCOMP_RET_TRAP) in every thread of the process; every other syscall is
 * allowed.  Sets no_new_privs first.  Irrevocable and inherited across
 * fork and execve.  Fails with ENOSYS/EINVAL (no seccomp filters: probed
 * first, nothing is set), EACCES/EPERM (forbidden) or EBUSY (a thread runs
 * an unrelated filter, so TSYNC is impossible).
 */
int os_seccomp_trap(int nr);

#endif

/* ---- JIT half ---------------------------------------------------------- */

/* Write len bytes made of unit repeated (the last copy cut short) at off,
   with few pwritev calls; retries short writes and EINTR. */
int os_pwrite_repeat(int fd, const void *unit, size_t unit_len, size_t len,
		     off_t off);

/* Free the pages of [off, off+len) of fd; they read as zeros afterwards. */
int os_punch_hole(int fd, off_t off, size_t len);

/* The seals of fd (F_GET_SEALS), or -1 with EINVAL when it has none. */
int os_get_seals(int fd);

/* Size of the file behind fd, or -1 with errno. */
long long os_file_size(int fd);

/* Set (on) or clear close-on-exec on fd. */
int os_set_cloexec(int fd, int on);

/* ---- tooling ------------------------------------------------------------ */

/* Copy len bytes of this process's memory at src to dst without touching
   src directly (process_vm_readv; through a pipe where that is ENOSYS):
   EFAULT instead of a crash when part of it is not mapped or not
   readable, even while another thread unmaps it; EPERM when a seccomp
   filter refuses process_vm_readv. */
int os_read_mem(void *dst, const void *src, size_t len);

/* Map the first len bytes of file fd private read+execute, anywhere: the
   marker by which perf record notices a jitdump file (never executed, never
   writable).  pre: len page aligned. */
void *os_map_marker(int fd, size_t len);

/* ---- kernel module ------------------------------------------------------ */

/*
 * The process's descriptor of the trampjit kernel module's device
 * (/dev/trampfd), opened close-on-exec on first use and kept.  Returns it,
 * or -1 with ENOSYS when the module is not loaded (no such device), or the
 * errno of open(2) (EACCES...).  Never opens the device for a process that
 * does not ask for a kernel backend or the kernel JIT mode.  Thread-safe.
 */
int os_trampfd(void);
