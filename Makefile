# Thin wrapper over CMake: the README's commands.
#   make demo            install what is missing, build, run the demo pipeline
#   make test            install what is missing, build, run every test (+ ASan/UBSan unit tests)
#   make bench [NAME=x]  build and run all benchmarks, or one
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build build-asan test test-fast demo bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEDDY_SANITIZE=ON -DEDDY_BENCHMARKS=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# The whole suite, then the unit tests again under AddressSanitizer + UBSan.
test: build build-asan
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 EDDY_TEST_TIMEOUT_SCALE=4 \
	  ctest --output-on-failure -j $(JOBS) -L unit

# Only the normal build's tests (quicker while developing).
test-fast: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

bench: build
	@scripts/bench.sh $(BUILD) $(NAME)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
