# A thin wrapper over CMake: the two commands the README gives a newcomer.
#   make demo   installs what is missing, builds, runs the lecture's moons notebook
#   make test   installs what is missing, builds, runs every test suite
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test bench clean

all: build

deps:
	@scripts/install-deps.sh

# The build prints three lines; its full output goes to $(BUILD)/build.log,
# shown (its last 40 lines) only when the build fails.
build: deps
	@echo "tensorgrad: configuring $(BUILD)/ (Release)"
	@mkdir -p $(BUILD)
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >$(BUILD)/configure.log 2>&1 || \
	  { tail -n 40 $(BUILD)/configure.log; exit 1; }
	@echo "tensorgrad: building with $(JOBS) jobs (log: $(BUILD)/build.log)"
	@cmake --build $(BUILD) -j$(JOBS) >$(BUILD)/build.log 2>&1 || \
	  { tail -n 40 $(BUILD)/build.log; exit 1; }
	@echo "tensorgrad: built ($$(grep -c 'Built target' $(BUILD)/build.log) targets up to date)"

demo: build
	@./$(BUILD)/examples/moons

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: build
	@scripts/install-deps.sh python3-torch
	./bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
