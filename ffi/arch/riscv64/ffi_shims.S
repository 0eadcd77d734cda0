/* SPDX-License-Identifier: MIT */
/*
 * riscv64 shims between a closure's TRAMP_CHAIN trampoline and libffi's
 * closure entry (ffi_layout.h): the trampoline leaves the closure in t2
 * and jumps to shim i; shim i moves the closure to t1, where libffi's
 * entry expects it, and jumps through t2 (as libffi's own trampoline
 * does) to ffi_entries[i], an entry that closure.c checked lies in libffi
 * and recorded before any trampoline targets shim i (the slot's release
 * store orders the two; the thunk's fences order this load after the
 * slot's).  Entries are set once and never change.  No frame: ra and the
 * stack are the caller's, so the CFI is the default one.  Scratch: t1, t2.
 */
#include "ffi_layout.h"

	.text
	.globl	ffi_shims
	.hidden	ffi_shims
	.type	ffi_shims, %function
	.p2align 4
ffi_shims:
	.irp	i, 0, 1, 2, 3
	.org	ffi_shims + \i * FFI_LAYOUT_SHIM_STRIDE
	.cfi_startproc
	mv	t1, t2
1:	auipc	t2, %pcrel_hi(ffi_entries + 8 * \i)
	ld	t2, %pcrel_lo(1b)(t2)
	jr	t2
	.cfi_endproc
	.endr
	/* (.org fails if a shim outgrew its stride) */
	.org	ffi_shims + FFI_LAYOUT_SHIMS * FFI_LAYOUT_SHIM_STRIDE
	.size	ffi_shims, . - ffi_shims

	.section .note.GNU-stack, "", %progbits
