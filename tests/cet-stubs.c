/* SPDX-License-Identifier: MIT */
/*
 * Every stub of a table is reachable and lands in its own slot: whole
 * tables of every kind on every backend are created and each trampoline is
 * called (a stub that outgrew its stride, as endbr64 once made it, sends
 * calls to the wrong slot or into the next stub).  Code addresses are
 * distinct and evenly spaced; every executable entry starts with the
 * landing pad where the build has them (x86_64: endbr64 with
 * -fcf-protection=branch or full, and none without; aarch64: bti c).
 */
#include <stdint.h>
#include "harness.h"
#include "test_arch.h"


#define NCHAIN	8200	/* more than a table of any backend */
#define NKIND	4200	/* more than a static table */

static const unsigned char pad[4] = TEST_LANDING_PAD;

static void h_data(struct tramp_frame *f, void *data)
{
	tramp_set_return(f, (uintptr_t)data);
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return (x > y) - (x < y);
}

static struct tramp *make_one(int kind, enum tramp_backend b, uintptr_t v,
			      struct tramp_context *c)
{
	struct tramp_spec spec = { .backend = b, .data = (void *)v };

	switch (kind) {
	case 0:
		spec.kind = TRAMP_CHAIN;
		spec.target = (void *)chain_target_reg;
		break;
	case 1:
		spec.kind = TRAMP_BIND;
		spec.target = (void *)probe_ret_arg0;
		break;
	case 2:
		spec.kind = TRAMP_BIND;
		spec.flags = TRAMP_BIND_SRET;
		spec.target = (void *)probe_ret_sret_data;
		break;
	case 3:
		spec.kind = TRAMP_HANDLER;
		spec.handler = h_data;
		break;
	default:
		spec.kind = TRAMP_CONTEXT;
		spec.data = NULL;
		memset(c, 0, sizeof(*c));
		c->mask = 1ull << TEST_RET_REG;
		c->regs[TEST_RET_REG] = v;
		c->pc = (void *)probe_ret_reg;
		spec.context = c;
		break;
	}
	return tramp_create(&spec);
}

/* Code addresses: distinct, and on one grid (tables are aligned to a
   multiple of any stride). */
static void check_spacing(uintptr_t *code, unsigned n)
{
	uintptr_t stride = UINTPTR_MAX;

	qsort(code, n, sizeof(*code), cmp_ptr);
	for (unsigned i = 1; i < n; i++) {
		CHECK(code[i] != code[i - 1]);
		if (code[i] - code[i - 1] < stride)
			stride = code[i] - code[i - 1];
	}
	CHECK(stride >= 16 && stride % 16 == 0);
	for (unsigned i = 1; i < n; i++)
		CHECK((code[i] - code[0]) % stride == 0);
}

static void run(enum tramp_backend b)
{
	static struct tramp *t[NCHAIN];
	static uintptr_t code[NCHAIN];
	static struct tramp_context ctx;

	for (int kind = 0; kind < 5; kind++) {
		unsigned n = kind ? NKIND : NCHAIN;

		for (unsigned i = 0; i < n; i++) {
			t[i] = make_one(kind, b, 0x1000 + i, &ctx);
			CHECK(t[i]);
			code[i] = (uintptr_t)tramp_code(t[i]);
		}
		for (unsigned i = 0; i < n; i++) {
			uint64_t (*fn)(void) = (uint64_t (*)(void))code[i];
			const void *entry = (const void *)code[i];
			int has = 0;

			/* PROT_NONE, or no page at all: no bytes. */
			int bytes = b != TRAMP_FAULT && b != TRAMP_KERNEL;

			if (bytes)
				has = !memcmp(entry, pad, 4);
			if (TEST_LANDING_PADS)
				CHECK(!bytes || has);
			else	/* the module's stubs serve every process */
				CHECK(has == (b == TRAMP_KERNEL_CALL));
			if (fn() != 0x1000 + i) {
				fprintf(stderr, "kind %d on %s: trampoline "
					"%u reached another slot\n", kind,
					backend_names[b], i);
				exit(1);
			}
		}
		check_spacing(code, n);
		for (unsigned i = 0; i < n; i++)
			tramp_destroy(t[i]);
	}
	fprintf(stderr, "every slot on %s: ok\n", backend_names[b]);
}

int main(void)
{
	for_each_backend(run);
	return 0;
}
