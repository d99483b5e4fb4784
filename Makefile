# Build for echod, tcpload and backlog-lab.
#
# The tree has one owner per folder:
#   include/ + lib/       the shared layer, the only code more than one program
#                         uses; lib/*.c becomes $(O)/lib/libcommon.a
#   src/                  echod; src/main.c is its entry point
#   tools/tcpload/        tcpload (tl_*.c, entry tl_main.c)
#   tools/backlog-lab/    backlog-lab (bl_*.c, entry bl_main.c)
#   tests/NAME/           the tests of lib/ (tests/lib) or of one program
#
# A program's modules (its folder less its entry point) form its own archive,
# $(O)/FOLDER/NAME.a; the program links its entry point, that archive and
# libcommon.a.  Program and lib sources are compiled with -Iinclude only: a
# file finds the headers beside it and the shared layer's, so a tool that
# includes one of echod's headers does not build.  Test files also see
# tests/ and the folder of the program they test.  Each test folder is one Criterion suite
# linked against exactly what it tests, so a module is tested as its program
# uses it.
#
# A fuzzer is tests/fuzz/SUITE/WHAT.c (SUITE is lib or a program's name),
# linked as that suite's tests are, with its seed inputs committed in
# tests/fuzz/SUITE/WHAT.corpus/; every such file is built and run, no list to
# keep.
#
#   make                 build bin/echod, bin/tcpload, bin/backlog-lab
#   make run             build all three, then run echod on 127.0.0.1:7007
#   make test            the Criterion suites plain and under ASan+UBSan,
#                        the benchmark harness's own tests (bench-test),
#                        then tsan, fuzz and soak
#   make check           the Criterion suites once, as built (O, BIN)
#   make fuzz            every libFuzzer harness for FUZZ_S seconds (default
#                        20), clang with ASan+UBSan, in build-fuzz/
#   make tsan            echod and tcpload under ThreadSanitizer (build-tsan/),
#                        driven by their integration tests; any report fails it
#   make soak            SOAK_S seconds (default 60) of churned, checked
#                        connections against echod -w 2
#   make bench           every benchmark scenario (bench/README.md)
#   make bench-quick     a short version of each scenario
#   make bench-test      the harness's unit tests (Python standard library, < 1 s)
#   make install PREFIX=/usr/local DESTDIR=   programs, man pages, systemd units
#   make uninstall PREFIX=/usr/local DESTDIR= removes what install put there
#   make clean
#
# Overridable: CC, CFLAGS, LDFLAGS, O (object folder), BIN (program folder),
# FUZZ_S, SOAK_S.

CC      ?= cc
O       ?= build
BIN     ?= bin
CFLAGS  ?= -O2 -g
PREFIX  ?= /usr/local
DESTDIR ?=
UNITDIR ?= $(PREFIX)/lib/systemd/system
FUZZ_S  ?= 20
SOAK_S  ?= 60

WARN         := -std=gnu11 -Wall -Wextra -Werror
ALL_CPPFLAGS  = -Iinclude $(PRIV_INC) -D_GNU_SOURCE -MMD -MP $(CPPFLAGS)
ALL_CFLAGS   := $(WARN) $(CFLAGS) -pthread
ALL_LDFLAGS  := -pthread $(LDFLAGS)

COMMON      := $(O)/lib/libcommon.a
COMMON_OBJ  := $(patsubst %.c,$(O)/%.o,$(wildcard lib/*.c))
SUPPORT_OBJ := $(O)/tests/support.o
FUZZ_SUPPORT := $(O)/tests/fuzz/argv.o $(O)/tests/fuzz/resolve.o
HELPERS     := $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,$(wildcard tests/helpers/*.c))
PROGS       :=
SUITES      :=
FUZZERS     :=
ALL_OBJ     := $(COMMON_OBJ) $(SUPPORT_OBJ) $(FUZZ_SUPPORT) $(HELPERS:=.o)

.DEFAULT_GOAL := all

# A libFuzzer harness: its object, the argv helper, the stand-in resolver
# (no fuzzer input reaches DNS) and what it fuzzes.
define fuzz_link
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ -lm
endef

# $(call program,NAME,FOLDER,ENTRY): NAME's archive of FOLDER's modules,
# bin/NAME, the suite of tests/NAME and the fuzzers of tests/fuzz/NAME
# (whose files see FOLDER's headers).
define program
$(1)_MODS := $$(patsubst %.c,$$(O)/%.o,$$(filter-out $(3),$$(wildcard $(2)/*.c)))
$(1)_TESTS := $$(patsubst %.c,$$(O)/%.o,$$(wildcard tests/$(1)/*.c))
$(1)_FUZZ := $$(patsubst %.c,$$(O)/%,$$(wildcard tests/fuzz/$(1)/*.c))
$$(O)/$(2)/$(1).a: $$($(1)_MODS)
$$(BIN)/$(1): $$(O)/$(3:.c=.o) $$(O)/$(2)/$(1).a $$(COMMON)
$$(O)/tests/$(1)/suite: $$($(1)_TESTS) $$(SUPPORT_OBJ) $$(O)/$(2)/$(1).a $$(COMMON)
$$($(1)_FUZZ): %: %.o $$(FUZZ_SUPPORT) $$(O)/$(2)/$(1).a $$(COMMON)
	$$(fuzz_link)
$$(O)/tests/$(1)/%.o $$(O)/tests/fuzz/$(1)/%.o: PRIV_INC := -I$(2) -Itests
PROGS  += $$(BIN)/$(1)
SUITES += $$(O)/tests/$(1)/suite
FUZZERS += $$($(1)_FUZZ)
ALL_OBJ += $$($(1)_MODS) $$($(1)_TESTS) $$($(1)_FUZZ:=.o) $$(O)/$(3:.c=.o)
endef

$(eval $(call program,echod,src,src/main.c))
$(eval $(call program,tcpload,tools/tcpload,tools/tcpload/tl_main.c))
$(eval $(call program,backlog-lab,tools/backlog-lab,tools/backlog-lab/bl_main.c))

LIB_TESTS := $(patsubst %.c,$(O)/%.o,$(wildcard tests/lib/*.c))
LIB_FUZZ  := $(patsubst %.c,$(O)/%,$(wildcard tests/fuzz/lib/*.c))
ALL_OBJ   += $(LIB_TESTS) $(LIB_FUZZ:=.o)
SUITES    += $(O)/tests/lib/suite
FUZZERS   += $(LIB_FUZZ)
$(O)/tests/lib/suite: $(LIB_TESTS) $(SUPPORT_OBJ) $(COMMON)
$(LIB_FUZZ): %: %.o $(FUZZ_SUPPORT) $(COMMON)
	$(fuzz_link)
$(O)/tests/lib/%.o $(O)/tests/fuzz/lib/%.o $(SUPPORT_OBJ) $(FUZZ_SUPPORT): PRIV_INC := -Itests

ifndef V
Q = @
quiet = @printf '  %-6s %s\n' $(1) $(2);
endif

.PHONY: all run test check deps clean install uninstall bench bench-quick bench-test \
        fuzz fuzz-run fuzz-deps tsan tsan-progs soak
.SECONDARY:
all: $(PROGS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(COMMON): $(COMMON_OBJ)
$(O)/%.a:
	$(call quiet,AR,$@)rm -f $@ && ar rcs $@ $^

$(BIN)/%:
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

$(O)/tests/%/suite:
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcriterion -lm

$(O)/tests/helpers/%: $(O)/tests/helpers/%.o $(COMMON)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^

run: all
	$(BIN)/echod --listen 127.0.0.1:7007

# The whole suite twice: as built for users, then under AddressSanitizer and
# UndefinedBehaviorSanitizer (every test, integration tests included, drive
# the sanitized programs).
# Then echod and tcpload under ThreadSanitizer, every fuzzer for FUZZ_S
# seconds and the soak for SOAK_S seconds.
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
test: deps bench-test
	$(Q)$(MAKE) --no-print-directory check
	$(Q)$(MAKE) --no-print-directory check O=build-asan BIN=build-asan/bin \
	    CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined"
	$(Q)$(MAKE) --no-print-directory tsan
	$(Q)$(MAKE) --no-print-directory fuzz
	$(Q)$(MAKE) --no-print-directory soak

check: $(PROGS) $(SUITES) $(HELPERS)
	$(Q)for s in $(SUITES); do \
	    echo "== $$s =="; \
	    TOOLKIT_BIN=$(BIN) TOOLKIT_HELPERS=$(O)/tests/helpers \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $$s --jobs 2 --short-filename || exit 1; \
	done

# Criterion comes from Debian; install it when it is missing.
deps:
	$(Q)if [ ! -f /usr/include/criterion/criterion.h ]; then \
	    echo "installing libcriterion-dev"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || $$SUDO apt-get update -q; \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q libcriterion-dev; \
	fi

# clang and its runtimes (libFuzzer, TSan) come from Debian; installed when
# a fuzzer cannot be linked.
fuzz-deps:
	$(Q)if ! { echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' | \
	          clang -x c -fsanitize=fuzzer -o /dev/null - && \
	        echo 'int main(void) { return 0; }' | \
	          clang -x c -fsanitize=thread -o /dev/null -; } >/dev/null 2>&1; then \
	    echo "installing clang libclang-rt-14-dev"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || $$SUDO apt-get update -q; \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	        -o DPkg::Lock::Timeout=300 clang libclang-rt-14-dev; \
	fi

# Every fuzzer, built in build-fuzz/ with clang, ASan and UBSan, runs for
# FUZZ_S seconds, two at a time (tests/fuzz/run); a crash fails the target
# and names its reproducer.
FUZZ_MAKE = $(MAKE) --no-print-directory O=build-fuzz BIN=build-fuzz/bin CC=clang \
	CFLAGS="$(SAN_FLAGS) -fsanitize=fuzzer-no-link" LDFLAGS="-fsanitize=address,undefined"
fuzz: fuzz-deps
	$(Q)$(FUZZ_MAKE) fuzz-run
fuzz-run: $(FUZZERS)
	$(Q)tests/fuzz/run $(FUZZ_S) $(O) $(FUZZERS)

# echod and tcpload built with ThreadSanitizer in build-tsan/, driven by
# echod's integration tests and tcpload's suite (as built in $(O); only the
# programs they start need TSan); a report from any of them fails the
# target (tests/run-tsan).
tsan: fuzz-deps deps $(O)/tests/echod/suite $(O)/tests/tcpload/suite $(HELPERS)
	$(Q)$(MAKE) --no-print-directory O=build-tsan BIN=build-tsan/bin CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=thread" LDFLAGS="-fsanitize=thread" \
	    tsan-progs
	$(Q)tests/run-tsan build-tsan $(O)/tests/helpers \
	    $(O)/tests/echod/suite 'echod/*' $(O)/tests/tcpload/suite '*/*'

tsan-progs: $(BIN)/echod $(BIN)/tcpload

# SOAK_S seconds of connection churn against echod -w 2, every byte checked
# (tests/helpers/soak.c); fails on loss, corruption, a leaked descriptor or
# growing memory.
soak: $(BIN)/echod $(O)/tests/helpers/soak
	$(Q)$(O)/tests/helpers/soak --echod $(BIN)/echod --seconds $(SOAK_S)

bench: all
	bench/run --full

bench-quick: all
	bench/run --quick

bench-test:
	$(Q)cd bench && python3 -B -m unittest discover -s tests -t . -q

# The units name /usr/local/bin/echod; install points them at $(PREFIX).
UNITS := $(wildcard dist/systemd/*.socket dist/systemd/*.service)
MANS  := $(wildcard docs/*.1)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(UNITDIR)
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(MANS) $(DESTDIR)$(PREFIX)/share/man/man1
	$(Q)for u in $(UNITS); do \
	    sed 's|/usr/local/bin/|$(PREFIX)/bin/|' $$u > $(DESTDIR)$(UNITDIR)/$${u##*/} && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(PROGS))) \
	    $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(MANS))) \
	    $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))

clean:
	rm -rf build build-asan build-fuzz build-tsan bin

-include $(ALL_OBJ:.o=.d)
