/* SPDX-License-Identifier: MIT */
/*
 * Entry point of the BTI-marked test program (tests/bti-guard): what the
 * C library's Scrt1.o does, with the landing pad and the GNU property note
 * that Debian 12's start files lack.
 */
	.text
	.globl	_start
	.type	_start, %function
	/* Tells the test it was linked with this file. */
	.globl	test_bti_entry
	.hidden	test_bti_entry
	.type	test_bti_entry, %function
_start:
test_bti_entry:
	.cfi_startproc
	.cfi_undefined x30
	hint	34			/* bti c: the dynamic linker jumps here */
	mov	x29, #0
	mov	x30, #0
	mov	x5, x0			/* rtld_fini, from the dynamic linker */
	ldr	x1, [sp]		/* argc */
	add	x2, sp, #8		/* argv */
	mov	x3, #0			/* init, fini: none, glibc 2.34 and */
	mov	x4, #0			/* later run the init arrays */
	mov	x6, sp			/* stack_end */
	adrp	x0, :got:main
	ldr	x0, [x0, :got_lo12:main]
	bl	__libc_start_main
	brk	#0x3e8			/* __libc_start_main returned */
	.cfi_endproc
	.size	_start, . - _start

/* Marked for BTI (and PAC) when the build has landing pads everywhere:
   the link then marks the program only if every other object is too. */
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
	.pushsection .note.gnu.property, "a"
	.balign	8
	.long	4			/* name size */
	.long	16			/* descriptor size */
	.long	5			/* NT_GNU_PROPERTY_TYPE_0 */
	.asciz	"GNU"
	.long	0xc0000000		/* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
	.long	4
#if defined(__ARM_FEATURE_PAC_DEFAULT) && (__ARM_FEATURE_PAC_DEFAULT & 3)
	.long	3			/* BTI | PAC */
#else
	.long	1			/* BTI */
#endif
	.long	0
	.popsection
#endif
	.section .note.GNU-stack, "", %progbits
