/* SPDX-License-Identifier: MIT */
/*
 * x86_64: the closure layout of libffi 3.x (unix64 and win64 ABIs) that
 * libtrampjit-ffi relies on, checked on every preparation.
 *
 * libffi's ffi_prep_closure_loc writes, at the start of the closure, the
 * 24-byte trampoline below followed by the address of its closure entry
 * (ffi_closure_unix64, _sse or ffi_closure_win64), and cif, fun and
 * user_data at FFI_TRAMPOLINE_SIZE (32) bytes.  The trampoline loads the
 * closure address into %r10 and jumps to the entry, which reads cif, fun
 * and user_data at 0x20, 0x28, 0x30(%r10).  A TRAMP_CHAIN trampoline with
 * the closure as data and the entry as target does the same from
 * read+execute code.
 */
#ifndef TRAMPJIT_FFI_LAYOUT_H
#define TRAMPJIT_FFI_LAYOUT_H

/* endbr64; lea -0xb(%rip),%r10; jmp *0x7(%rip); nopl 0(%rax) */
#define FFI_LAYOUT_CODE {						\
	0xf3, 0x0f, 0x1e, 0xfa,						\
	0x4c, 0x8d, 0x15, 0xf5, 0xff, 0xff, 0xff,			\
	0xff, 0x25, 0x07, 0x00, 0x00, 0x00,				\
	0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 }
#define FFI_LAYOUT_CODE_SIZE	24
#define FFI_LAYOUT_ENTRY_AT	24	/* entry address, 8 bytes */
#define FFI_LAYOUT_TRAMP_SIZE	32	/* FFI_TRAMPOLINE_SIZE */
#define FFI_LAYOUT_KIND		TRAMP_CHAIN	/* %r10 := closure */

#endif
