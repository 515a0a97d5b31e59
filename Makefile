# The two commands a user needs: `make demo` and `make test`. Both run
# scripts/bootstrap first, so a fresh Debian machine needs nothing else.
BUILD ?= build
JOBS ?= $(shell nproc)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")

.PHONY: all bootstrap configure build test test-stress demo profile-demo clean

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

demo: build
	@scripts/demo $(BUILD)

# The profiler scenarios of `coldbench-torch profile`, one comparison table.
profile-demo: build
	@scripts/profile-demo $(BUILD)

clean:
	rm -rf $(BUILD)
