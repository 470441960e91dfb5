# crfs: Linux containers controlled through files.
#
#   make            build everything into $(BUILD)/ (binaries in $(BUILD)/bin)
#   make install    crfs-fuse, crctl, crfs-image into $(DESTDIR)$(PREFIX)/bin,
#                   the documentation into $(DESTDIR)$(PREFIX)/share/doc/crfs;
#                   PREFIX=/usr/local by default; make uninstall removes them
#   make deps       install the missing Debian packages of every target
#   make test       deps + build + every test suite; last line "N passed, N failed"
#   make demo       checkpoint and restore a counting process, end to end
#   make bench      checkpoint/restore speed against this machine's limits and CRIU
#   make fuzz       fuzz the image reader FUZZ_TIME seconds, grow its corpus
#   make kernel     the test kernel (linux-source-6.12 + fs/crfs, fs/nsfs, ...)
#   make vm-test    boot it under qemu and run the suites
#   make asan       the engine, crfs-fuse, the tools and the unit tests with
#                   AddressSanitizer and UBSan, in $(BUILD)/asan (make test
#                   runs the unit and bats suites against them too)
#
# test, demo, bench, kernel and vm-test first install, with apt-get as root,
# the Debian packages they need and no others (scripts/deps.sh GROUP...).
# BUILD=dir puts all output in another directory; SANITIZE=1 builds that
# directory with the sanitizers (what `make asan` does for $(BUILD)/asan).

BUILD		?= build
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
DOCDIR		?= $(PREFIX)/share/doc/crfs
INSTALL		?= install
CC		?= cc
PKG_CONFIG	?= pkg-config

CFLAGS		?= -O2 -g
CFLAGS		+= -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -pthread \
		   -Iinclude/uapi -Iuserspace/include -Iuserspace/lib \
		   -Iuserspace/lib/arch/x86_64 -MMD -MP
# AddressSanitizer (LeakSanitizer with it) and UBSan; any report is fatal.
# gcc's, as the plain build: the code tested is what the same compiler
# makes, and the build group's gcc brings the runtimes (libgcc-12-dev).
# Linked statically: as two shared libraries each has its own copy of the
# common runtime, libubsan's call that sets its report path binds to
# libasan's, and UBSan reports ignore log_path; linked in, the two share
# one.
SAN_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer -static-libasan -static-libubsan
# A directory built so stays so (make BUILD=build/asan install, as
# tests/bats/fuse/200-install.bats does): san-bins leaves a mark in it.
SANITIZE	?= $(if $(wildcard $(BUILD)/.sanitize),1)
ifeq ($(SANITIZE),1)
CFLAGS		+= $(SAN_FLAGS)
endif
ASAN_BUILD	?= $(BUILD)/asan

LDLIBS_FUSE	= $(shell $(PKG_CONFIG) --libs fuse3 mount 2>/dev/null)
CFLAGS_FUSE	= $(shell $(PKG_CONFIG) --cflags fuse3 mount 2>/dev/null)

LIB_SRC		:= $(wildcard userspace/lib/*.c userspace/lib/arch/x86_64/*.c)
LIB_OBJ		:= $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB		:= $(BUILD)/lib/libcr.a

FUSE_SRC	:= $(wildcard proto-fuse/*.c)
FUSE_OBJ	:= $(FUSE_SRC:%.c=$(BUILD)/obj/%.o)

TOOLS		:= $(patsubst userspace/tools/%.c,$(BUILD)/bin/%,$(wildcard userspace/tools/*.c))
UNIT		:= $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/*.c))
ZDTM		:= $(patsubst tests/zdtm/%.c,$(BUILD)/tests/zdtm/%,$(wildcard tests/zdtm/*.c))
# tests/bench/X.c -> $(BUILD)/tests/bench/X; tests/bench/X/*.c -> one program too.
BENCH_DIRS	:= $(sort $(patsubst tests/bench/%/,%,$(dir $(wildcard tests/bench/*/*.c))))
BENCH		:= $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(wildcard tests/bench/*.c)) \
		   $(BENCH_DIRS:%=$(BUILD)/tests/bench/%)

BINS		:= $(TOOLS) $(if $(FUSE_SRC),$(BUILD)/bin/crfs-fuse)

.PHONY: all deps test demo bench clean install uninstall asan san-bins
# Keep objects made by chained rules (tools, tests) for incremental builds.
.SECONDARY:
all: $(BINS) $(UNIT) $(ZDTM) $(BENCH)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CFLAGS_FUSE) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/bin/crfs-fuse: $(FUSE_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_FUSE)

$(BUILD)/bin/%: $(BUILD)/obj/userspace/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^

# zdtm programs are what gets checkpointed: keep them plain and static-free.
$(BUILD)/tests/zdtm/%: tests/zdtm/%.c tests/zdtm/zdtm.h
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -Wall -Wextra -D_GNU_SOURCE -o $@ $< -lm

$(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^

# The FUSE read floor: a libfuse daemon of its own, without libcr.
$(BUILD)/tests/bench/fuse-floor: $(BUILD)/obj/tests/bench/fuse-floor.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_FUSE)

# crfs-fuse -V: the version git describes, else main.c's constant.
CRFS_VERSION	?= $(shell git describe --always --dirty 2>/dev/null)
$(BUILD)/obj/proto-fuse/main.o: CFLAGS += $(if $(CRFS_VERSION),-DCRFS_VERSION='"$(CRFS_VERSION)"')

# tests/tools/X.c -> $(BUILD)/tests/tools/X: programs the tests drive.
TEST_TOOLS	:= $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
all: $(TEST_TOOLS)

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^

# A FUSE server of a user's, that stalls (tests/bats/fuse/045-stall.bats).
$(BUILD)/tests/tools/stallfs: $(BUILD)/obj/tests/tools/stallfs.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_FUSE)

# A program of several files: its objects, as explicit prerequisites.
define bench_dir_rule
$(BUILD)/tests/bench/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/bench/$(1)/*.c)) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -o $$@ $$^
endef
$(foreach d,$(BENCH_DIRS),$(eval $(call bench_dir_rule,$(d))))

# The sanitizer build: what runs as root and reads untrusted input (libcr,
# crfs-fuse, crctl, crfs-image) and the unit tests.  Not the zdtm programs
# (what gets checkpointed stays plain), not the benchmarks.
asan:
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) SANITIZE=1 san-bins

san-bins: $(BINS) $(UNIT)
	@touch $(BUILD)/.sanitize

# The Debian packages each target needs (groups of scripts/deps.sh).
DEPS_demo	:= build fuse
DEPS_bench	:= build fuse bench kernel vm
DEPS_test	:= build fuse test kernel vm
DEPS_ALL	:= build fuse test kernel vm bench

deps:
	@scripts/deps.sh $(DEPS_ALL)

test:
	@scripts/deps.sh $(DEPS_test)
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory asan
	@BUILD=$(BUILD) ASAN_BUILD=$(ASAN_BUILD) scripts/run-tests.sh

demo:
	@scripts/deps.sh $(DEPS_demo)
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

bench:
	@scripts/deps.sh $(DEPS_bench)
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/bench.sh

# The programs and the documentation; DESTDIR for staging, PREFIX for where.
DOCS		:= README.md $(wildcard Documentation/*/*.rst)

install: $(BINS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 0755 $(BINS) $(DESTDIR)$(BINDIR)
	@for f in $(DOCS); do \
		echo "$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$$f"; \
		$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$$f || exit; \
	done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BINS)))
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf $(BUILD)

# --- fuzz: a libFuzzer harness of the image reader (tests/fuzz/README) ---
#   make fuzz       run it FUZZ_TIME seconds (0: until interrupted) and
#                   merge what it finds new into tests/fuzz/corpus
#   make fuzz-bin   only build it; `make test` runs it 60 s (run-tests.sh)
FUZZ_CC		?= clang
FUZZ_TIME	?= 3600
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS	:= -O1 -g -fno-omit-frame-pointer -Wall -Wextra -std=gnu11 \
		   -D_GNU_SOURCE -pthread -Iinclude/uapi -Iuserspace/include \
		   -Iuserspace/lib -Iuserspace/lib/arch/x86_64 -MMD -MP
FUZZ_OBJ	:= $(LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_BIN	:= $(BUILD)/fuzz/fuzz-image

.PHONY: fuzz fuzz-bin
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BIN): $(BUILD)/fuzz/obj/tests/fuzz/fuzz-image.o $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^

fuzz-bin: $(FUZZ_BIN)

fuzz:
	@scripts/deps.sh build test
	@$(MAKE) --no-print-directory fuzz-bin
	@BUILD=$(BUILD) tests/fuzz/run-fuzz.sh --grow -t $(FUZZ_TIME)

-include $(shell find $(BUILD)/fuzz -name '*.d' 2>/dev/null)
# --- end fuzz ---

include mk/kernel.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
