/* SPDX-License-Identifier: MIT */
/*
 * Unwind info for code outside any ELF object: .eh_frame built in memory
 * and registered with libgcc (glibc backtrace(), C++ exceptions) and with
 * nongnu libunwind (unw_backtrace), both found at run time so the library
 * depends on neither.
 *
 * libgcc takes a whole .eh_frame (CIE, FDEs, zero terminator) through
 * __register_frame.  libunwind ignores that registry; it reads its own list
 * of unw_dyn_info_t (_U_dyn_register), here in the "remote table" format:
 * a search table of {ip, FDE} offsets from a segment base, one entry per
 * registration (see unw_add).
 */
#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "debug.h"

#define DW_EH_PE_absptr	0x00

/* DW_CFA opcodes (DWARF 5, 6.4.2) accepted in user CFA programs. */
enum {
	CFA_advance_loc = 0x40, CFA_offset = 0x80, CFA_restore = 0xc0,
	CFA_nop = 0x00, CFA_advance_loc1 = 0x02, CFA_advance_loc2 = 0x03,
	CFA_advance_loc4 = 0x04, CFA_offset_extended = 0x05,
	CFA_restore_extended = 0x06, CFA_undefined = 0x07,
	CFA_same_value = 0x08, CFA_register = 0x09,
	CFA_remember_state = 0x0a, CFA_restore_state = 0x0b,
	CFA_def_cfa = 0x0c, CFA_def_cfa_register = 0x0d,
	CFA_def_cfa_offset = 0x0e, CFA_offset_extended_sf = 0x11,
	CFA_def_cfa_sf = 0x12, CFA_def_cfa_offset_sf = 0x13,
	CFA_val_offset = 0x14, CFA_val_offset_sf = 0x15,
	CFA_GNU_args_size = 0x2e,
};

void ehf_cie(struct dbuf *b)
{
	size_t at = b->len;

	dbuf_u32(b, 0);			/* length, patched below */
	dbuf_u32(b, 0);			/* CIE id */
	dbuf_u8(b, 1);			/* version */
	dbuf_put(b, "zR", 3);		/* augmentation */
	dbuf_uleb(b, 1);		/* code alignment */
	dbuf_sleb(b, arch_cfi_data_align);
	dbuf_uleb(b, arch_cfi_ra_column);
	dbuf_uleb(b, 1);		/* augmentation data length */
	dbuf_u8(b, DW_EH_PE_absptr);	/* FDE address encoding */
	arch_cie_rules(b);
	dbuf_align(b, 8, CFA_nop);
	if (!b->err) {
		uint32_t n = (uint32_t)(b->len - at - 4);

		memcpy(b->p + at, &n, 4);
	}
}

void ehf_fde(struct dbuf *b, size_t cie_off, uintptr_t start, size_t len,
	     const void *cfi, size_t cfi_len)
{
	size_t at = b->len;

	dbuf_u32(b, 0);				/* length */
	dbuf_u32(b, (uint32_t)(at + 4 - cie_off));	/* CIE pointer */
	dbuf_u64(b, start);
	dbuf_u64(b, len);
	dbuf_uleb(b, 0);			/* augmentation data */
	dbuf_put(b, cfi, cfi_len);
	dbuf_align(b, 8, CFA_nop);
	if (!b->err) {
		uint32_t n = (uint32_t)(b->len - at - 4);

		memcpy(b->p + at, &n, 4);
	}
}

/* Read a ULEB128 at *p (< end); -1 when truncated. */
static int uleb(const unsigned char **p, const unsigned char *end,
		uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		unsigned char c = *(*p)++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* Operands of one opcode: registers checked, advances summed into *loc. */
static int cfi_op(const unsigned char **p, const unsigned char *end,
		  unsigned op, uint64_t *loc)
{
	uint64_t r, v;
	size_t k;

	switch (op) {
	case CFA_nop:
	case CFA_remember_state:
	case CFA_restore_state:
		return 0;
	case CFA_advance_loc1:
	case CFA_advance_loc2:
	case CFA_advance_loc4:
		k = op == CFA_advance_loc1 ? 1 : op == CFA_advance_loc2 ? 2 : 4;
		if ((size_t)(end - *p) < k)
			return -1;
		v = 0;
		memcpy(&v, *p, k);	/* little endian, as the ELF data */
		*p += k;
		*loc += v;
		return 0;
	case CFA_def_cfa_offset:
	case CFA_def_cfa_offset_sf:
	case CFA_GNU_args_size:
		return uleb(p, end, &v);
	case CFA_restore_extended:
	case CFA_undefined:
	case CFA_same_value:
	case CFA_def_cfa_register:
		return uleb(p, end, &r) || r > arch_cfi_max_reg ? -1 : 0;
	case CFA_offset_extended:
	case CFA_offset_extended_sf:
	case CFA_def_cfa:
	case CFA_def_cfa_sf:
	case CFA_val_offset:
	case CFA_val_offset_sf:
		return uleb(p, end, &r) || r > arch_cfi_max_reg ||
		       uleb(p, end, &v) ? -1 : 0;
	case CFA_register:
		return uleb(p, end, &r) || r > arch_cfi_max_reg ||
		       uleb(p, end, &v) || v > arch_cfi_max_reg ? -1 : 0;
	default:
		return -1;	/* expressions, set_loc, vendor opcodes */
	}
}

int cfi_check(const unsigned char *p, size_t n, size_t len)
{
	const unsigned char *end = p + n;
	uint64_t loc = 0, v;

	while (p < end) {
		unsigned op = *p++;
		int bad;

		switch (op & 0xc0) {
		case CFA_advance_loc:
			loc += op & 0x3f;
			bad = 0;
			break;
		case CFA_offset:
			bad = (op & 0x3f) > arch_cfi_max_reg ||
			      uleb(&p, end, &v);
			break;
		case CFA_restore:
			bad = (op & 0x3f) > arch_cfi_max_reg;
			break;
		default:
			bad = cfi_op(&p, end, op, &loc);
			break;
		}
		if (bad || loc > len) {
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
}

/* ---- registration ----------------------------------------------------- */

/* libunwind's unw_dyn_info_t (libunwind-dynamic.h, ABI of 1.3 and later),
   remote-table flavour only. */
struct unw_dyn_info {
	struct unw_dyn_info *next, *prev;
	uintptr_t start_ip;	/* first IP covered */
	uintptr_t end_ip;	/* first IP not covered */
	uintptr_t gp;		/* unused on this architecture */
	int32_t format;		/* UNW_INFO_FORMAT_REMOTE_TABLE */
	int32_t pad;
	uintptr_t load_offset;	/* 0: addresses are absolute */
	uintptr_t name_ptr;	/* table name */
	uintptr_t segbase;	/* base of both offsets of table_data */
	uintptr_t table_len;	/* in words: one per entry */
	uintptr_t table_data;	/* struct unw_entry[] */
	uintptr_t spare[2];	/* the union is larger in libunwind */
};
#define UNW_INFO_FORMAT_REMOTE_TABLE 2

struct unw_entry {
	int32_t start_ip_offset;	/* from segbase */
	int32_t fde_offset;		/* from segbase */
};

struct unw_reg {
	const struct dsym *s;		/* what it describes */
	unsigned char *eh;		/* CIE, FDE, terminator of s */
	int gcc;			/* eh registered with libgcc */
	struct fgroup *g;		/* or: its libgcc group, or NULL */
	unsigned gi;			/* its index in g */
	struct unw_dyn_info *di;	/* libunwind registration or NULL */
	struct unw_entry ent;		/* its one-entry search table */
};

/*
 * libgcc before GCC 13 keeps registered objects in linked lists: a
 * deregistration searches them and every FDE lookup walks them.  JIT
 * objects are therefore registered GROUP to one .eh_frame; a change
 * registers the group's new .eh_frame, then drops the old one, so an
 * unwinder running meanwhile always finds every member.
 */
#define GROUP	64

struct fgroup {
	unsigned char *eh;		/* registered .eh_frame, or NULL */
	struct unw_reg *m[GROUP];	/* members; m[i]->gi == i */
	unsigned n;			/* members */
};

static struct fgroup *open_group;	/* the one being filled */

typedef void frame_fn(const void *);
typedef void dyn_fn(struct unw_dyn_info *);

typedef void *dlopen_fn(const char *, int);

/* Weak: bound only when the program has them (a static link that pulled
   in libgcc_eh's unwinder, or libgcc_s loaded at start-up); never a reason
   to link anything in.  dlsym too; dlopen is looked up through it, never
   referenced, so that a static link of the library gets no dynamic loading
   code (and no linker warning about it) from us. */
extern void __register_frame(const void *) __attribute__((weak));
extern void __deregister_frame(const void *) __attribute__((weak));
extern void _U_dyn_register(struct unw_dyn_info *) __attribute__((weak));
extern void _U_dyn_cancel(struct unw_dyn_info *) __attribute__((weak));
#pragma weak dlsym

static int resolved;		/* under the registry lock */
static frame_fn *reg_frame, *dereg_frame;
static dyn_fn *dyn_register, *dyn_cancel;

static int interp_seen(struct dl_phdr_info *info, size_t size, void *dyn)
{
	for (unsigned i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_INTERP)
			*(int *)dyn = 1;
	return 1;	/* the first object is the program: stop there */
}

/* Whether the program was started by a dynamic loader.  A static program
   must never dlopen(): that would load a second libc, which crashes as
   soon as the two versions differ. */
static int dynamic_program(void)
{
	int dyn = 0;

	dl_iterate_phdr(interp_seen, &dyn);
	return dyn && dlsym;
}

/*
 * Find the unwinders once.  In a dynamic program, libgcc_s is loaded if it
 * is not yet: glibc's backtrace() would load the same library later and
 * must find our frames in it; libunwind is used only if the program
 * already has it.  A static program has only what it linked in.
 */
static void resolve(void)
{
	dlopen_fn *load;
	void *h;

	resolved = 1;
	if (dynamic_program()) {
		reg_frame = (frame_fn *)dlsym(RTLD_DEFAULT, "__register_frame");
		dereg_frame = (frame_fn *)dlsym(RTLD_DEFAULT,
						"__deregister_frame");
		load = (dlopen_fn *)dlsym(RTLD_DEFAULT, "dlopen");
		if ((!reg_frame || !dereg_frame) && load) {
			h = load("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL);
			if (h) {
				reg_frame = (frame_fn *)dlsym(h,
							"__register_frame");
				dereg_frame = (frame_fn *)dlsym(h,
							"__deregister_frame");
			}
		}
		dyn_register = (dyn_fn *)dlsym(RTLD_DEFAULT,
					       "_U_dyn_register");
		dyn_cancel = (dyn_fn *)dlsym(RTLD_DEFAULT, "_U_dyn_cancel");
	} else {
		dyn_register = _U_dyn_register;
		dyn_cancel = _U_dyn_cancel;
	}
	if ((!reg_frame || !dereg_frame) && __register_frame &&
	    __deregister_frame) {
		reg_frame = __register_frame;
		dereg_frame = __deregister_frame;
	}
	if (!reg_frame || !dereg_frame)
		reg_frame = dereg_frame = NULL;
	if (!dyn_register || !dyn_cancel)
		dyn_register = dyn_cancel = NULL;
}

/*
 * The libunwind half.  Its search table holds int32_t offsets from segbase,
 * which could not reach from heap memory to code gigabytes away; but the
 * entry of a one-entry table is found for any IP when its start offset is
 * INT32_MIN, libunwind checks the IP against di's range and the FDE's own
 * absolute range, and the FDE offset is 0 from a segbase at the FDE.
 */
static void unw_add(struct unw_reg *r, const struct dsym *s, size_t fde_off)
{
	struct unw_dyn_info *di = calloc(1, sizeof(*di));

	if (!di)
		return;
	r->ent.start_ip_offset = INT32_MIN;
	r->ent.fde_offset = 0;
	di->start_ip = s->start;
	di->end_ip = s->start + s->len;
	di->format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di->name_ptr = (uintptr_t)s->name;
	di->segbase = (uintptr_t)r->eh + fde_off;
	di->table_len = sizeof(r->ent) / sizeof(uintptr_t);
	di->table_data = (uintptr_t)&r->ent;
	dyn_register(di);
	r->di = di;
}

static int group_rebuild(struct fgroup *g)
{
	struct dbuf b = { 0 };
	unsigned char *old = g->eh;

	if (g->n) {
		ehf_cie(&b);
		for (unsigned i = 0; i < g->n; i++)
			ehf_fde(&b, 0, g->m[i]->s->start, g->m[i]->s->len,
				g->m[i]->s->cfi, g->m[i]->s->cfi_len);
		dbuf_u32(&b, 0);
		if (b.err) {
			free(b.p);
			return -1;
		}
		reg_frame(b.p);
	}
	g->eh = b.p;
	if (old) {
		dereg_frame(old);
		free(old);
	}
	return 0;
}

static void group_add(struct unw_reg *r)
{
	struct fgroup *g = open_group;

	if (!g || g->n == GROUP) {
		g = calloc(1, sizeof(*g));
		if (!g)
			return;
		open_group = g;
	}
	g->m[g->n] = r;
	r->gi = g->n++;
	if (group_rebuild(g)) {
		g->n--;
		return;
	}
	r->g = g;
}

static void group_remove(struct unw_reg *r)
{
	struct fgroup *g = r->g;

	g->m[r->gi] = g->m[--g->n];
	g->m[r->gi]->gi = r->gi;
	if (group_rebuild(g)) {
		/* No memory for the smaller copy: keep the old one (it only
		   describes code that is going away) until the next change. */
		return;
	}
	if (!g->n && g != open_group)
		free(g);
}

struct unw_reg *unwind_register(const struct dsym *s, int grouped)
{
	struct dbuf b = { 0 };
	struct unw_reg *r;
	size_t fde_off;

	if (!resolved)
		resolve();
	if (!reg_frame && !dyn_register)
		return NULL;
	ehf_cie(&b);
	fde_off = b.len;
	ehf_fde(&b, 0, s->start, s->len, s->cfi, s->cfi_len);
	dbuf_u32(&b, 0);
	r = calloc(1, sizeof(*r));
	if (b.err || !r) {
		free(b.p);
		free(r);
		return NULL;
	}
	r->s = s;
	r->eh = b.p;
	if (reg_frame && grouped) {
		group_add(r);
	} else if (reg_frame) {
		reg_frame(r->eh);
		r->gcc = 1;
	}
	if (dyn_register)
		unw_add(r, s, fde_off);
	if (!r->gcc && !r->g && !r->di) {
		free(r->eh);
		free(r);
		return NULL;
	}
	return r;
}

void unwind_deregister(struct unw_reg *r)
{
	if (!r)
		return;
	if (r->di) {
		dyn_cancel(r->di);
		free(r->di);
	}
	if (r->g)
		group_remove(r);
	if (r->gcc)
		dereg_frame(r->eh);
	free(r->eh);
	free(r);
}
