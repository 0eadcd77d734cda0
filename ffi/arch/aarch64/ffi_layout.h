/* SPDX-License-Identifier: MIT */
/*
 * aarch64: the closure layout of libffi 3.x (SYSV ABI, without static
 * trampolines: Debian's build) that libtrampjit-ffi relies on, checked on
 * every preparation.
 *
 * libffi's ffi_prep_closure_loc writes, at the start of the closure, the
 * 16-byte trampoline below followed by the address of its closure entry
 * (ffi_closure_SYSV, or ffi_closure_SYSV_V when the cif passes vector
 * registers), and cif, fun and user_data at FFI_TRAMPOLINE_SIZE (24)
 * bytes.  The trampoline loads the entry into x16 and the closure address
 * into x17 and branches to the entry, which reads cif, fun and user_data
 * at 24, 32, 40 from x17.
 *
 * x17 is not the static chain (x18, which TRAMP_CHAIN sets), and a context
 * may not set it (TRAMP_CONTEXT_RESERVED).  So the trampoline is a
 * TRAMP_CHAIN one whose target is a shim in this library's text
 * (ffi_shims.S), one per checked entry: "mov x17, x18", then a branch to
 * the entry that closure.c checked and recorded for that shim.
 */
#ifndef TRAMPJIT_FFI_LAYOUT_H
#define TRAMPJIT_FFI_LAYOUT_H

/* ldr x16, .+16 (the entry); adr x17, .-4 (the closure); br x16; 0 */
#define FFI_LAYOUT_CODE {						\
	0x90, 0x00, 0x00, 0x58,						\
	0xf1, 0xff, 0xff, 0x10,						\
	0x00, 0x02, 0x1f, 0xd6,						\
	0x00, 0x00, 0x00, 0x00 }
#define FFI_LAYOUT_CODE_SIZE	16
#define FFI_LAYOUT_ENTRY_AT	16	/* entry address, 8 bytes */
#define FFI_LAYOUT_TRAMP_SIZE	24	/* FFI_TRAMPOLINE_SIZE */
#define FFI_LAYOUT_KIND		TRAMP_CHAIN	/* x18 := closure */

/* Shims (x17 := x18, then entry i): FFI_LAYOUT_SHIMS of them, shim i at
   ffi_shims + i * FFI_LAYOUT_SHIM_STRIDE, jumping to ffi_entries[i]. */
#define FFI_LAYOUT_SHIMS	4
#define FFI_LAYOUT_SHIM_STRIDE	32

#endif
