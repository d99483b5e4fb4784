# Build for echod, tcpload and backlog-lab.
#
# Every module under src/ and tools/*/ is compiled into one static library,
# $(O)/libtoolkit.a; each program is its entry point (src/main.c for echod,
# tools/NAME/main.c for the tools) linked against that library.  The test
# suite links every tests/test_*.c against the same library, so a module is
# tested exactly as the programs use it.
#
#   make                 build bin/echod, bin/tcpload, bin/backlog-lab
#   make run             build, then run echod in echo mode on 127.0.0.1:7007
#   make test            the Criterion suite, plain and under ASan+UBSan
#   make bench           every benchmark scenario (bench/README.md)
#   make bench-quick     a short version of each scenario
#   make install PREFIX=/usr/local DESTDIR=
#   make clean
#
# Overridable: CC, CFLAGS, LDFLAGS, O (object folder), BIN (program folder).

CC      ?= cc
O       ?= build
BIN     ?= bin
CFLAGS  ?= -O2 -g
PREFIX  ?= /usr/local
DESTDIR ?=

WARN      := -std=gnu11 -Wall -Wextra -Werror
ALL_CPPFLAGS := -Iinclude -D_GNU_SOURCE -MMD -MP $(CPPFLAGS)
ALL_CFLAGS   := $(WARN) $(CFLAGS) -pthread
ALL_LDFLAGS  := -pthread $(LDFLAGS)

ENTRIES  := src/main.c $(wildcard tools/*/main.c)
LIB_SRC  := $(filter-out $(ENTRIES),$(wildcard src/*.c tools/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(O)/%.o)
LIB      := $(O)/libtoolkit.a

PROGS    := $(if $(wildcard src/main.c),$(BIN)/echod) \
            $(patsubst tools/%/main.c,$(BIN)/%,$(wildcard tools/*/main.c))

TEST_SRC := $(wildcard tests/test_*.c) tests/support.c
TEST_OBJ := $(TEST_SRC:%.c=$(O)/%.o)
SUITE    := $(O)/tests/suite
HELPERS  := $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,$(wildcard tests/helpers/*.c))

ifndef V
Q = @
quiet = @printf '  %-6s %s\n' $(1) $(2);
endif

.PHONY: all run test check deps clean install bench bench-quick
.SECONDARY:
all: $(PROGS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# P: members keep their paths, so src/x.c and tools/y/x.c cannot replace
# each other inside the archive.
$(LIB): $(LIB_OBJ)
	$(call quiet,AR,$@)rm -f $@ && ar rcsP $@ $^

$(BIN)/echod: $(O)/src/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^

$(BIN)/%: $(O)/tools/%/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

$(O)/tests/helpers/%: $(O)/tests/helpers/%.o $(LIB)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^

$(SUITE): $(TEST_OBJ) $(LIB)
	$(call quiet,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcriterion -lm

run: $(BIN)/echod
	$(BIN)/echod --listen 127.0.0.1:7007

# The whole suite twice: as built for users, then under AddressSanitizer and
# UndefinedBehaviorSanitizer (every test, integration tests included, drive
# the sanitized programs).
test: deps
	$(Q)$(MAKE) --no-print-directory check
	$(Q)$(MAKE) --no-print-directory check O=build-asan BIN=build-asan/bin \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined"

check: $(PROGS) $(SUITE) $(HELPERS)
	@echo "== tests ($(O)) =="
	$(Q)TOOLKIT_BIN=$(BIN) TOOLKIT_HELPERS=$(O)/tests/helpers \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(SUITE) --jobs 2 --short-filename

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

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(wildcard docs/*.1) $(DESTDIR)$(PREFIX)/share/man/man1

clean:
	rm -rf build build-asan bin

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(O)/src/main.d $(wildcard $(O)/tools/*/main.d)
