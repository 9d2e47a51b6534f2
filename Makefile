# crossroot: one non-recursive GNU Makefile.  `make`, `make check`, `make install`.
# pkg-config names: mount is libmount, libcap-ng, libseccomp, libarchive, libcurl, json-c.
VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
JOBSDIR   ?= $(PREFIX)/share/crossroot/jobs
B         ?= build

CC        ?= cc
CFLAGS    ?= -O2 -g
PKGS      := mount libcap-ng libseccomp libarchive libcurl nettle json-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# libmount, libarchive, libcurl, nettle and json-c are loaded with dlopen by the
# code that needs them (runtime/mountlib.c, bootstrap/libarchive.c): they would
# slow every `crossroot run`.  libseccomp runs at build time only: it compiles
# the seccomp filter into a table (runtime/syscall-filter-gen.c).
PKG_LIBS   := $(shell pkg-config --libs $(filter-out mount libarchive libcurl nettle json-c libseccomp,$(PKGS)))
SECCOMP_LIBS := $(shell pkg-config --libs libseccomp)
ifeq ($(filter clean lint,$(MAKECMDGOALS)),)
ifeq ($(shell pkg-config --exists $(PKGS) && echo ok),)
$(error missing development packages for: $(PKGS); run .ci/run or see README.md "Requirements")
endif
endif

# bubblewrap's and systemd's lists.  format=2 includes format-nonliteral: printf-like
# helpers carry _printf_ (base/util.h) so their callers' formats are checked.
WARNINGS  := -Wall -Wextra -Wno-unused-parameter -Werror=shadow -Werror=strict-prototypes \
	-Werror=missing-prototypes -Werror=missing-declarations -Werror=implicit-function-declaration \
	-Werror=int-conversion -Werror=incompatible-pointer-types -Werror=format=2 -Werror=format-nonliteral \
	-Werror=misleading-indentation -Werror=return-type -Werror=pointer-arith -Werror=date-time \
	-Werror=nested-externs -Werror=old-style-definition -Werror=undef -Werror=endif-labels \
	-Werror=write-strings
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DCROSSROOT_VERSION='"$(VERSION)"' -DCROSSROOT_BUNDLED_JOBS='"$(JOBSDIR)"' $(WARNINGS) -MMD -MP \
	$(PKG_CFLAGS) $(CFLAGS)
LDLIBS    := -Wl,--as-needed $(PKG_LIBS)

# The library layer (no printing, no exit) and the command layer on top.
LIB_SRCS  := base/util.c base/error.c runtime/host.c runtime/userns.c runtime/launch.c runtime/container.c runtime/setup.c \
	runtime/mounts.c runtime/syscall-filter.c runtime/supervise.c runtime/init.c runtime/runtime.c runtime/rmtree.c runtime/clone.c runtime/ephemeral.c runtime/cache.c runtime/store.c runtime/mountlib.c runtime/rootfs-cache.c runtime/second-stage.c runtime/skel.c runtime/job.c runtime/env.c runtime/config.c runtime/accel.c \
	bootstrap/tarball.c bootstrap/oci.c bootstrap/rootfs-arch.c bootstrap/libarchive.c \
	bootstrap/jsonc.c bootstrap/netlibs.c bootstrap/archive.c bootstrap/packages.c bootstrap/version.c bootstrap/bootstrap.c \
	binfmt/arch.c binfmt/emulator.c binfmt/binfmt.c
CLI_SRCS  := runtime/main.c runtime/cli.c runtime/cli-config.c runtime/cli-check.c runtime/cli-binfmt.c runtime/cli-setup.c runtime/cli-container.c runtime/cli-prune.c runtime/cli-job.c runtime/cli-accel.c
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
# Every C file, for lint.
LINT_SRCS := $(wildcard base/*.[ch] runtime/*.[ch] binfmt/*.[ch] bootstrap/*.[ch] tests/unit/*.[ch] tests/payload/*.c \
	contrib/examples/*.c)

LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o) $(B)/rootfs-skel.o $(B)/syscall-filter-table.o $(B)/accel-script.o \
	$(B)/reaper-blob.o
CLI_OBJS  := $(CLI_SRCS:%.c=$(B)/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
HARNESS   := $(B)/tests/unit/harness.o

# Test payload, cross-built static for each architecture the tests exercise.
PAYLOAD_ARCHES := arm64 armhf riscv64 ppc64el s390x amd64 i386
CROSS_arm64    := aarch64-linux-gnu-
CROSS_armhf    := arm-linux-gnueabihf-
CROSS_riscv64  := riscv64-linux-gnu-
CROSS_ppc64el  := powerpc64le-linux-gnu-
CROSS_s390x    := s390x-linux-gnu-
CROSS_amd64    :=
CROSS_i386     := i686-linux-gnu-
PAYLOADS  := $(PAYLOAD_ARCHES:%=$(B)/payload/payload-%)

.SECONDARY:
.PHONY: all check check-unit check-e2e payloads lint asan install clean
all: $(B)/crossroot

$(B)/crossroot: $(CLI_OBJS) $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
# The unit tests predate -Wwrite-strings (argv arrays of literals) and stay as they are.
$(B)/tests/unit/%.o: ALL_CFLAGS += -Wno-write-strings

# rootfs-skel/ is data: each file becomes a C string with its path and mode.
SKEL_FILES := $(shell find rootfs-skel/all rootfs-skel/single -type f 2>/dev/null | sort)
$(B)/rootfs-skel.c: $(SKEL_FILES) Makefile
	@mkdir -p $(@D)
	{ echo '#include "../runtime/skel.h"'; echo 'const struct skel_file skel_files[] = {'; \
	  for f in $(SKEL_FILES); do \
	    rel=$${f#rootfs-skel/*/}; case $$f in rootfs-skel/single/*) single=true;; *) single=false;; esac; \
	    echo "{ \"$$rel\", 0$$(stat -c %a $$f), $$single,"; \
	    sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$$/\\n"/' $$f; echo '},'; \
	  done; echo '};'; echo 'const size_t skel_count = sizeof(skel_files) / sizeof(skel_files[0]);'; } >$@.tmp
	mv $@.tmp $@
$(B)/rootfs-skel.o: $(B)/rootfs-skel.c
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

# runtime/accel.sh, the script `crossroot accel` runs inside a container, as a C string.
$(B)/accel-script.c: runtime/accel.sh Makefile
	@mkdir -p $(@D)
	{ echo 'extern const char accel_script[];'; echo 'const char accel_script[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$$/\\n"/' $<; echo ';'; } >$@.tmp
	mv $@.tmp $@
$(B)/accel-script.o: $(B)/accel-script.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# crossroot-init (runtime/reaper.c), pid 1 of a run on a stopped container:
# freestanding and static, a few hundred bytes, for x86-64 and arm64 hosts,
# as a byte array in crossroot (runtime.c execs it from a memfd).  Elsewhere
# the array is empty and the init is a fork of crossroot, as it was.
REAPER_ARCH := $(filter x86_64 aarch64,$(firstword $(subst -, ,$(shell $(CC) -dumpmachine))))
REAPER_CFLAGS := -Os -static -nostdlib -ffreestanding -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-pie -no-pie -Wl,--build-id=none -Wl,-z,noseparate-code -s -Wall -Wextra -Werror
$(B)/crossroot-init: runtime/reaper.c Makefile
	@mkdir -p $(@D)
	$(CC) $(REAPER_CFLAGS) -o $@ $<
$(B)/reaper-blob.c: $(if $(REAPER_ARCH),$(B)/crossroot-init) Makefile
	@mkdir -p $(@D)
	{ echo '#include <stddef.h>'; \
	  echo 'extern const unsigned char reaper_blob[];'; echo 'extern const size_t reaper_blob_size;'; \
	  echo 'const unsigned char reaper_blob[] = {'; \
	  if [ -n "$(REAPER_ARCH)" ]; then od -An -v -tu1 $< | sed 's/^ *//; s/  */, /g; s/$$/,/'; fi; \
	  echo '0 };'; \
	  echo 'const size_t reaper_blob_size = sizeof(reaper_blob) - $(if $(REAPER_ARCH),1,sizeof(reaper_blob));'; } >$@.tmp
	mv $@.tmp $@
$(B)/reaper-blob.o: $(B)/reaper-blob.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The seccomp filter, compiled by libseccomp at build time into the BPF table
# that `crossroot run` loads (runtime/syscall-filter.h); the generator runs
# here, so it is built for this machine, as crossroot is.  Its unit test
# compiles the same rules again and compares.
$(B)/syscall-filter-gen: $(B)/runtime/syscall-filter-gen.o $(B)/runtime/syscall-filter-rules.o
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(SECCOMP_LIBS)
$(B)/syscall-filter-table.c: $(B)/syscall-filter-gen
	$(B)/syscall-filter-gen >$@.tmp
	mv $@.tmp $@
$(B)/syscall-filter-table.o: $(B)/syscall-filter-table.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(B)/tests/unit/test-syscall-filter: $(B)/runtime/syscall-filter-rules.o
$(B)/tests/unit/test-syscall-filter: LDLIBS += $(SECCOMP_LIBS)

$(B)/tests/unit/test-%: $(B)/tests/unit/test-%.o $(HARNESS) $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/payload/payload-%: tests/payload/payload.c
	@mkdir -p $(@D)
	$(CROSS_$*)gcc -static -O2 -Wall -o $@ $<

payloads: $(PAYLOADS)

# Small rootfs tarballs for the runtime tests: Debian's busybox-static plus the payload.
# amd64 is the native case (no emulator, no binfmt entry), run on an old kernel
# too; i386 is native only where the kernel runs 32-bit x86 programs.
ROOTFS_ARCHES := arm64 armhf amd64 i386
ROOTFS    := $(ROOTFS_ARCHES:%=$(B)/rootfs/rootfs-%.tar) $(B)/rootfs/rootfs-arm64-sudo.tar
$(B)/rootfs/rootfs-%.tar: tests/e2e/make-rootfs.sh $(B)/payload/payload-%
	@mkdir -p $(@D)
	PAYLOAD_DIR=$(abspath $(B)/payload) tests/e2e/make-rootfs.sh $* $@.tmp
	mv $@.tmp $@
$(B)/rootfs/rootfs-arm64-sudo.tar: tests/e2e/make-rootfs.sh $(B)/payload/payload-arm64
	@mkdir -p $(@D)
	PAYLOAD_DIR=$(abspath $(B)/payload) tests/e2e/make-rootfs.sh arm64 $@.tmp sudo
	mv $@.tmp $@

export CROSSROOT := $(abspath $(B)/crossroot)
export PAYLOAD_DIR := $(abspath $(B)/payload)
export TESTS_DIR := $(abspath tests)
export ROOTFS_DIR := $(abspath $(B)/rootfs)

check: check-unit check-e2e

# The unit tests that execute a cross-built payload, and its arches; the others
# build and run without any cross toolchain (make check-unit UNIT=test-version).
UNIT_PAYLOADS_test-arch        := i386
UNIT_PAYLOADS_test-binfmt      := arm64
UNIT_PAYLOADS_test-emulator    := amd64 s390x riscv64
UNIT_PAYLOADS_test-rootfs-arch := arm64
UNIT      ?= $(UNIT_SRCS:tests/unit/%.c=%)
UNIT_RUN  := $(UNIT:%=$(B)/tests/unit/%)
check-unit: $(UNIT_RUN) $(sort $(foreach t,$(UNIT),$(UNIT_PAYLOADS_$(t):%=$(B)/payload/payload-%)))
	prove --exec '' $(UNIT_RUN)

E2E ?= tests/e2e/*.t
# The tests that change what every crossroot command on the host sees
# (binfmt entries, setup, /etc/crossroot/crossroot.conf) run first, one at a
# time.  Then the rest, still one at a time, while the two that bootstrap
# from a real archive (their time goes to one emulated dpkg or apt each)
# run beside them, so both cores work.  Every test has its own user.
E2E_GLOBAL := $(wildcard tests/e2e/0*.t tests/e2e/1*.t) tests/e2e/27-config.t
E2E_PAIRED := tests/e2e/20-create.t tests/e2e/32-suites.t tests/e2e/33-accel.t
check-e2e: $(B)/crossroot $(PAYLOADS) $(ROOTFS)
	@rc=0; \
	first="$(filter $(E2E_GLOBAL),$(wildcard $(E2E)))"; \
	rest="$(filter-out $(E2E_GLOBAL),$(wildcard $(E2E)))"; \
	seq="$(filter-out $(E2E_GLOBAL) $(E2E_PAIRED),$(wildcard $(E2E)))"; \
	paired="$(filter $(E2E_PAIRED),$(wildcard $(E2E)))"; \
	if [ -n "$$first" ]; then prove --timer $$first || rc=1; fi; \
	if [ -n "$$seq" ] && [ -n "$$paired" ]; then \
		prove --timer -j3 --rules="seq={$$(echo $$seq | tr ' ' ,)}" --rules='par=**' $$rest || rc=1; \
	elif [ -n "$$paired" ]; then prove --timer -j2 $$paired || rc=1; \
	elif [ -n "$$seq" ]; then prove --timer $$seq || rc=1; \
	fi; \
	exit $$rc

lint:
	clang-format --dry-run --Werror $(LINT_SRCS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		-D_GNU_SOURCE $(LINT_SRCS)

asan:
	$(MAKE) B=build-asan CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer' check-unit

install: $(B)/crossroot
	install -D -m 0755 $(B)/crossroot $(DESTDIR)$(BINDIR)/crossroot
	install -D -m 0644 doc/crossroot.1 $(DESTDIR)$(MANDIR)/man1/crossroot.1
	sed "s|/usr/local/bin/crossroot|$(BINDIR)/crossroot|" contrib/systemd/crossroot-setup.service | \
		install -D -m 0644 /dev/stdin $(DESTDIR)$(PREFIX)/lib/systemd/system/crossroot-setup.service
	# Where AppArmor is (Ubuntu restricts user namespaces to profiles that allow them).
	if [ -d $(DESTDIR)/etc/apparmor.d ]; then \
		sed "s|/usr/local/bin/crossroot|$(BINDIR)/crossroot|" contrib/apparmor/crossroot | \
			install -D -m 0644 /dev/stdin $(DESTDIR)/etc/apparmor.d/crossroot; \
	fi
	# Shell completion, where each shell looks for it.
	install -D -m 0644 contrib/completion/crossroot.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/crossroot
	install -D -m 0644 contrib/completion/_crossroot $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_crossroot
	install -D -m 0644 contrib/completion/crossroot.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/crossroot.fish
	# The bundled jobs: job.conf and data 0644, scripts 0755, as in the tree.
	for f in $$(cd contrib/jobs && find . -mindepth 2 -type f | sort); do \
		install -D -m $$(test -x contrib/jobs/$$f && echo 0755 || echo 0644) contrib/jobs/$$f $(DESTDIR)$(JOBSDIR)/$$f; \
	done

clean:
	rm -rf build build-asan

-include $(shell find $(B) -name '*.d' 2>/dev/null)
