# Everyday entry points: make run (try Parley locally), make test (what CI runs), make bench.

PORT       ?= 8080
BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
PARLEYD    := $(BUILD_DIR)/core/parleyd

# Recipes use bash with pipefail so a failing step fails the target.
SHELL       := /bin/bash
.SHELLFLAGS := -euo pipefail -c

.PHONY: all deps build run test bench clean

all: build

# Installs missing Debian packages (no-op when all are present).
deps:
	.ci/install-deps

# Configures once; afterwards Ninja re-runs CMake by itself when a CMakeLists.txt changes.
$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR)

# Migrates, seeds the demo tenant (prints the admin password on first run only) and serves on $(PORT).
run: build
	mkdir -p data
	PARLEY_HTTP_PORT=$(PORT) $(PARLEYD) migrate
	PARLEY_HTTP_PORT=$(PORT) $(PARLEYD) seed-demo
	@echo
	@echo "  Control panel: http://localhost:$(PORT)/admin/   (admin@demo.local)"
	@echo "  Agent inbox:   http://localhost:$(PORT)/inbox/   (the same account)"
	@echo "  Demo page:     http://localhost:$(PORT)/demo/"
	@echo
	PARLEY_HTTP_PORT=$(PORT) exec $(PARLEYD) serve

# Unit and integration tests on SQLite and a throwaway PostgreSQL; ends with ctest's summary.
test:
	.ci/install-deps --test
	$(MAKE) --no-print-directory build
	tests/run-all

bench:
	.ci/install-deps --test
	$(MAKE) --no-print-directory build
	@if [ -x bench/run-all ]; then bench/run-all; else echo "no bench/run-all: nothing to run"; fi

clean:
	rm -rf $(BUILD_DIR)
