/* SPDX-License-Identifier: MIT */
/* Python 3 ctypes callbacks through libtrampjit-ffi, preloaded: qsort
   with a Python comparator, callbacks taking and returning doubles, and
   structures by value, all from closures whose code is a trampjit stub in
   a read+execute mapping, with no writable and executable mapping in the
   interpreter. */
#ifndef HAVE_FFI_DROPIN
#include "harness.h"

int main(void)
{
	SKIP("no libtrampjit-ffi for this architecture (ffi/arch/<arch> "
	     "and <ffi.h> needed)");
}
#else
#include <elf.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>
#include "harness.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZER_RUNTIME_FIRST 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_RUNTIME_FIRST 1
#endif

static const char script[] =
"import ctypes, sys\n"
"libc = ctypes.CDLL(None)\n"
"def mapping(addr):\n"
"    for l in open('/proc/self/maps'):\n"
"        f = l.split()\n"
"        lo, hi = (int(x, 16) for x in f[0].split('-'))\n"
"        if lo <= addr < hi:\n"
"            return f[1], (f[5] if len(f) > 5 else '')\n"
"def ours(cb):\n"
"    perms, name = mapping(ctypes.cast(cb, ctypes.c_void_p).value)\n"
"    assert perms[:3] == 'r-x' and 'trampjit' in name, (perms, name)\n"
"CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),\n"
"                       ctypes.POINTER(ctypes.c_int))\n"
"calls = [0]\n"
"def py_cmp(a, b):\n"
"    calls[0] += 1\n"
"    return (a[0] > b[0]) - (a[0] < b[0])\n"
"cmp = CMP(py_cmp)\n"
"ours(cmp)\n"
"vals = [(i * 7919) % 1000 - 500 for i in range(1000)]\n"
"arr = (ctypes.c_int * 1000)(*vals)\n"
"libc.qsort(arr, 1000, ctypes.sizeof(ctypes.c_int), cmp)\n"
"assert list(arr) == sorted(vals) and calls[0] > 1000\n"
"DBL = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_int,\n"
"                       ctypes.c_double)\n"
"dbl = DBL(lambda x, n, y: x * n + y)\n"
"ours(dbl)\n"
"again = ctypes.cast(dbl, DBL)\n"
"assert again(1.5, 4, 0.25) == 6.25\n"
"class P(ctypes.Structure):\n"
"    _fields_ = [('x', ctypes.c_double), ('y', ctypes.c_double),\n"
"                ('tag', ctypes.c_long)]\n"
"SP = ctypes.CFUNCTYPE(ctypes.c_double, P, ctypes.POINTER(P))\n"
"def area(p, q):\n"
"    q[0].tag = p.tag + 1\n"
"    return p.x * p.y\n"
"sp = SP(area)\n"
"ours(sp)\n"
"p, q = P(3.0, 0.5, 41), P()\n"
"assert ctypes.cast(sp, SP)(p, ctypes.byref(q)) == 1.5 and q.tag == 42\n"
"many = [DBL(lambda x, n, y, k=k: x + k) for k in range(2000)]\n"
"for k in (0, 999, 1999):\n"
"    assert ctypes.cast(many[k], DBL)(0.5, 0, 0) == 0.5 + k\n"
"del many\n"
"for l in open('/proc/self/maps'):\n"
"    assert 'wx' not in l.split()[1], l\n"
"print('ctypes ok')\n";

/* The ELF machine of the program at path, or -1. */
static int elf_machine(const char *path)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, &eh, sizeof(eh));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)sizeof(eh) &&
	       !memcmp(eh.e_ident, ELFMAG, SELFMAG) ? eh.e_machine : -1;
}

int main(int argc, char **argv)
{
	char exe[PATH_MAX], lib[PATH_MAX + 32], env[PATH_MAX + 64];
	ssize_t n;

#ifdef SANITIZER_RUNTIME_FIRST
	SKIP("a sanitizer runtime cannot be preloaded into python3 after it");
#endif
	if (access("/usr/bin/python3", X_OK))
		SKIP("no /usr/bin/python3");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0);
	exe[n] = 0;
	/* A cross build under qemu-user sees the host's python3. */
	if (elf_machine("/usr/bin/python3") != elf_machine(exe))
		SKIP("/usr/bin/python3 is a program for another machine (ELF "
		     "e_machine %d, this test %d; under qemu-user it is the "
		     "host's): libtrampjit-ffi preloads only into a python3 "
		     "of its own", elf_machine("/usr/bin/python3"),
		     elf_machine(exe));
	if (system("/usr/bin/python3 -c 'import ctypes' 2>/dev/null"))
		SKIP("python3 has no ctypes");
	/* O/tests/ffi-ctypes -> O/libtrampjit-ffi.so */
	snprintf(lib, sizeof(lib), "%s/libtrampjit-ffi.so",
		 dirname(dirname(exe)));
	CHECK(access(lib, R_OK) == 0);
	snprintf(env, sizeof(env), "LD_PRELOAD=%s", lib);
	CHECK(putenv(env) == 0);
	execl("/usr/bin/python3", "python3", "-c", script, (char *)NULL);
	CHECK(0);
	return 1;
}
#endif
