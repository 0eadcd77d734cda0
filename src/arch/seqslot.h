/* SPDX-License-Identifier: MIT */
/*
 * The two-buffer slot protocol of architectures without a 16-byte
 * single-copy-atomic load (aarch64 before FEAT_LSE2, riscv64), included by
 * their arch.h, which documents the layout (SLOT_SEQ, SLOT_BUF) and how
 * their thunks read it; and the first-instruction store of an append for
 * 4-byte aligned instructions.
 */
#ifndef TRAMPJIT_ARCH_SEQSLOT_H
#define TRAMPJIT_ARCH_SEQSLOT_H

#include <stddef.h>
#include <stdint.h>

/* Read a slot's pair as one consistent snapshot (the protocol is in the
   arch.h that includes this). */
static inline void arch_load_pair(const void *p, uintptr_t *lo,
				  uintptr_t *hi)
{
	const uintptr_t *w = p;

	for (;;) {
		uintptr_t s = __atomic_load_n(&w[0], __ATOMIC_ACQUIRE);
		const uintptr_t *b = w + 1 + 2 * ((s >> 1) & 1);

		*lo = __atomic_load_n(&b[0], __ATOMIC_RELAXED);
		*hi = __atomic_load_n(&b[1], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!((__atomic_load_n(&w[0], __ATOMIC_RELAXED) ^ s) >> 1))
			return;
	}
}

/* Write a slot's pair.  Writers of one slot are serialised by seq bit 0
   (a retarget racing another retarget of the same trampoline waits). */
static inline void arch_store_pair(void *p, uintptr_t lo, uintptr_t hi)
{
	uintptr_t *w = p, s;
	uintptr_t *b;

	s = __atomic_load_n(&w[0], __ATOMIC_RELAXED);
	for (;;) {
		if (!(s & 1) &&
		    __atomic_compare_exchange_n(&w[0], &s, s | 1, 1,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		s = __atomic_load_n(&w[0], __ATOMIC_RELAXED);
	}
	b = w + 1 + 2 * (((s >> 1) & 1) ^ 1);
	__atomic_store_n(&b[0], lo, __ATOMIC_RELAXED);
	__atomic_store_n(&b[1], hi, __ATOMIC_RELAXED);
	if (!hi) {		/* freed: no buffer may look live */
		b = w + 1 + 2 * ((s >> 1) & 1);
		__atomic_store_n(&b[1], 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&w[0], (s & ~(uintptr_t)1) + 2, __ATOMIC_RELEASE);
}

/* The target word of a slot: 0 when free. */
static inline uintptr_t arch_slot_target(const void *slot)
{
	uintptr_t lo, hi;

	arch_load_pair(slot, &lo, &hi);
	return hi;
}

/* Store the first n (<= ARCH_INSN_SIZE) bytes of an append. */
static inline void arch_store_insn(void *dst, const void *src, size_t n)
{
	uint32_t v;

	if (n == 4 && !((uintptr_t)dst & 3)) {
		__builtin_memcpy(&v, src, 4);
		__atomic_store_n((uint32_t *)dst, v, __ATOMIC_RELEASE);
	} else {
		__builtin_memcpy(dst, src, n);
	}
}

#endif
