# The two commands a user needs: `make demo` and `make test`. Both run
# scripts/bootstrap first, so a fresh Debian machine needs nothing else.
# `make test-sanitize` and `make fuzz` are for developers (docs/testing.md).
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_SECONDS ?= 120
JOBS ?= $(shell nproc)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")

.PHONY: all bootstrap configure build test test-stress test-sanitize fuzz demo profile-demo clean

all: build

bootstrap:
	@scripts/bootstrap

configure: bootstrap
	@if [ ! -f $(BUILD)/CMakeCache.txt ]; then cmake -S . -B $(BUILD) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=RelWithDebInfo; fi

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# The suite ROUNDS times (default 10), with a CPU burner beside it when
# LOAD=1: pass/fail counts per test, to find flaky tests.
ROUNDS ?= 10
test-stress: build
	@scripts/stress-test --build $(BUILD) -n $(ROUNDS) -j $(JOBS) $(if $(filter 1,$(LOAD)),--load)

# The harness (no LibTorch) with ASan and UBSan in its own tree; unit and e2e tests.
test-sanitize: bootstrap
	@if [ ! -f $(ASAN_BUILD)/CMakeCache.txt ]; then cmake -S . -B $(ASAN_BUILD) -G "$(GENERATOR)" \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOLDBENCH_WITH_TORCH=OFF -DCOLDBENCH_SANITIZE=address,undefined; fi
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# libFuzzer targets (clang) in build-fuzz, FUZZ_SECONDS each; not part of `make test`.
fuzz:
	@scripts/bootstrap fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) scripts/fuzz

demo: build
	@scripts/demo $(BUILD)

# The profiler scenarios of `coldbench-torch profile`, one comparison table.
profile-demo: build
	@scripts/profile-demo $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
