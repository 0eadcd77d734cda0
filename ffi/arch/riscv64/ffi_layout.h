/* SPDX-License-Identifier: MIT */
/*
 * riscv64: the closure layout of libffi 3.4 (LP64 ABIs, without static
 * trampolines: Debian's build) that libtrampjit-ffi relies on, checked on
 * every preparation.
 *
 * libffi's ffi_prep_closure_loc writes, at the start of the closure, the
 * 16-byte trampoline below followed by the address of its closure entry
 * (ffi_closure_asm), and cif, fun and user_data at FFI_TRAMPOLINE_SIZE
 * (24) bytes.  The trampoline puts the closure address in t1 and the entry
 * in t2 and jumps to the entry, which reads cif, fun and user_data at 24,
 * 32, 40 from t1.
 *
 * t1 is not the static chain (t2, which TRAMP_CHAIN sets), and a context
 * may not set it (TRAMP_CONTEXT_RESERVED).  So the trampoline is a
 * TRAMP_CHAIN one whose target is a shim in this library's text
 * (ffi_shims.S), one per checked entry: "mv t1, t2", then a jump to the
 * entry that closure.c checked and recorded for that shim.
 */
#ifndef TRAMPJIT_FFI_LAYOUT_H
#define TRAMPJIT_FFI_LAYOUT_H

/* auipc t1, 0 (the closure); ld t2, 16(t1) (the entry); jr t2; nop */
#define FFI_LAYOUT_CODE {						\
	0x17, 0x03, 0x00, 0x00,						\
	0x83, 0x33, 0x03, 0x01,						\
	0x67, 0x80, 0x03, 0x00,						\
	0x13, 0x00, 0x00, 0x00 }
#define FFI_LAYOUT_CODE_SIZE	16
#define FFI_LAYOUT_ENTRY_AT	16	/* entry address, 8 bytes */
#define FFI_LAYOUT_TRAMP_SIZE	24	/* FFI_TRAMPOLINE_SIZE */
#define FFI_LAYOUT_KIND		TRAMP_CHAIN	/* t2 := closure */

/* Shims (t1 := t2, then entry i): FFI_LAYOUT_SHIMS of them, shim i at
   ffi_shims + i * FFI_LAYOUT_SHIM_STRIDE, jumping to ffi_entries[i]. */
#define FFI_LAYOUT_SHIMS	4
#define FFI_LAYOUT_SHIM_STRIDE	16

#endif
