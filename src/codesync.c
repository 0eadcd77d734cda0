/* SPDX-License-Identifier: MIT */
/*
 * Making freshly written code visible to instruction fetch.
 *
 * On hardware this is cache maintenance only: nothing on x86_64, DC CVAU
 * + IC IVAU + DSB + ISB on arm64, fence.i plus the riscv_flush_icache
 * syscall on riscv64, all behind __builtin___clear_cache().  Emulators
 * that translate code (qemu-user) keep translations of a page after it is
 * changed behind their back (pwrite into the memfd, a store through an
 * alias view) and ignore cache maintenance; they retranslate after a new
 * mapping of the page.  Whether this process runs under such an emulator
 * is probed once, by behaviour rather than by name: a page holding
 * "return 1" is run, rewritten to "return 2" through its file, flushed,
 * and run again.  Only then does every write path remap the pages it
 * wrote (one mmap of the same file range, allowed under MDWE).
 */
#include <stdatomic.h>
#include <unistd.h>

#include "internal.h"
#include "os.h"

_Atomic int code_stale_state;

static int probe(void)
{
	size_t ps = os_page_size();
	unsigned char code[32];
	size_t n;
	int fd = os_memfd("trampjit-probe"), r = 1;
	char *p;

	if (fd < 0)
		return 1;
	n = arch_code_return(code, 1);
	if (os_truncate(fd, (off_t)ps) || os_pwrite_all(fd, code, n, 0))
		goto out;
	p = os_map_code(NULL, ps, fd, 0);
	if (!p)
		goto out;
	__builtin___clear_cache(p, p + n);
	if (((int (*)(void))(void *)p)() == 1) {
		n = arch_code_return(code, 2);
		if (!os_pwrite_all(fd, code, n, 0)) {
			__builtin___clear_cache(p, p + n);
			r = ((int (*)(void))(void *)p)() == 1 ? 2 : 1;
		}
	}
	os_unmap(p, ps);
out:
	close(fd);
	return r;
}

int code_stale_probe(void)
{
	int s = probe();

	atomic_store_explicit(&code_stale_state, s, memory_order_relaxed);
	return s == 2;
}

/* code_sync's remap. */
int code_remap(char *rx, size_t len, int fd, off_t off)
{
	size_t ps = os_page_size(), head;

	head = (uintptr_t)rx & (ps - 1);
	len = (head + len + ps - 1) & ~(ps - 1);
	return os_map_code(rx - head, len, fd, off - (off_t)head) ? 0 : -1;
}
