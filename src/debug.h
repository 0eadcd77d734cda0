/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of the tooling modules: the registry of named code
 * ranges (debug.c), unwind info (unwind.c), the GDB JIT interface
 * (gdbjit.c), perf jitdump and map files (jitdump.c) and the per-arch CFI.
 */
#ifndef TRAMPJIT_DEBUG_H
#define TRAMPJIT_DEBUG_H

#include <stddef.h>
#include <stdint.h>

struct table;
struct gdb_batch;
struct unw_reg;

/* A growable byte buffer; err is set (ENOMEM) instead of failing calls. */
struct dbuf {
	unsigned char *p;	/* bytes, malloc'ed */
	size_t len;		/* bytes used */
	size_t cap;		/* bytes allocated */
	int err;		/* first error (ENOMEM), 0 if none */
};

void dbuf_put(struct dbuf *b, const void *src, size_t n);
void dbuf_u8(struct dbuf *b, unsigned v);
void dbuf_u16(struct dbuf *b, unsigned v);
void dbuf_u32(struct dbuf *b, uint32_t v);
void dbuf_u64(struct dbuf *b, uint64_t v);
void dbuf_uleb(struct dbuf *b, uint64_t v);
void dbuf_sleb(struct dbuf *b, int64_t v);
/* DW_CFA_advance_loc* by delta bytes; DW_CFA_def_cfa_offset off. */
void dbuf_cfa_advance(struct dbuf *b, unsigned delta);
void dbuf_cfa_offset(struct dbuf *b, unsigned off);
void dbuf_align(struct dbuf *b, size_t a, unsigned fill);

/* A named code range.  All fields are guarded by the registry lock. */
struct dsym {
	uintptr_t start;	/* first byte of code */
	size_t len;		/* bytes of code */
	char *name;		/* NUL-terminated, valid UTF-8 */
	struct dsym *next;	/* registry hash chain */
	unsigned char *cfi;	/* DWARF CFA program of its FDE, or NULL */
	size_t cfi_len;		/* bytes of cfi */
	unsigned char has_cfi;	/* an FDE describes it (cfi may be empty) */
	unsigned char readable;	/* code bytes may be read (jitdump copy) */
	struct gdb_batch *batch; /* gdbjit: the object holding it, or NULL */
	unsigned bidx;		/* gdbjit: its index in batch */
	struct unw_reg *unw;	/* unwinder registrations, or NULL */
};

/* unwind.c: .eh_frame pieces with absolute (DW_EH_PE_absptr) addresses. */
void ehf_cie(struct dbuf *b);
void ehf_fde(struct dbuf *b, size_t cie_off, uintptr_t start, size_t len,
	     const void *cfi, size_t cfi_len);
/* Check that a user CFA program uses only known, well-formed opcodes and
   stays inside len bytes of code.  0 or -1 with EINVAL. */
int cfi_check(const unsigned char *p, size_t n, size_t len);
/* Register s's FDE with libgcc (__register_frame; in a shared group when
   grouped) and, when loaded, nongnu libunwind (_U_dyn_register).  NULL
   when neither took it (not an error).  s must outlive the registration. */
struct unw_reg *unwind_register(const struct dsym *s, int grouped);
void unwind_deregister(struct unw_reg *r);

/* gdbjit.c: publish to the GDB JIT interface in batches of objects. */
int gdbjit_add(struct dsym *s);
void gdbjit_remove(struct dsym *s);
void gdbjit_clear(void);

/* jitdump.c: perf jitdump (jit-PID.dump) and map (/tmp/perf-PID.map). */
int jitdump_open(void);
int jitdump_add(const struct dsym *s);
void jitdump_close(void);
int perfmap_open(void);
int perfmap_add(const struct dsym *s);
void perfmap_close(void);

/* arch: ELF machine, CIE rules and the CFI of a table's stubs. */
extern const unsigned arch_elf_machine;
extern const int arch_cfi_data_align;
extern const unsigned arch_cfi_ra_column;
extern const unsigned arch_cfi_max_reg;
void arch_cie_rules(struct dbuf *b);

/* From byte at of a stub on, CFA = stack pointer + cfa. */
struct cfa_step {
	unsigned short at;	/* offset in the stub; the stride: the next */
	unsigned short cfa;	/* CFA offset from the stack pointer */
};

/* The steps every stub of a table of backend takes, in order (debug.c):
   ARCH_SYSCALL_CFA (arch_backends.h) for TRAMP_SYSCALL, arch_kcall_cfa
   for TRAMP_KERNEL_CALL where the kernel module has a port. */
#ifdef ARCH_TRAMPFD
extern const struct cfa_step arch_kcall_cfa[];
extern const unsigned arch_kcall_ncfa;
#endif

#endif
