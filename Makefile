# crfs: `make demo` (the walk-through) and `make test` (the suite) install what they lack and build first.
SHELL := /bin/bash
CROSS ?= riscv64-linux-gnu-gcc
CFLAGS_RV := -static -O2 -pthread -Wall
EXAMPLE_SRC := $(wildcard examples/*.c)
EXAMPLE_BIN := $(patsubst examples/%.c,build/examples/%,$(EXAMPLE_SRC))
TS_SRC := $(shell find lib spec bench -name '*.ts' 2>/dev/null)

.PHONY: all setup build examples test demo bench soak fuzz clean
all: build

# Always runs: the script only checks, and acts where something is missing.
setup:
	@bash scripts/setup.sh

build: setup dist/.built examples

dist/.built: $(TS_SRC) tsconfig.json package.json | setup
	npx tsc -p tsconfig.json
	@chmod +x dist/lib/crfs/cli/main.js 2>/dev/null || true
	@touch $@

examples: $(EXAMPLE_BIN)

build/examples/%: examples/%.c $(wildcard examples/*.h) | setup
	@mkdir -p build/examples
	$(CROSS) $(CFLAGS_RV) -o $@ $< -lm

test: build
	node scripts/run-tests.js

demo: build
	bash examples/demo.sh

bench: build
	node --expose-gc dist/bench/run.js

clean:
	rm -rf dist build

# Checkpoint-anywhere at 1000 random cuts per example (seed: CRFS_SEED, printed on failure).
soak: build
	CRFS_CUTS=$${CRFS_CUTS:-1000} node scripts/run-tests.js dist/spec/restart/*.test.js

# The image fuzzers for CRFS_FUZZ_MS per property (default 60000); ava's timeout follows the budget.
fuzz: build
	@export CRFS_FUZZ_MS=$${CRFS_FUZZ_MS:-60000}; \
	node scripts/run-tests.js --timeout=$$((CRFS_FUZZ_MS + 120000)) dist/spec/*/fuzz*.test.js
