/* SPDX-License-Identifier: MIT */
/*
 * Linux OS layer: every mmap, mprotect, memfd, prctl and membarrier call of
 * the library is here, so that errors are converted in one place.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "os.h"
#include "internal.h"

/* Protection bits every executable mapping adds (PROT_BTI on arm64 when
   the process uses BTI). */
#ifndef ARCH_CODE_PROT
#define ARCH_CODE_PROT	0
#endif

/* What serialises instruction fetch on every thread where the kernel has
   no membarrier SYNC_CORE for the architecture (EINVAL): 0 when done,
   -1 when there is nothing (the membarrier error is reported). */
#ifndef ARCH_SYNC_CORE_FALLBACK
#define ARCH_SYNC_CORE_FALLBACK()	(-1)
#endif

#ifndef MFD_EXEC
#define MFD_EXEC	0x0010U
#endif
#ifndef PR_GET_MDWE
#define PR_GET_MDWE	66
#endif

size_t os_page_size(void)
{
	static _Atomic size_t cached;
	size_t ps = atomic_load_explicit(&cached, memory_order_relaxed);

	if (!ps) {
		ps = (size_t)sysconf(_SC_PAGESIZE);
		atomic_store_explicit(&cached, ps, memory_order_relaxed);
	}
	return ps;
}

/* Mapping changes that may have removed code: see os_unmap_count().
   Counted after the change, so a reader that sees the new count also
   sees the change. */
static _Atomic unsigned long unmaps;

static int unmapped(int r)
{
	atomic_fetch_add_explicit(&unmaps, 1, memory_order_release);
	return r;
}

unsigned long os_unmap_count(void)
{
	return atomic_load_explicit(&unmaps, memory_order_acquire);
}

void *os_reserve(size_t len, size_t align)
{
	size_t span = len + align;
	char *p, *start;

	p = mmap(NULL, span, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (start > p)
		munmap(p, (size_t)(start - p));
	if (start + len < p + span)
		munmap(start + len, (size_t)(p + span - (start + len)));
	return start;
}

int os_unreserve(void *addr, size_t len)
{
	void *p = mmap(addr, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		       -1, 0);

	return unmapped(p == MAP_FAILED ? -1 : 0);
}

/*
 * Debugger breakpoints.  A debugger writes a breakpoint with ptrace (or
 * /proc/PID/mem) and FOLL_FORCE; the kernel refuses such writes into a
 * read-only MAP_SHARED mapping (EIO) and, in a MAP_PRIVATE one, copies the
 * page first (copy-on-write): the mapping keeps PROT_READ|PROT_EXEC, and no
 * page is ever writable and executable, also under PR_SET_MDWE.  So while
 * the GDB publisher is wanted, code is mapped MAP_PRIVATE.  Until a
 * debugger writes to a page, the private mapping shows the memfd's page
 * itself, and later writes to the memfd appear in it as in a shared one.
 * Once copied, the page no longer follows the memfd: every write of code
 * ends in os_code_written(), which finds such copies in /proc/self/pagemap
 * (present, not file-backed) and writes the new bytes into them the way
 * the debugger did, through /proc/self/mem, first instruction last.
 * Breakpoints elsewhere in the page stay; one inside the new bytes is
 * overwritten.
 */
static _Atomic int code_private;	/* map code MAP_PRIVATE from now on */
_Atomic int os_code_private_used;

/* TRAMPJIT_DEBUG names gdb (or all): the publisher starts at the first
   tooling call, after the first code may be mapped, so decide here. */
static int env_wants_gdb(void)
{
	const char *v = getenv("TRAMPJIT_DEBUG");

	while (v && *v) {
		size_t n = strcspn(v, ", :");

		if (n == 3 && (!strncmp(v, "gdb", 3) || !strncmp(v, "all", 3)))
			return 1;
		v += n;
		v += strspn(v, ", :");
	}
	return 0;
}

void os_code_private(void)
{
	atomic_store(&code_private, 1);
}

void *os_map_code(void *addr, size_t len, int fd, off_t off)
{
	static _Atomic int env_checked;
	int share = MAP_SHARED;
	void *p;

	if (!atomic_load_explicit(&env_checked, memory_order_acquire)) {
		if (env_wants_gdb())
			os_code_private();
		atomic_store_explicit(&env_checked, 1, memory_order_release);
	}
	if (atomic_load_explicit(&code_private, memory_order_relaxed)) {
		share = MAP_PRIVATE;
		atomic_store_explicit(&os_code_private_used, 1,
				      memory_order_relaxed);
	}
	p = mmap(addr, len, PROT_READ | PROT_EXEC | ARCH_CODE_PROT,
		 share | (addr ? MAP_FIXED : 0), fd, off);
	return p == MAP_FAILED ? NULL : p;
}

#define PM_PRESENT	(1ull << 63)	/* /proc/PID/pagemap: page present */
#define PM_FILE		(1ull << 61)	/* file-backed or shared anonymous */

/* Write len bytes from src at address at of our own memory, read-only
   private mappings included, as a debugger does. */
static int mem_write(int mem, const char *at, const char *src, size_t len)
{
	while (len) {
		ssize_t n = pwrite(mem, src, len, (off_t)(uintptr_t)at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			return -1;
		}
		at += n;
		src += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Mirror [p, p+len) from src into the pages of it a debugger copied. */
int os_code_refresh(void *code, const void *from, size_t len)
{
	char *p = code;
	const char *src = from;
	size_t ps = os_page_size(), first = (uintptr_t)p / ps;
	size_t last = ((uintptr_t)p + len - 1) / ps;
	int pm, mem = -1, first_copied = 0, ret = 0;

	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return -1;
	for (size_t pg = first; pg <= last && !ret; pg++) {
		char *lo = (char *)(pg * ps), *hi = lo + ps;
		uint64_t e;

		if (pread(pm, &e, sizeof(e), (off_t)(pg * 8)) != sizeof(e)) {
			ret = -1;
			break;
		}
		if (!(e & PM_PRESENT) || (e & PM_FILE))
			continue;
		if (mem < 0)
			mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		if (mem < 0) {
			ret = -1;
			break;
		}
		if (lo <= p) {
			/* the first instruction goes last */
			lo = p + (len < ARCH_INSN_SIZE ? len : ARCH_INSN_SIZE);
			first_copied = 1;
		}
		if (hi > p + len)
			hi = p + len;
		if (lo < hi)
			ret = mem_write(mem, lo, src + (lo - p),
					(size_t)(hi - lo));
	}
	if (!ret && first_copied)
		ret = mem_write(mem, p, src,
				len < ARCH_INSN_SIZE ? len : ARCH_INSN_SIZE);
	if (mem >= 0)
		close(mem);
	close(pm);
	return ret;
}



void *os_map_data(void *addr, size_t len)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (addr ? MAP_FIXED : 0),
		       -1, 0);

	if (addr)
		unmapped(0);
	return p == MAP_FAILED ? NULL : p;
}

void *os_map_view(void *addr, size_t len, int fd, off_t off)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | (addr ? MAP_FIXED : 0), fd, off);

	if (addr)
		unmapped(0);
	return p == MAP_FAILED ? NULL : p;
}

int os_dontfork(void *addr, size_t len)
{
	return madvise(addr, len, MADV_DONTFORK);
}

int os_dofork(void *addr, size_t len)
{
	return madvise(addr, len, MADV_DOFORK);
}

int os_view_readonly(void *addr, size_t len)
{
	return unmapped(mprotect(addr, len, PROT_READ));
}

int os_unmap(void *addr, size_t len)
{
	return unmapped(munmap(addr, len));
}

int os_protect(void *addr, size_t len, int prot)
{
	return unmapped(mprotect(addr, len, prot & PROT_EXEC ?
				 prot | ARCH_CODE_PROT : prot));
}

/* Which memfd flags worked last; read by any thread (jitfd_memfd_mode). */
static const char *_Atomic memfd_mode = "none yet";

static void memfd_mode_set(const char *mode)
{
	atomic_store_explicit(&memfd_mode, mode, memory_order_release);
}

int os_memfd(const char *name)
{
	int fd;

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd >= 0) {
		memfd_mode_set("MFD_EXEC");
		return fd;
	}
	if (errno != EINVAL && errno != EACCES)
		return -1;
	memfd_mode_set(errno == EACCES ?
		       "no exec flag (MFD_EXEC refused: vm.memfd_noexec)" :
		       "no exec flag (kernel before 6.3 has no MFD_EXEC)");
	return memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

const char *os_memfd_mode(void)
{
	return atomic_load_explicit(&memfd_mode, memory_order_acquire);
}

int os_seal(int fd)
{
	return fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW |
		     F_SEAL_SHRINK | F_SEAL_SEAL);
}

/*
 * RLIMIT_FSIZE: a write or resize reaching past the limit fails with EFBIG
 * and makes the kernel send SIGXFSZ to the writing thread, whose default
 * action kills the process.  Checking the limit with getrlimit() before
 * each write would cost a system call per write (as much as the write of
 * a small object), so the library lets the kernel check and keeps its
 * signal instead:
 *
 *  - before its first write it installs a SIGXFSZ handler that chains to
 *    the disposition in place before it (sigchain.c);
 *  - around each of its writes it sets a thread-local flag; the handler
 *    swallows a SIGXFSZ that arrives on a thread with the flag set and
 *    looks like the kernel's (SI_USER from this process: send_sig() sends
 *    it to the writing thread only, while the syscall returns EFBIG), and
 *    hands every other SIGXFSZ to the previous disposition;
 *  - with SIGXFSZ blocked in the writing thread the signal stays pending
 *    there instead: the EFBIG that comes back with the flag still set says
 *    so, and the library takes it with a zero-timeout sigtimedwait().
 *
 * So the program never sees a SIGXFSZ the library caused, and sees every
 * other one as before, without any system call on the write path.  What
 * cannot be told apart: a kill(getpid(), SIGXFSZ) that another thread
 * aims at this thread during a failing library write, and, with the
 * signal blocked, a SIGXFSZ of the program's own already pending in this
 * thread (a standard signal is pending once): both are taken with the
 * library's.  A write crossing the limit writes the bytes below it before
 * failing; every caller treats a failed write as leaving the range
 * undefined.  Where the handler cannot be installed, the limit is checked
 * with getrlimit() before each write, as before.
 */
static struct sigchain xfsz_chain;	/* SIGXFSZ's action before ours */
static pthread_once_t xfsz_once = PTHREAD_ONCE_INIT;
static int xfsz_installed;
/* 1: this thread is in a library write; 2: which raised SIGXFSZ */
static _Thread_local __attribute__((tls_model("initial-exec")))
volatile sig_atomic_t xfsz_state;

static void xfsz_handler(int sig, siginfo_t *si, void *uc)
{
	if (xfsz_state == 1 && si->si_code == SI_USER &&
	    si->si_pid == getpid()) {
		xfsz_state = 2;
		return;
	}
	sigchain_deliver(&xfsz_chain, sig, si, uc);
}

static void xfsz_setup(void)
{
	xfsz_installed = !sigchain_install(&xfsz_chain, SIGXFSZ,
					   xfsz_handler);
}

/* The fallback: EFBIG before asking the kernel. */
static int fsize_check(off_t off, size_t len)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    (unsigned long long)off + len <= rl.rlim_cur)
		return 0;
	errno = EFBIG;
	return -1;
}

/* Around every write or resize of a file: 0 to go ahead, or -1 (EFBIG). */
static int write_begin(off_t off, size_t len)
{
	pthread_once(&xfsz_once, xfsz_setup);
	if (!xfsz_installed)
		return fsize_check(off, len);
	xfsz_state = 1;
	atomic_signal_fence(memory_order_seq_cst);
	return 0;
}

/* r: the write's result, errno set when -1.  Returns r, errno kept. */
static int write_end(int r)
{
	int e = errno;

	atomic_signal_fence(memory_order_seq_cst);
	if (r < 0 && e == EFBIG && xfsz_state == 1 && xfsz_installed) {
		sigset_t set;
		struct timespec zero = { 0, 0 };

		/* Blocked here: take the pending one. */
		sigemptyset(&set);
		sigaddset(&set, SIGXFSZ);
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	xfsz_state = 0;
	errno = e;
	return r;
}

static int pwrite_all(int fd, const char *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int os_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	if (write_begin(off, len))
		return -1;
	return write_end(pwrite_all(fd, buf, len, off));
}

/* Write n iovecs at off, consuming them; retries short writes, EINTR. */
static int pwritev_all(int fd, struct iovec *iov, int n, off_t off)
{
	while (n) {
		ssize_t w = pwritev(fd, iov, n, off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		off += w;
		while (n && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int os_pwritev_all(int fd, struct iovec *iov, int n, off_t off)
{
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (write_begin(off, len))
		return -1;
	return write_end(pwritev_all(fd, iov, n, off));
}

int os_truncate(int fd, off_t len)
{
	if (write_begin(len, 0))
		return -1;
	return write_end(ftruncate(fd, len));
}

int os_mdwe_active(void)
{
	int r = prctl(PR_GET_MDWE, 0L, 0L, 0L, 0L);

	return r > 0;
}

unsigned long os_membarrier_calls;

static int membarrier_register(void)
{
	return syscall(SYS_membarrier,
		       MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
		       0, 0) ? -errno : 1;
}

/*
 * The registration belongs to the mm, the cached answer to our memory: a
 * fork child can inherit "registered" from a parent thread that registered
 * while another thread forked (the mm copied before the registration, the
 * page with the answer after).  EPERM, the kernel's "not registered",
 * therefore registers again and retries once.
 */
int os_membarrier_sync_core(void)
{
	static _Atomic int registered;	/* 0 no, 1 yes, -errno failed */
	int r = atomic_load_explicit(&registered, memory_order_acquire);

	if (r == 0) {
		r = membarrier_register();
		atomic_store_explicit(&registered, r, memory_order_release);
	}
	if (r == -EINVAL && !ARCH_SYNC_CORE_FALLBACK()) {
		__atomic_fetch_add(&os_membarrier_calls, 1, __ATOMIC_RELAXED);
		return 0;
	}
	if (r < 0) {
		errno = -r;
		return -1;
	}
	__atomic_fetch_add(&os_membarrier_calls, 1, __ATOMIC_RELAXED);
	if (!syscall(SYS_membarrier,
		     MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0))
		return 0;
	if (errno != EPERM || membarrier_register() < 0)
		return -1;
	return syscall(SYS_membarrier,
		       MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) ? -1 : 0;
}

int os_membarrier_fence(void)
{
	static _Atomic int registered;	/* 0 no, 1 yes, -errno failed */
	int r = atomic_load_explicit(&registered, memory_order_acquire);

	if (r == 0) {
		r = syscall(SYS_membarrier,
			    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) ?
		    -errno : 1;
		atomic_store_explicit(&registered, r, memory_order_release);
	}
	if (r < 0) {
		errno = -r;
		return -1;
	}
	if (!syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
		return 0;
	/* A fork child of a registering thread (see above). */
	if (errno != EPERM ||
	    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
		    0, 0))
		return -1;
	return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
		       0, 0) ? -1 : 0;
}

int os_move(void *from, size_t len, void *to)
{
	void *p = mremap(from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);

	return unmapped(p == MAP_FAILED ? -1 : 0);
}

#if defined(__x86_64__)
#define OS_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define OS_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define OS_AUDIT_ARCH	AUDIT_ARCH_RISCV64
#endif

int os_seccomp_trap(int nr)
{
	/* Native arch and nr: trap; anything else (other syscalls, the
	   compat ABI, whose numbers mean other things): allow. */
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, OS_AUDIT_ARCH, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(insns) / sizeof(insns[0]), .filter = insns,
	};
	unsigned action = SECCOMP_RET_TRAP;
	long r;

	/* Probe first, so that a kernel without filters gets nothing set. */
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action))
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L))
		return -1;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r > 0) {
		/* Thread r runs a filter ours cannot be synchronised with. */
		errno = EBUSY;
		return -1;
	}
	return r ? -1 : 0;
}

/* ---- JIT half: sealed code files, filler writes, holes ---------------- */

#include <sys/stat.h>

int os_pwrite_repeat(int fd, const void *unit, size_t unit_len, size_t len,
		     off_t off)
{
	struct iovec iov[64];
	int r = 0;

	if (write_begin(off, len))
		return -1;
	while (len && !r) {
		size_t batch = 0;
		int n;

		for (n = 0; n < 64 && batch < len; n++) {
			size_t l = len - batch < unit_len ? len - batch :
							    unit_len;

			iov[n].iov_base = (void *)unit;
			iov[n].iov_len = l;
			batch += l;
		}
		r = pwritev_all(fd, iov, n, off);
		off += (off_t)batch;
		len -= batch;
	}
	return write_end(r);
}

int os_punch_hole(int fd, off_t off, size_t len)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
			 (off_t)len);
}

int os_get_seals(int fd)
{
	return fcntl(fd, F_GET_SEALS);
}

long long os_file_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	return (long long)st.st_size;
}

int os_set_cloexec(int fd, int on)
{
	return fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0);
}

/* ---- tooling ----------------------------------------------------------- */

void *os_map_marker(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Without process_vm_readv (ENOSYS under qemu-user 7.2 and in some seccomp
 * sandboxes): the kernel copies src into a pipe and back, so a page that
 * another thread unmaps at any moment is EFAULT, never a SIGSEGV (a check
 * of the pages followed by memcpy is a race: the unmap fits between the
 * two).  Chunks of 4096 bytes fit any pipe (one page at least, even when
 * the per-user pipe limit shrank it).  Costs two descriptors meanwhile.
 */
static int read_by_pipe(void *dst, const void *src, size_t len)
{
	int p[2], err = 0;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -1;
	while (len && !err) {
		size_t n = len < 4096 ? len : 4096;
		/* The kernel reads src: a raw system call, as sanitizers
		   would take write() for a user-space read racing unmaps. */
		ssize_t w = syscall(SYS_write, p[1], src, n);

		if (w <= 0)
			err = w < 0 ? errno : EFAULT;
		else if (read(p[0], dst, (size_t)w) != w)
			err = EIO;
		else {
			dst = (char *)dst + w;
			src = (const char *)src + w;
			len -= (size_t)w;
		}
	}
	close(p[0]);
	close(p[1]);
	if (!err)
		return 0;
	errno = err;
	return -1;
}

int os_read_mem(void *dst, const void *src, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)src, len };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && errno == ENOSYS)
		return read_by_pipe(dst, src, len);
	if (n >= 0)
		errno = EFAULT;	/* stopped at an unmapped page */
	return -1;
}

/* ---- kernel module ------------------------------------------------------ */

int os_trampfd(void)
{
	static _Atomic int cached = -1;	/* fd, or -1 not yet, or -errno-2 */
	int fd = atomic_load_explicit(&cached, memory_order_acquire), want;

	if (fd >= 0)
		return fd;
	if (fd < -1) {
		errno = -fd - 2;
		return -1;
	}
	want = open("/dev/trampfd", O_RDWR | O_CLOEXEC);
	if (want < 0) {
		int e = errno == ENOENT || errno == ENXIO || errno == ENODEV ?
			ENOSYS : errno;

		/* A refusal may pass (permissions change): cache absence only. */
		if (e == ENOSYS)
			atomic_store_explicit(&cached, -ENOSYS - 2,
					      memory_order_release);
		errno = e;
		return -1;
	}
	if (!atomic_compare_exchange_strong(&cached, &fd, want)) {
		close(want);	/* another thread won */
		return fd;
	}
	return want;
}
