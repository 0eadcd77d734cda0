/* SPDX-License-Identifier: MIT */
/*
 * The GDB JIT interface: named code is described to debuggers (gdb, lldb)
 * by in-memory ELF objects with a symbol table and an allocated .eh_frame,
 * linked into __jit_debug_descriptor.
 *
 * Cost stays flat as objects accumulate: names are packed BATCH to an
 * object, and only the object that changed is rebuilt and re-registered
 * (unregister its old version, register the new one: O(BATCH) bytes and
 * two notifications), never the whole list.  A debugger then sees at most
 * N/BATCH objfiles instead of N.  Each symbol gets its own NOBITS section
 * at its address, so an object never claims the gaps between its symbols.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "debug.h"

#define BATCH	64

/* The interface, as the GDB manual ("JIT Interface") defines it. */
enum { JIT_NOACTION, JIT_REGISTER_FN, JIT_UNREGISTER_FN };

struct jit_code_entry {
	struct jit_code_entry *next_entry;
	struct jit_code_entry *prev_entry;
	const char *symfile_addr;
	uint64_t symfile_size;
};

struct jit_descriptor {
	uint32_t version;
	uint32_t action_flag;
	struct jit_code_entry *relevant_entry;
	struct jit_code_entry *first_entry;
};

/*
 * The debugger breaks on this function and reads the descriptor.  Weak, so
 * that a process with another JIT defining them (LLVM) shares one list,
 * which also keeps compilers from assuming what its body does; noinline,
 * so that every call stays a call the breakpoint sees.
 */
__attribute__((noinline, used, weak)) void __jit_debug_register_code(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((used, weak)) struct jit_descriptor __jit_debug_descriptor = {
	.version = 1,
};

/* One in-memory object: up to BATCH symbols. */
struct gdb_batch {
	struct jit_code_entry entry;	/* linked while registered */
	struct dsym *syms[BATCH];	/* members; syms[i]->bidx == i */
	unsigned n;			/* members */
	int linked;			/* entry is in the descriptor's list */
	struct gdb_batch *next;		/* all batches */
};

static struct gdb_batch *batches;	/* under the registry lock */
static struct gdb_batch *open_batch;	/* the one being filled */

static void notify(struct jit_code_entry *e, uint32_t action)
{
	__jit_debug_descriptor.relevant_entry = e;
	__jit_debug_descriptor.action_flag = action;
	__jit_debug_register_code();
	__jit_debug_descriptor.action_flag = JIT_NOACTION;
}

static void unlink_entry(struct gdb_batch *g)
{
	struct jit_code_entry *e = &g->entry;

	if (!g->linked)
		return;
	if (e->prev_entry)
		e->prev_entry->next_entry = e->next_entry;
	else
		__jit_debug_descriptor.first_entry = e->next_entry;
	if (e->next_entry)
		e->next_entry->prev_entry = e->prev_entry;
	notify(e, JIT_UNREGISTER_FN);
	g->linked = 0;
	free((void *)e->symfile_addr);
	e->symfile_addr = NULL;
}

static void link_entry(struct gdb_batch *g)
{
	struct jit_code_entry *e = &g->entry;

	e->prev_entry = NULL;
	e->next_entry = __jit_debug_descriptor.first_entry;
	if (e->next_entry)
		e->next_entry->prev_entry = e;
	__jit_debug_descriptor.first_entry = e;
	g->linked = 1;
	notify(e, JIT_REGISTER_FN);
}

static void shdr(struct dbuf *b, uint32_t name, uint32_t type,
		 uint64_t flags, uint64_t addr, uint64_t off, uint64_t size,
		 uint32_t link, uint32_t info, uint64_t align, uint64_t entsize)
{
	Elf64_Shdr s = {
		.sh_name = name, .sh_type = type, .sh_flags = flags,
		.sh_addr = addr, .sh_offset = off, .sh_size = size,
		.sh_link = link, .sh_info = info, .sh_addralign = align,
		.sh_entsize = entsize,
	};

	dbuf_put(b, &s, sizeof(s));
}

static const char shstr[] = "\0.text\0.eh_frame\0.symtab\0.strtab\0.shstrtab";
enum { SH_TEXT = 1, SH_EH = 7, SH_SYMTAB = 17, SH_STRTAB = 25,
       SH_SHSTRTAB = 33 };

/*
 * The ELF relocatable object of g: sections 1..n are the symbols' code
 * (NOBITS at their addresses), then .eh_frame (at its own address, FDEs
 * with absolute addresses), .symtab, .strtab, .shstrtab.
 */
static int build(struct gdb_batch *g, struct dbuf *b)
{
	unsigned n = g->n;
	size_t eh, sym, str, shs, sh, strlen_sum = 1;
	Elf64_Ehdr eh_hdr = { 0 };

	dbuf_put(b, &eh_hdr, sizeof(eh_hdr));
	eh = b->len;
	ehf_cie(b);
	for (unsigned i = 0; i < n; i++)
		if (g->syms[i]->has_cfi)
			ehf_fde(b, eh, g->syms[i]->start, g->syms[i]->len,
				g->syms[i]->cfi, g->syms[i]->cfi_len);
	dbuf_u32(b, 0);
	dbuf_align(b, 8, 0);
	sym = b->len;
	dbuf_put(b, &(Elf64_Sym){ 0 }, sizeof(Elf64_Sym));
	for (unsigned i = 0; i < n; i++) {
		Elf64_Sym s = {
			.st_name = (uint32_t)strlen_sum,
			.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
			.st_shndx = (uint16_t)(1 + i),
			.st_size = g->syms[i]->len,
		};

		dbuf_put(b, &s, sizeof(s));
		strlen_sum += strlen(g->syms[i]->name) + 1;
	}
	str = b->len;
	dbuf_u8(b, 0);
	for (unsigned i = 0; i < n; i++)
		dbuf_put(b, g->syms[i]->name, strlen(g->syms[i]->name) + 1);
	shs = b->len;
	dbuf_put(b, shstr, sizeof(shstr));
	dbuf_align(b, 8, 0);
	sh = b->len;
	shdr(b, 0, SHT_NULL, 0, 0, 0, 0, 0, 0, 0, 0);
	for (unsigned i = 0; i < n; i++)
		shdr(b, SH_TEXT, SHT_NOBITS, SHF_ALLOC | SHF_EXECINSTR,
		     g->syms[i]->start, 0, g->syms[i]->len, 0, 0, 16, 0);
	/* .eh_frame's address is patched once the buffer stops moving. */
	shdr(b, SH_EH, SHT_PROGBITS, SHF_ALLOC, 0, eh, sym - eh, 0, 0, 8, 0);
	shdr(b, SH_SYMTAB, SHT_SYMTAB, 0, 0, sym, str - sym, n + 3, 1, 8,
	     sizeof(Elf64_Sym));
	shdr(b, SH_STRTAB, SHT_STRTAB, 0, 0, str, shs - str, 0, 0, 1, 0);
	shdr(b, SH_SHSTRTAB, SHT_STRTAB, 0, 0, shs, sizeof(shstr), 0, 0, 1,
	     0);
	if (b->err) {
		free(b->p);
		errno = b->err;
		return -1;
	}
	Elf64_Ehdr *h = (Elf64_Ehdr *)b->p;
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_ident[EI_OSABI] = ELFOSABI_SYSV;
	h->e_type = ET_REL;
	h->e_machine = (uint16_t)arch_elf_machine;
	h->e_version = EV_CURRENT;
	h->e_shoff = sh;
	h->e_ehsize = sizeof(Elf64_Ehdr);
	h->e_shentsize = sizeof(Elf64_Shdr);
	h->e_shnum = (uint16_t)(n + 5);
	h->e_shstrndx = (uint16_t)(n + 4);
	((Elf64_Shdr *)(b->p + sh))[n + 1].sh_addr = (uintptr_t)b->p + eh;
	return 0;
}

/* Replace g's registered object by one of its current members. */
static int refresh(struct gdb_batch *g)
{
	struct dbuf b = { 0 };

	if (g->n && build(g, &b))
		return -1;
	unlink_entry(g);
	if (!g->n)
		return 0;
	g->entry.symfile_addr = (const char *)b.p;
	g->entry.symfile_size = b.len;
	link_entry(g);
	return 0;
}

int gdbjit_add(struct dsym *s)
{
	struct gdb_batch *g = open_batch;

	if (!g || g->n == BATCH) {
		g = calloc(1, sizeof(*g));
		if (!g)
			return -1;
		g->next = batches;
		batches = g;
		open_batch = g;
	}
	g->syms[g->n] = s;
	s->batch = g;
	s->bidx = g->n++;
	if (refresh(g)) {
		g->n--;
		s->batch = NULL;
		return -1;
	}
	return 0;
}

void gdbjit_remove(struct dsym *s)
{
	struct gdb_batch *g = s->batch;

	if (!g)
		return;
	g->syms[s->bidx] = g->syms[--g->n];
	g->syms[s->bidx]->bidx = s->bidx;
	s->batch = NULL;
	if (refresh(g)) {
		/* No memory for the smaller object: drop the batch from the
		   debugger's view rather than show a stale symbol. */
		unlink_entry(g);
		for (unsigned i = 0; i < g->n; i++)
			g->syms[i]->batch = NULL;
		g->n = 0;
	}
}

void gdbjit_clear(void)
{
	while (batches) {
		struct gdb_batch *g = batches;

		batches = g->next;
		unlink_entry(g);
		for (unsigned i = 0; i < g->n; i++)
			g->syms[i]->batch = NULL;
		free(g);
	}
	open_batch = NULL;
}
