/* SPDX-License-Identifier: MIT */
/*
 * gdb (batch mode, driving this program as a child) sees through
 * trampolines and names JIT code through the GDB JIT interface: stopped in
 * a trampoline stub, its bt shows "trampjit trampoline" and reaches main;
 * stopped in a function called from a named JIT function, its bt shows the
 * JIT function's name and reaches main.  On every backend; under an
 * emulator (qemu-user) through its gdb stub with gdb-multiarch.  The
 * in-memory objects are also checked from inside: registered, ELF, and
 * built for this program's machine (e_machine).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdint.h>
#include <unistd.h>
#include "debug-code.h"
#include "gdb-batch.h"

/* The GDB JIT interface, as gdb reads it. */
struct jit_code_entry {
	struct jit_code_entry *next_entry, *prev_entry;
	const char *symfile_addr;
	uint64_t symfile_size;
};
extern struct jit_descriptor {
	uint32_t version, action_flag;
	struct jit_code_entry *relevant_entry, *first_entry;
} __jit_debug_descriptor;

void *volatile stub_addr;
static long (*volatile jit_fn)(long);

__attribute__((noinline)) long jit_callee(long x)
{
	__asm__ volatile("");
	return x + 1;
}

GDB_WALKED __attribute__((noinline)) long chained_target(long x)
{
	long r = jit_fn(x);

	__asm__ volatile("" : "+r"(r));
	return r + 1;
}

GDB_WALKED __attribute__((noinline)) long enter_tramp(long (*fn)(long), long x)
{
	long r = fn(x);

	__asm__ volatile("" : "+r"(r));
	return r;
}

GDB_WALKED static int child(enum tramp_backend b)
{
	struct tramp *t;

	CHECK(jit_debug_enable(JIT_DEBUG_GDB) == 0);
	jit_fn = (long (*)(long))jit_call_new((void *)jit_callee);
	CHECK(jit_name_unwind((void *)jit_fn, JIT_CALL_LEN, "my_jit_function",
			      jit_call_cfi, sizeof(jit_call_cfi)) == 0);
	t = make(TRAMP_CHAIN, b, (void *)chained_target, NULL);
	stub_addr = tramp_code(t);
	CHECK(enter_tramp((long (*)(long))stub_addr, 40) == 42);
	return 0;
}

/* Run gdb on ourselves; returns its output (malloc'ed). */
static char *gdb(const char *self, enum tramp_backend b)
{
	char script[1024], arg[16];
	int n;

	n = snprintf(script, sizeof(script), "break enter_tramp\nrun\n");
	if (b != TRAMP_FAULT)	/* a fault stub never executes */
		n += snprintf(script + n, sizeof(script) - (size_t)n,
			"set $n = 0\n"
			"while $pc != (unsigned long)stub_addr && $n < 200\n"
			"stepi\nset $n = $n + 1\nend\n"
			"echo ==STUB==\\n\nbt\necho ==END==\\n\n");
	snprintf(script + n, sizeof(script) - (size_t)n,
		 "break jit_callee\ncontinue\n"
		 "echo ==JIT==\\n\nbt\necho ==END==\\n\nkill\n");
	snprintf(arg, sizeof(arg), "%d", (int)b);
	return gdb_batch(script, self, arg);
}

/* The text between marker and ==END==, or "" */
static char *section(char *out, const char *marker)
{
	char *s = strstr(out, marker), *e;

	if (!s)
		return "";
	e = strstr(s, "==END==");
	if (e)
		*e = 0;
	return s;
}

static const char *self;

static void run(enum tramp_backend b)
{
	char *out = gdb(self, b), *copy = strdup(out), *s;

	CHECK(copy != NULL);
	if (b != TRAMP_FAULT) {
		s = section(out, "==STUB==");
		if (!strstr(s, "trampjit trampoline") ||
		    !strstr(s, "enter_tramp") || !strstr(s, "main"))
			fprintf(stderr, "%s: gdb at the stub:\n%s\n",
				backend_names[b], copy);
		CHECK(strstr(s, "trampjit trampoline"));
		CHECK(strstr(s, "enter_tramp") && strstr(s, "main ("));
	}
	strcpy(out, copy);
	s = section(out, "==JIT==");
	if (!strstr(s, "my_jit_function") || !strstr(s, "main ("))
		fprintf(stderr, "%s: gdb in the JIT callee:\n%s\n",
			backend_names[b], copy);
	CHECK(strstr(s, "jit_callee") && strstr(s, "my_jit_function"));
	CHECK(strstr(s, "chained_target") && strstr(s, "enter_tramp"));
	CHECK(strstr(s, "main ("));
	fprintf(stderr, "gdb through %s: ok\n", backend_names[b]);
	free(out);
	free(copy);
}

/* The machine of this program's own ELF header. */
static unsigned own_machine(void)
{
	Elf64_Ehdr h;
	FILE *f = fopen("/proc/self/exe", "rb");

	CHECK(f && fread(&h, sizeof(h), 1, f) == 1);
	fclose(f);
	return h.e_machine;
}

static void in_process(void)
{
	unsigned n = 0, m = own_machine();

	CHECK(jit_debug_enable(JIT_DEBUG_GDB) == 0);
	jit_fn = (long (*)(long))jit_call_new((void *)jit_callee);
	CHECK(jit_name_unwind((void *)jit_fn, JIT_CALL_LEN, "my_jit_function",
			      jit_call_cfi, sizeof(jit_call_cfi)) == 0);
	tramp_destroy(make(TRAMP_CHAIN, TRAMP_STATIC, (void *)tramp_target,
			   NULL));
	for (struct jit_code_entry *e = __jit_debug_descriptor.first_entry;
	     e; e = e->next_entry, n++) {
		const Elf64_Ehdr *h = (const Elf64_Ehdr *)e->symfile_addr;

		CHECK(e->symfile_size >= sizeof(*h));
		CHECK(!memcmp(h->e_ident, ELFMAG, SELFMAG));
		CHECK(h->e_machine == m);
	}
	CHECK(n >= 1);
	fprintf(stderr, "%u GDB JIT objects, e_machine %u\n", n, m);
}

GDB_WALKED int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "child"))
		return child((enum tramp_backend)atoi(argv[2]));
	in_process();
	if (!gdb_program())
		SKIP("%s not installed; objects checked in-process only",
		     emulated() ? "gdb-multiarch" : "gdb");
	self = argv[0];
	for_each_backend(run);
	return 0;
}
