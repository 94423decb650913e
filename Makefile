# A thin wrapper over CMake: the two commands the README gives a newcomer.
#   make demo   installs what is missing, builds, runs the lecture's moons notebook
#   make test   installs what is missing, builds, runs every test suite
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	./$(BUILD)/examples/moons

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: build
	@scripts/install-deps.sh python3-torch
	./bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
