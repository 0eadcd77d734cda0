/* SPDX-License-Identifier: MIT */
/*
 * aarch64 shims between a closure's TRAMP_CHAIN trampoline and libffi's
 * closure entry (ffi_layout.h): the trampoline leaves the closure in x18
 * and enters shim i with BR x17; shim i moves the closure to x17, where
 * libffi's entry expects it, and branches with BR x16 to ffi_entries[i],
 * an entry that closure.c checked lies in libffi and recorded before any
 * trampoline targets shim i (the slot's release store orders the two;
 * the thunk's acquire load orders this load after the slot's).  Entries
 * are set once and never change.  No frame: x30 and the stack are the
 * caller's, so the CFI is the default one.  Scratch: x16, x17.
 */
#include "arch.h"
#include "ffi_layout.h"

	.text
	.globl	ffi_shims
	.hidden	ffi_shims
	.type	ffi_shims, %function
	.p2align 5
ffi_shims:
	.irp	i, 0, 1, 2, 3
	.org	ffi_shims + \i * FFI_LAYOUT_SHIM_STRIDE
	.cfi_startproc
	BTI_C
	mov	x17, x18
	adrp	x16, ffi_entries + 8 * \i
	ldr	x16, [x16, #:lo12:ffi_entries + 8 * \i]
	br	x16
	.cfi_endproc
	.endr
	/* (.org fails if a shim outgrew its stride) */
	.org	ffi_shims + FFI_LAYOUT_SHIMS * FFI_LAYOUT_SHIM_STRIDE
	.size	ffi_shims, . - ffi_shims

	GNU_PROPERTY_NOTE
	.section .note.GNU-stack, "", %progbits
