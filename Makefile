# SPDX-License-Identifier: MIT
# trampjit: one GNU Makefile, no configure step.
# Knobs: CC CXX CROSS_COMPILE ARCH O RUNNER SANITIZE V PREFIX DESTDIR
# Targets: all lib check check-clients bench install uninstall clean kernel-check
#          check-guest

VERSION := 0.1.0
SOVER := 1

ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
ifeq ($(origin CXX),default)
CXX := $(CROSS_COMPILE)g++
endif
AR := $(CROSS_COMPILE)ar

ARCH ?= $(shell $(CC) -dumpmachine | sed -e 's/-.*//' -e 's/^amd64$$/x86_64/')
HOST_ARCH := $(shell uname -m | sed -e 's/^amd64$$/x86_64/' -e 's/^arm64$$/aarch64/')
O ?= build
PREFIX ?= /usr/local
# A foreign ARCH runs under qemu-user with the cross toolchain's sysroot.
ifeq ($(ARCH),$(HOST_ARCH))
RUNNER ?=
else
RUNNER ?= qemu-$(ARCH) -L $(or $(wildcard /usr/$(patsubst %-,%,$(CROSS_COMPILE))),/usr/$(ARCH)-linux-gnu)
endif
SANITIZE ?=

ifeq ($(V),1)
Q :=
else
Q := @
endif

ifeq ($(wildcard src/arch/$(ARCH)),)
$(error trampjit: unsupported ARCH '$(ARCH)': no src/arch/$(ARCH))
endif

# A cross build's optional libraries (libffi, nongnu libunwind), which
# Debian's cross sysroots lack: tests/cross-libs.sh downloads the target's
# own Debian packages into $(CROSS_LIBS) and writes $(CROSS_LIBS)/libs.mk,
# which make makes when it is missing, then reads this file again.  Their
# headers come after the toolchain's own (GCC's unwind.h stays first);
# programs find the libraries through their run path, an old-style one
# (DT_RPATH), which also serves the libraries' own dependencies (liblzma
# of libunwind).  Native builds use the system's and fetch nothing.
CROSS_LIBS ?= $(O)/cross-libs
ifneq ($(ARCH),$(HOST_ARCH))
ifneq ($(filter-out clean uninstall readme,$(or $(MAKECMDGOALS),all)),)
include $(CROSS_LIBS)/libs.mk
endif
endif
XLIB_CFLAGS := $(addprefix -idirafter ,$(CROSS_LIBS_INC))
OLD_RPATH := -Wl,--disable-new-dtags
XLIB_LDFLAGS := $(foreach d,$(CROSS_LIBS_LIB),-L$(d) -Wl,-rpath,$(d)) \
	$(if $(CROSS_LIBS_LIB),$(OLD_RPATH))

# Optional libraries, when the toolchain can link them: libffi
# (-DHAVE_LIBFFI for its users).
HAVE_LIBFFI := $(shell printf '\043include <ffi.h>\nint main(void){return ffi_prep_cif(0,FFI_DEFAULT_ABI,0,0,0);}' | \
	$(CC) $(XLIB_CFLAGS) -x c - -o /dev/null $(XLIB_LDFLAGS) -lffi 2>/dev/null && echo 1)
OPTLIB_CFLAGS := $(if $(HAVE_LIBFFI),-DHAVE_LIBFFI)
FFI_LIBS := $(if $(HAVE_LIBFFI),-lffi)
# nongnu libunwind likewise (tests/unwind-libunwind.c skips without it).
HAVE_LIBUNWIND := $(shell printf '\043include <libunwind.h>\nint main(void){return unw_backtrace(0,0);}' | \
	$(CC) $(XLIB_CFLAGS) -x c - -o /dev/null $(XLIB_LDFLAGS) -lunwind -lunwind-generic \
	2>/dev/null && echo 1)
OPTLIB_CFLAGS += $(if $(HAVE_LIBUNWIND),-DHAVE_LIBUNWIND)
# Drop-in libraries: libffi closures (where ffi/arch/$(ARCH) knows libffi's
# layout and <ffi.h> is installed) and GCC nested-function trampolines.
HAVE_FFI_H := $(shell echo '\#include <ffi.h>' | $(CC) $(XLIB_CFLAGS) -E - >/dev/null 2>&1 && echo y)
FFI_LIB := $(if $(and $(wildcard ffi/arch/$(ARCH)),$(HAVE_FFI_H)),$(O)/libtrampjit-ffi.so)
# Its tests skip (77) where it is not built.
OPTLIB_CFLAGS += $(if $(FFI_LIB),-DHAVE_FFI_DROPIN)
OPT ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter
# Unwind tables in every frame, so backtraces and exceptions cross C code
# (gcc omits them by default on riscv64; x86_64 and aarch64 have them).
UNWIND := -fasynchronous-unwind-tables
SANFLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
CPPFLAGS_ALL := -Iinclude -Isrc -Isrc/arch/$(ARCH) -D_GNU_SOURCE -DTRAMPJIT_DEBUG
LIB_CFLAGS := -std=c11 $(OPT) $(WARN) $(UNWIND) -fPIC -fvisibility=hidden $(SANFLAGS) $(CPPFLAGS_ALL) $(CFLAGS)
APP_CFLAGS := -std=gnu11 $(OPT) $(WARN) $(UNWIND) $(SANFLAGS) -Iinclude $(OPTLIB_CFLAGS) $(XLIB_CFLAGS) $(CFLAGS)
APP_CXXFLAGS := $(OPT) $(WARN) $(UNWIND) -Wno-missing-field-initializers $(SANFLAGS) -Iinclude $(OPTLIB_CFLAGS) $(XLIB_CFLAGS) -fexceptions $(CXXFLAGS)
APP_LDLIBS := -lpthread -ldl $(XLIB_LDFLAGS)
# The JIT peer of the benchmark, when Debian's libasmjit-dev is installed
# (native builds only: it is an x86_64 library).
ASMJIT_LIBS := $(if $(and $(filter $(ARCH),$(HOST_ARCH)),$(wildcard /usr/include/asmjit/core.h)),-lasmjit -lrt)
ASMJIT_CFLAGS := $(if $(ASMJIT_LIBS),-DHAVE_ASMJIT)

LIB_SRCS := $(wildcard src/*.c) $(wildcard src/arch/$(ARCH)/*.c) $(wildcard src/arch/$(ARCH)/*.S)
LIB_OBJS := $(addprefix $(O)/,$(addsuffix .o,$(basename $(LIB_SRCS))))
STATIC := $(O)/libtrampjit.a
SHARED := $(O)/libtrampjit.so.$(VERSION)
SONAME := libtrampjit.so.$(SOVER)

FFI_OBJS := $(addprefix $(O)/,$(patsubst %.c,%.o,$(wildcard ffi/*.c)) \
	$(patsubst %.S,%.o,$(wildcard ffi/arch/$(ARCH)/*.S)))
NESTED_LIBS := $(O)/libtrampjit-nested.so $(O)/libtrampjit-nested.a
NESTED_OBJS := $(addprefix $(O)/,$(patsubst %.c,%.o,$(wildcard nested/*.c)))

TEST_C := $(wildcard tests/*.c)
TEST_CC := $(wildcard tests/*.cc)
TESTS := $(addprefix $(O)/,$(basename $(TEST_C) $(TEST_CC)))
TEST_HELPERS := $(O)/tests/mdwe-exec $(O)/tests/mdwe-preload
TESTS := $(filter-out $(TEST_HELPERS),$(TESTS))
# Per-architecture test helpers: probes in assembly and machine code.
TEST_ARCH := src/arch/$(ARCH)/test
TEST_ASM := $(wildcard $(TEST_ARCH)/*.S)
TEST_ASM_OBJS := $(addprefix $(O)/tests/asm/,$(notdir $(TEST_ASM:.S=.o)))
TEST_ASM_LIB := $(O)/tests/asm/libtestasm.a

BENCH_C := $(wildcard bench/*.c)
BENCH_CC := $(wildcard bench/*.cc)
BENCH_S := $(wildcard src/arch/$(ARCH)/bench/*.S)
BENCH_OBJS := $(addprefix $(O)/,$(addsuffix .o,$(basename $(BENCH_C) $(BENCH_CC)))) \
	$(addprefix $(O)/bench/,$(notdir $(BENCH_S:.S=.o)))
BENCH := $(O)/bench/trampjit-bench
# Run by the bench: a user's program, linking the shared library (and
# libffi, so only where the toolchain has it).
PLAIN_LOOP := $(if $(HAVE_LIBFFI),$(O)/bench/trampjit-plain-loop)
# And a user's program linking the libffi drop-in before libffi.
FFI_LOOP := $(if $(and $(HAVE_LIBFFI),$(FFI_LIB)),$(O)/bench/trampjit-ffi-loop)
EXAMPLES := $(addprefix $(O)/,$(basename $(wildcard examples/*.c)))

# Extra link flags of one program: a file next to it, e.g. tests/foo.ldflags.
# -static there makes a static test; sanitizer runtimes cannot be linked
# statically, so SANITIZE builds drop it (the test then skips); libunwind's
# and libffi's are dropped where the toolchain lacks them (the test then
# skips).
ldflags-of = $(filter-out $(if $(SANITIZE),-static) $(if $(HAVE_LIBUNWIND),,-lunwind%) \
	$(if $(HAVE_LIBFFI),,-lffi),\
	$(shell cat $(1).ldflags 2>/dev/null))

.PHONY: all lib check check-header check-install check-symbols check-tsan \
	check-clients bench readme install uninstall clean kernel-check \
	check-guest
.SECONDARY:

all: lib $(EXAMPLES) $(BENCH) $(PLAIN_LOOP) $(FFI_LOOP)

# A cross build's fetched libraries (CROSS_LIBS, above).
$(CROSS_LIBS)/libs.mk: tests/cross-libs.sh tests/debian-apt.sh
	$(Q)sh tests/cross-libs.sh $(CROSS_LIBS) $(ARCH)

# The libraries alone: what install needs (no asmjit or libunwind; the
# libffi drop-in only where <ffi.h> is installed).
lib: $(STATIC) $(O)/libtrampjit.so $(FFI_LIB) $(NESTED_LIBS)

$(O)/src/%.o: src/%.c $(wildcard src/*.h src/arch/*.h src/arch/$(ARCH)/*.h include/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(LIB_CFLAGS) -c $< -o $@

$(O)/src/%.o: src/%.S $(wildcard src/arch/*.h src/arch/$(ARCH)/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(LIB_CFLAGS) -c $< -o $@

$(STATIC): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# -z nodelete: once used, the library has signal handlers, a thread-exit
# key destructor and atfork handlers pointing at its code, so dlclose()
# must never unmap it.
$(SHARED): $(LIB_OBJS) src/trampjit.map Makefile
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/trampjit.map \
		-Wl,-z,noexecstack -Wl,-z,nodelete $(SANFLAGS) -o $@ $(LIB_OBJS) -lpthread

$(O)/libtrampjit.so: $(SHARED)
	$(Q)ln -sf $(notdir $(SHARED)) $(O)/$(SONAME)
	$(Q)ln -sf $(notdir $(SHARED)) $@

$(O)/ffi/%.o: ffi/%.c $(wildcard ffi/*.h ffi/arch/$(ARCH)/*.h src/*.h) include/trampjit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(LIB_CFLAGS) $(XLIB_CFLAGS) -Iffi/arch/$(ARCH) -c $< -o $@

# The arch's shims into libffi (aarch64, riscv64: see ffi/closure.c).
$(O)/ffi/arch/%.o: ffi/arch/%.S $(wildcard ffi/arch/$(ARCH)/*.h src/arch/$(ARCH)/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(LIB_CFLAGS) -Iffi/arch/$(ARCH) -c $< -o $@

# Self-contained (trampjit inside, hidden), so that it can be preloaded
# alone; it exports libffi's closure API only.
$(O)/libtrampjit-ffi.so: $(FFI_OBJS) $(LIB_OBJS) ffi/libtrampjit-ffi.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libtrampjit-ffi.so \
		-Wl,--version-script=ffi/libtrampjit-ffi.map -Wl,-z,noexecstack \
		-Wl,-z,nodelete $(SANFLAGS) -o $@ $(FFI_OBJS) $(LIB_OBJS) \
		-lpthread -ldl

$(O)/nested/%.o: nested/%.c include/trampjit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(LIB_CFLAGS) -c $< -o $@

# Both self-contained: a program built with -ftrampoline-impl=heap links
# -ltrampjit-nested (and -lpthread when static) and nothing else.
$(O)/libtrampjit-nested.so: $(NESTED_OBJS) $(LIB_OBJS) nested/libtrampjit-nested.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libtrampjit-nested.so \
		-Wl,--version-script=nested/libtrampjit-nested.map \
		-Wl,-z,noexecstack -Wl,-z,nodelete $(SANFLAGS) -o $@ \
		$(NESTED_OBJS) $(LIB_OBJS) -lpthread

$(O)/libtrampjit-nested.a: $(NESTED_OBJS) $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(O)/tests/%.o: tests/%.c $(wildcard tests/*.h $(TEST_ARCH)/*.h) include/trampjit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(APP_CFLAGS) -Itests -I$(TEST_ARCH) -c $< -o $@

$(O)/tests/%.o: tests/%.cc $(wildcard tests/*.h $(TEST_ARCH)/*.h) include/trampjit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $<")
	$(Q)$(CXX) $(APP_CXXFLAGS) -Itests -I$(TEST_ARCH) -c $< -o $@

$(O)/tests/asm/%.o: $(TEST_ARCH)/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(APP_CFLAGS) -c $< -o $@

$(TEST_ASM_LIB): $(TEST_ASM_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(O)/tests/mdwe-exec: $(O)/tests/mdwe-exec.o
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $<

# PR_SET_MDWE's rules for emulators that refuse it (see tests/run.sh).
$(O)/tests/mdwe-preload.so: tests/mdwe-preload.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(APP_CFLAGS) -fPIC -shared -o $@ $<

$(O)/tests/%: $(O)/tests/%.o $(TEST_ASM_LIB) $(STATIC)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(if $(wildcard tests/$*.cc),$(CXX),$(CC)) $(SANFLAGS) -o $@ $< $(TEST_ASM_LIB) \
		$(STATIC) $(call ldflags-of,tests/$*) $(FFI_LIBS) $(APP_LDLIBS)

# tests/bti-guard (aarch64) is a BTI-marked program: a program is marked
# only when every object of its link is, and the toolchain's start files
# and libgcc helpers are not (Debian 12), so it brings its own (without
# outline atomics) and links no test helper.  Sanitizer runtimes are not
# marked either: those builds link it as usual, and it skips.
BTI_RT := $(if $(SANITIZE),,$(wildcard $(TEST_ARCH)/bti/*.[cS]))
ifneq ($(BTI_RT),)
BTI_RT_OBJS := $(addprefix $(O)/tests/bti/,$(notdir $(addsuffix .o,$(basename $(BTI_RT)))))
$(O)/tests/bti/%.o: $(TEST_ARCH)/bti/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(APP_CFLAGS) -mno-outline-atomics -c $< -o $@
$(O)/tests/bti/%.o: $(TEST_ARCH)/bti/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(APP_CFLAGS) -c $< -o $@
$(O)/tests/bti-guard: $(O)/tests/bti-guard.o $(BTI_RT_OBJS) $(STATIC)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -nostartfiles -o $@ $(BTI_RT_OBJS) $< $(STATIC) $(APP_LDLIBS)
endif

# tests/dlclose loads the shared library built next to it.
$(O)/tests/dlclose: $(O)/libtrampjit.so

# Tests of the libffi drop-in link it before libffi, as a user would.
ifneq ($(FFI_LIB),)
$(O)/tests/ffi-%: $(O)/tests/ffi-%.o $(O)/libtrampjit-ffi.so
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(SANFLAGS) -o $@ $< -L$(O) -ltrampjit-ffi \
		-Wl,-rpath,$(abspath $(O)) $(call ldflags-of,tests/ffi-$*) \
		$(APP_LDLIBS)
endif

# tests/ffi-layout loads a stand-in libffi.so.8, in a directory of its own
# (run.sh runs every file of $(O)/tests).
$(O)/tests/fake-libffi/libffi.so.8: tests/fake-libffi/fake-libffi.c tests/fake-libffi/fake-libffi.map
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(APP_CFLAGS) -fPIC -shared -Wl,-soname,libffi.so.8 \
		-Wl,--version-script=tests/fake-libffi/fake-libffi.map -o $@ $<
ifneq ($(FFI_LIB),)
$(O)/tests/ffi-layout: $(O)/tests/fake-libffi/libffi.so.8
endif

# Tests of the nested-function drop-in link only it (trampjit is inside).
$(O)/tests/nested-%: $(O)/tests/nested-%.o $(TEST_ASM_LIB) $(O)/libtrampjit-nested.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(SANFLAGS) -o $@ $< $(TEST_ASM_LIB) $(O)/libtrampjit-nested.a \
		$(APP_LDLIBS)

# tests/dlopen-libraries loads libtrampjit.so and both drop-ins.
$(O)/tests/dlopen-libraries: $(O)/libtrampjit.so $(FFI_LIB) $(NESTED_LIBS)

$(O)/bench/%.o: bench/%.c $(wildcard bench/*.h $(TEST_ARCH)/*.h) include/trampjit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(APP_CFLAGS) -Ibench -I$(TEST_ARCH) -c $< -o $@

$(O)/bench/%.o: bench/%.cc $(wildcard bench/*.h $(TEST_ARCH)/*.h) include/trampjit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $<")
	$(Q)$(CXX) $(APP_CXXFLAGS) $(ASMJIT_CFLAGS) -Ibench -I$(TEST_ARCH) -c $< -o $@

$(O)/bench/%.o: src/arch/$(ARCH)/bench/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(APP_CFLAGS) -c $< -o $@

$(BENCH): $(BENCH_OBJS) $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(if $(BENCH_CC),$(CXX),$(CC)) $(SANFLAGS) -o $@ $(BENCH_OBJS) $(STATIC) \
		$(foreach f,$(basename $(BENCH_C) $(BENCH_CC)),$(call ldflags-of,$(f))) \
		$(ASMJIT_LIBS) $(FFI_LIBS) $(APP_LDLIBS) -lm

ifneq ($(PLAIN_LOOP),)
$(PLAIN_LOOP): bench/plain/plain-loop.c $(O)/libtrampjit.so include/trampjit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $< -L$(O) -ltrampjit \
		-Wl,-rpath,$(abspath $(O)) -lffi $(APP_LDLIBS)
endif

ifneq ($(FFI_LOOP),)
$(FFI_LOOP): bench/plain/ffi-loop.c $(FFI_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $< -L$(O) -ltrampjit-ffi \
		-Wl,-rpath,$(abspath $(O)) -lffi $(APP_LDLIBS)
endif

$(O)/examples/%: examples/%.c $(STATIC) include/trampjit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(APP_CFLAGS) -std=c11 -pedantic -o $@ $< $(STATIC) $(APP_LDLIBS)

# The public header in every C and C++ standard it supports, and the
# examples, warning-free under -pedantic -Werror.
HEADER_STDS := c99 c11 c17
HEADER_CXX_STDS := c++98 c++03 c++11 c++17
STRICT := -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only
check-header:
	$(Q)for s in $(HEADER_STDS); do \
		$(CC) -x c -std=$$s $(STRICT) tests/header/use.c || exit 1; \
	done
	$(Q)for s in $(HEADER_CXX_STDS); do \
		$(CXX) -x c++ -std=$$s $(STRICT) tests/header/use.c || exit 1; \
	done
	$(Q)for f in $(wildcard examples/*.c); do \
		$(CC) -std=c11 $(STRICT) $$f || exit 1; \
	done
	@echo "header in $(HEADER_STDS) $(HEADER_CXX_STDS), examples -pedantic: ok"

check: all $(TESTS) $(O)/tests/mdwe-exec $(O)/tests/mdwe-preload.so \
		check-header check-symbols check-install
	$(Q)$(CC) $(APP_CFLAGS) -o $(O)/examples/qsort-bind-shared examples/qsort-bind.c \
		-L$(O) -ltrampjit -Wl,-rpath,$(abspath $(O)) $(APP_LDLIBS)
	$(Q)$(RUNNER) $(O)/examples/qsort-bind-shared > /dev/null && echo "shared library: ok"
	$(Q)TRAMPJIT_BENCH_RUNNER="$(RUNNER)" $(RUNNER) $(BENCH) --quick > $(O)/bench-quick.txt && echo "bench --quick: ok"
	$(Q)RUNNER="$(RUNNER)" sh tests/run.sh $(O)

# Header, version script, exported symbols and man pages agree.
check-symbols: $(O)/libtrampjit.so
	$(Q)CC="$(CC)" sh tests/symbols.sh $(O)

# Install into temporary trees and build programs against them.
check-install: lib
	$(Q)CC="$(CC)" CXX="$(CXX)" SANFLAGS="$(SANFLAGS)" RUNNER="$(RUNNER)" \
		MAKE="$(MAKE) CROSS_COMPILE=$(CROSS_COMPILE) ARCH=$(ARCH) \
		CROSS_LIBS=$(abspath $(CROSS_LIBS))" \
		sh tests/install.sh $(O); rc=$$?; [ $$rc = 0 ] || [ $$rc = 77 ]

# The multi-threaded tests (those that include <pthread.h>) built with
# ThreadSanitizer in $(O)-tsan; any report fails the run.
TSAN_TESTS := $(notdir $(basename $(shell grep -l '<pthread.h>' $(TEST_C) $(TEST_CC))))
check-tsan:
	$(Q)$(MAKE) --no-print-directory O=$(O)-tsan SANITIZE=thread \
		$(addprefix $(O)-tsan/tests/,$(TSAN_TESTS) mdwe-exec)
	$(Q)TSAN_OPTIONS="halt_on_error=1 exitcode=66 \
		suppressions=$(abspath tests/tsan.supp) $(TSAN_OPTIONS)" \
		RUNNER="$(RUNNER)" sh tests/run.sh $(O)-tsan $(TSAN_TESTS)

# libffi's and GCC 14's own test suites against the drop-ins (see
# clients/run.sh for what they need).
check-clients: all $(O)/tests/mdwe-exec
	$(Q)sh clients/run.sh $(O)

bench: all
	$(Q)TRAMPJIT_BENCH_RUNNER="$(RUNNER)" $(RUNNER) $(BENCH) --report $(O)/report

# The kernel module (kernel/), its tests and bench, run in qemu-system
# under Debian's kernel: see kernel/check.sh.
KTESTS := $(addprefix $(O)/,$(basename $(wildcard kernel/tests/*.c)))
KBENCH := $(O)/kernel/trampfd-bench

$(O)/kernel/tests/%: kernel/tests/%.c kernel/trampfd.h tests/harness.h $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(APP_CFLAGS) -Itests -Ikernel -o $@ $< $(STATIC) $(APP_LDLIBS)

$(KBENCH): kernel/bench.c $(STATIC) include/trampjit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(APP_CFLAGS) -o $@ $< $(STATIC) $(APP_LDLIBS)

kernel-check: all $(TESTS) $(O)/tests/mdwe-exec $(KTESTS) $(KBENCH)
	$(Q)sh kernel/check.sh $(O)

# A cross build's page-size and kernel tests on a Debian kernel booted
# under qemu-system: aarch64 on 16 KiB pages, riscv64 (tests/guest/).
check-guest: $(TESTS) $(O)/tests/mdwe-exec
	$(Q)CROSS_LIBS_LIB="$(CROSS_LIBS_LIB)" sh tests/guest/check.sh $(O)

# Refresh README.md's headline table and chart from $(O)/report.
readme:
	sh bench/update-readme.sh $(O)/report

# Installed paths (trampjit.pc.in spells them the same way); trampjit.pc
# is written at install time, for the PREFIX of the install.
LIBDIR := $(PREFIX)/lib
INCDIR := $(PREFIX)/include
MANDIR := $(PREFIX)/share/man
D := $(DESTDIR)
# man/: one page per group of functions, a symlink per other function.
MAN3_LINKS := $(shell find man -name '*.3' -type l)
MAN3 := $(filter-out $(MAN3_LINKS),$(wildcard man/*.3))

install: lib
	install -d $(D)$(INCDIR) $(D)$(LIBDIR)/pkgconfig $(D)$(MANDIR)/man3 \
		$(D)$(MANDIR)/man7
	install -m 644 include/trampjit.h $(D)$(INCDIR)/
	install -m 644 $(STATIC) $(D)$(LIBDIR)/
	install -m 755 $(SHARED) $(FFI_LIB) $(O)/libtrampjit-nested.so \
		$(D)$(LIBDIR)/
	install -m 644 $(O)/libtrampjit-nested.a $(D)$(LIBDIR)/
	ln -sf $(notdir $(SHARED)) $(D)$(LIBDIR)/$(SONAME)
	ln -sf $(notdir $(SHARED)) $(D)$(LIBDIR)/libtrampjit.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
		trampjit.pc.in > $(D)$(LIBDIR)/pkgconfig/trampjit.pc
	chmod 644 $(D)$(LIBDIR)/pkgconfig/trampjit.pc
	install -d $(D)$(LIBDIR)/cmake/trampjit
	$(foreach f,trampjit-config trampjit-config-version,sed \
		-e 's|@VERSION@|$(VERSION)|g' -e 's|@SOVER@|$(SOVER)|g' \
		cmake/$(f).cmake.in > $(D)$(LIBDIR)/cmake/trampjit/$(f).cmake && \
		chmod 644 $(D)$(LIBDIR)/cmake/trampjit/$(f).cmake &&) true
	install -m 644 $(MAN3) $(D)$(MANDIR)/man3/
	install -m 644 $(wildcard man/*.7) $(D)$(MANDIR)/man7/
	$(foreach a,$(MAN3_LINKS),ln -sf $(shell readlink $(a)) \
		$(D)$(MANDIR)/man3/$(notdir $(a)) &&) true

uninstall:
	rm -f $(D)$(INCDIR)/trampjit.h $(D)$(LIBDIR)/libtrampjit.a \
		$(D)$(LIBDIR)/$(notdir $(SHARED)) $(D)$(LIBDIR)/$(SONAME) \
		$(D)$(LIBDIR)/libtrampjit.so \
		$(D)$(LIBDIR)/libtrampjit-ffi.so \
		$(D)$(LIBDIR)/libtrampjit-nested.so \
		$(D)$(LIBDIR)/libtrampjit-nested.a \
		$(D)$(LIBDIR)/pkgconfig/trampjit.pc \
		$(D)$(LIBDIR)/cmake/trampjit/trampjit-config.cmake \
		$(D)$(LIBDIR)/cmake/trampjit/trampjit-config-version.cmake \
		$(addprefix $(D)$(MANDIR)/man3/,$(notdir $(wildcard man/*.3))) \
		$(addprefix $(D)$(MANDIR)/man7/,$(notdir $(wildcard man/*.7)))

clean:
	rm -rf $(O)
