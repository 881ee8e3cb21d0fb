# CodeWorm — thin wrapper around CMake. `make run` and `make test` are all a new machine needs.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CONFIG ?= deploy/demo
# CW_PORT_SLOT=N (0-8): another block of test ports, for a second checkout testing at once
CMAKE_EXTRA := $(if $(CW_PORT_SLOT),-DCW_PORT_SLOT=$(CW_PORT_SLOT))

.PHONY: all build deps test run bench asan valgrind clean format help

all: build

help:
	@echo "make          build everything into $(BUILD)/ (binaries in $(BUILD)/bin/)"
	@echo "make deps     install the Debian packages and fetch the tree-sitter grammars"
	@echo "make test     build and run the whole test suite (ctest)"
	@echo "make run      install what is missing, build, and start the stack on the demo config"
	@echo "make asan     build with ASan+UBSan into build-asan/ and run the tests there"
	@echo "make valgrind run every unit test under valgrind (memcheck)"
	@echo "make bench    run the benchmarks under tests/bench/"

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_EXTRA)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

deps:
	bash deploy/install-deps.sh

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan:
	cmake -S . -B build-asan -DCW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_EXTRA)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

valgrind: build
	bash tests/valgrind.sh $(BUILD)

run:
	@bash deploy/install-deps.sh --if-missing
	@$(MAKE) --no-print-directory build
	@bash deploy/demo/run-demo.sh $(BUILD)

bench: build
	@for b in tests/bench/*.sh; do [ -f "$$b" ] && bash "$$b" $(BUILD); done; true

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan
