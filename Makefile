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
	node dist/bench/run.js

clean:
	rm -rf dist build
