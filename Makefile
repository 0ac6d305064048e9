# bulwark: one GNU Makefile for the engine library, the binary, the tests,
# the benchmarks and the sanitizer builds.
#
#   make            build/bulwark and build/libbulwark.a
#   make run        the proxy with its mock model and the demo guardrail
#   make test       every test (unit, CLI, integration, policy suites, SDK compatibility)
#   make test-compat the official OpenAI, Anthropic and Bedrock SDKs against bulwark (node, npm)
#   make asan       the same tests under ASan+UBSan (build/asan)
#   make bench      benchmarks, reported as ratios to references run alongside
#   make eval       detector quality on ../shared/data
#   V=1             show full commands

O       ?= build
PREFIX  ?= /usr/local
CC      ?= cc
SHARED  ?= ../shared

.DEFAULT_GOAL := all

ifeq ($(V),1)
Q :=
else
Q := @
endif

OPT      ?= -O2
WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wno-format-nonliteral -Werror
CFLAGS_B := -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) -fno-strict-aliasing -MMD -MP -I.
SANFLAGS :=
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_B += $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
endif

ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
-include $(O)/config.mk
endif

$(O)/config.mk: scripts/config.sh scripts/install-deps.sh
	@mkdir -p $(O)
	$(Q)scripts/config.sh > $@.tmp && mv $@.tmp $@

ALL_CFLAGS = $(CFLAGS_B) $(DEP_CFLAGS) $(CFLAGS)

ENGINE_SRC := $(sort $(wildcard filters/*.c pii/*.c policies/*.c))
PROXY_SRC  := $(sort $(wildcard proxy/*.c))
ENGINE_OBJ := $(ENGINE_SRC:%.c=$(O)/%.o) $(O)/gen/blobs.o
# data files built into the library (filters/blob.h)
BLOB_FILES := $(sort $(wildcard conf/wordlists/*.txt conf/wordlists/*/*.txt conf/lexicons/*.txt conf/lexicons/*/*.txt conf/models/*.bwm))
PROXY_OBJ  := $(PROXY_SRC:%.c=$(O)/%.o)
LLHTTP_OBJ := $(O)/llhttp/llhttp.o $(O)/llhttp/api.o $(O)/llhttp/http.o

UNIT_SRC   := $(sort $(wildcard tests/unit/*/test_*.c))
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(O)/fuzzers/%)
FUZZ_TIME  ?= 300
FUZZ_SMOKE ?= 10
UNIT_BIN   := $(UNIT_SRC:%.c=$(O)/%)

.PHONY: all test test-unit test-cli test-integration test-policy test-compat test-fuzz fuzz-build fuzzers asan ubsan run bench eval models fuzz install clean

all: $(O)/bulwark $(O)/libbulwark.a

$(O)/libbulwark.a: $(ENGINE_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/bulwark: $(PROXY_OBJ) $(LLHTTP_OBJ) $(O)/libbulwark.a
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(PROXY_OBJ) $(LLHTTP_OBJ) $(O)/libbulwark.a $(DEP_LIBS)

$(O)/%.o: %.c $(O)/config.mk
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -I$(LLHTTP_INC) -c -o $@ $<

$(O)/gen/blobs.S: scripts/embed.sh $(BLOB_FILES) Makefile
	@mkdir -p $(dir $@)
	$(Q)scripts/embed.sh $@ $(BLOB_FILES)

$(O)/gen/blobs.o: $(O)/gen/blobs.S
	@echo "  AS      $<"
	$(Q)$(CC) -c -o $@ $<

# llhttp ships as C sources in Debian's node-llhttp; build them as they are.
$(O)/llhttp/%.o: $(LLHTTP_DIR)/%.c $(O)/config.mk
	@mkdir -p $(dir $@)
	@echo "  CC      llhttp/$*.c"
	$(Q)$(CC) -std=c11 -g $(OPT) -I$(LLHTTP_INC) $(SANFLAGS) -w -c -o $@ $<

$(O)/tests/unit/%: tests/unit/%.c $(O)/libbulwark.a tests/unit/testutil.h tests/unit/failmalloc.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(CUNIT_CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libbulwark.a $(DEP_LIBS) $(CUNIT_LIBS)

test: all test-unit test-cli test-integration test-policy test-compat test-fuzz

test-unit: $(UNIT_BIN)
	$(Q)tests/run-unit.sh $(O) $(UNIT_BIN)

test-cli: all
	$(Q)tests/cli/run.sh $(O)/bulwark

test-integration: all
	$(Q)tests/integration/run.sh $(O)/bulwark

test-policy: all
	$(Q)tests/policy/run.sh $(O)/bulwark

# npm ci installs the SDKs pinned by tests/compat/package-lock.json (once per lockfile change)
test-compat: all
	$(Q)tests/compat/run.sh $(O)/bulwark

# libFuzzer targets: the engine built with coverage and ASan+UBSan in
# build/fuzz, each target linked with it. make fuzz runs each FUZZ_TIME
# seconds, make test runs each FUZZ_SMOKE seconds; crashes land in
# build/fuzz/ and become seeds under tests/fuzz/corpus/<target>/.
fuzz-build:
	$(Q)$(MAKE) --no-print-directory O=build/fuzz CC=clang SAN=1 OPT=-O1 CFLAGS=-fsanitize=fuzzer-no-link fuzzers

fuzzers: $(FUZZ_BIN)

# fuzz_h1 drives a real connection: it needs the proxy's objects too
PROXY_LIB_OBJ := $(filter-out $(O)/proxy/main.o $(O)/proxy/cli_%.o,$(PROXY_OBJ))
$(O)/fuzzers/fuzz_h1: tests/fuzz/fuzz_h1.c $(PROXY_LIB_OBJ) $(LLHTTP_OBJ) $(O)/libbulwark.a
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -DBW_FUZZ_PROXY -I$(LLHTTP_INC) -fsanitize=fuzzer -o $@ $< $(PROXY_LIB_OBJ) $(LLHTTP_OBJ) $(O)/libbulwark.a $(DEP_LIBS)

$(O)/fuzzers/%: tests/fuzz/%.c $(O)/libbulwark.a
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(O)/libbulwark.a $(DEP_LIBS)

define run_fuzzers
	$(Q)for f in $(FUZZ_SRC); do n=$$(basename $$f .c); mkdir -p build/fuzz/corpus/$$n; \
	    echo "  RUN     $$n ($(1) s)"; \
	    build/fuzz/fuzzers/$$n -max_total_time=$(1) -max_len=65536 -print_final_stats=0 \
	        -artifact_prefix=build/fuzz/$$n- build/fuzz/corpus/$$n tests/fuzz/corpus/$$n >build/fuzz/$$n.log 2>&1 \
	        || { tail -30 build/fuzz/$$n.log; exit 1; }; done
endef

test-fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_SMOKE))

fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_TIME))

# The same unit, CLI and integration tests, built with ASan+UBSan.
asan ubsan:
	$(Q)$(MAKE) --no-print-directory O=build/asan SAN=1 OPT=-O1 all test-unit test-cli test-integration test-policy test-compat

run: all
	$(Q)scripts/run-demo.sh $(O)/bulwark

# the streaming benchmark's origin and client (tests/bench/stream.sh)
$(O)/bench/stream_bench: tests/bench/stream_bench.c $(LLHTTP_OBJ) $(O)/config.mk
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -I$(LLHTTP_INC) $(LDFLAGS) -o $@ $< $(LLHTTP_OBJ) $(DEP_LIBS)

# the streaming output guard alone, fed one token per event (tests/bench/stream.sh)
$(O)/bench/stream_guard: tests/bench/stream_guard.c $(O)/libbulwark.a
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libbulwark.a $(DEP_LIBS)

# the classifier policies together on one 4 KB text (tests/bench/cls.sh)
$(O)/bench/cls_bench: tests/bench/cls_bench.c $(O)/libbulwark.a
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libbulwark.a $(DEP_LIBS)

# the engine beside raw Hyperscan (tests/bench/run.sh; README "Performance")
$(O)/bench/engine_bench: tests/bench/engine_bench.c $(O)/libbulwark.a
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(O)/libbulwark.a $(DEP_LIBS)

bench: all $(O)/bench/stream_bench $(O)/bench/stream_guard $(O)/bench/cls_bench $(O)/bench/engine_bench
	$(Q)tests/bench/run.sh $(O) $(SHARED)

eval: all
	$(Q)tests/bench/eval.sh $(O)/bulwark $(SHARED)

models: all
	$(Q)scripts/train-models.sh $(O)/bulwark $(SHARED)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/share/bulwark
	install -m 755 $(O)/bulwark $(DESTDIR)$(PREFIX)/bin/bulwark
	install -m 644 $(O)/libbulwark.a $(DESTDIR)$(PREFIX)/lib/libbulwark.a
	cp -R conf/. $(DESTDIR)$(PREFIX)/share/bulwark/

clean:
	rm -rf build

-include $(ENGINE_OBJ:.o=.d) $(PROXY_OBJ:.o=.d) $(UNIT_BIN:=.d) $(FUZZ_BIN:=.d) $(O)/bench/cls_bench.d $(O)/bench/engine_bench.d
