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
#   make                 build bin/echod, bin/tcpload, bin/backlog-lab
#   make run             build all three, then run echod on 127.0.0.1:7007
#   make test            the Criterion suites, plain and under ASan+UBSan, and
#                        the benchmark harness's own tests (bench-test)
#   make bench           every benchmark scenario (bench/README.md)
#   make bench-quick     a short version of each scenario
#   make bench-test      the harness's unit tests (Python standard library, < 1 s)
#   make install PREFIX=/usr/local DESTDIR=   programs, man pages, systemd units
#   make uninstall PREFIX=/usr/local DESTDIR= removes what install put there
#   make clean
#
# Overridable: CC, CFLAGS, LDFLAGS, O (object folder), BIN (program folder).

CC      ?= cc
O       ?= build
BIN     ?= bin
CFLAGS  ?= -O2 -g
PREFIX  ?= /usr/local
DESTDIR ?=
UNITDIR ?= $(PREFIX)/lib/systemd/system

WARN         := -std=gnu11 -Wall -Wextra -Werror
ALL_CPPFLAGS  = -Iinclude $(PRIV_INC) -D_GNU_SOURCE -MMD -MP $(CPPFLAGS)
ALL_CFLAGS   := $(WARN) $(CFLAGS) -pthread
ALL_LDFLAGS  := -pthread $(LDFLAGS)

COMMON      := $(O)/lib/libcommon.a
COMMON_OBJ  := $(patsubst %.c,$(O)/%.o,$(wildcard lib/*.c))
SUPPORT_OBJ := $(O)/tests/support.o
HELPERS     := $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,$(wildcard tests/helpers/*.c))
PROGS       :=
SUITES      :=
ALL_OBJ     := $(COMMON_OBJ) $(SUPPORT_OBJ) $(HELPERS:=.o)

.DEFAULT_GOAL := all

# $(call program,NAME,FOLDER,ENTRY): NAME's archive of FOLDER's modules,
# bin/NAME, and the suite of tests/NAME (whose files see FOLDER's headers).
define program
$(1)_MODS := $$(patsubst %.c,$$(O)/%.o,$$(filter-out $(3),$$(wildcard $(2)/*.c)))
$(1)_TESTS := $$(patsubst %.c,$$(O)/%.o,$$(wildcard tests/$(1)/*.c))
$$(O)/$(2)/$(1).a: $$($(1)_MODS)
$$(BIN)/$(1): $$(O)/$(3:.c=.o) $$(O)/$(2)/$(1).a $$(COMMON)
$$(O)/tests/$(1)/suite: $$($(1)_TESTS) $$(SUPPORT_OBJ) $$(O)/$(2)/$(1).a $$(COMMON)
$$(O)/tests/$(1)/%.o: PRIV_INC := -I$(2) -Itests
PROGS  += $$(BIN)/$(1)
SUITES += $$(O)/tests/$(1)/suite
ALL_OBJ += $$($(1)_MODS) $$($(1)_TESTS) $$(O)/$(3:.c=.o)
endef

$(eval $(call program,echod,src,src/main.c))
$(eval $(call program,tcpload,tools/tcpload,tools/tcpload/tl_main.c))
$(eval $(call program,backlog-lab,tools/backlog-lab,tools/backlog-lab/bl_main.c))

LIB_TESTS := $(patsubst %.c,$(O)/%.o,$(wildcard tests/lib/*.c))
ALL_OBJ   += $(LIB_TESTS)
SUITES    += $(O)/tests/lib/suite
$(O)/tests/lib/suite: $(LIB_TESTS) $(SUPPORT_OBJ) $(COMMON)
$(O)/tests/lib/%.o $(SUPPORT_OBJ): PRIV_INC := -Itests

ifndef V
Q = @
quiet = @printf '  %-6s %s\n' $(1) $(2);
endif

.PHONY: all run test check deps clean install uninstall bench bench-quick bench-test
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
test: deps bench-test
	$(Q)$(MAKE) --no-print-directory check
	$(Q)$(MAKE) --no-print-directory check O=build-asan BIN=build-asan/bin \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined"

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
	rm -rf build build-asan bin

-include $(ALL_OBJ:.o=.d)
