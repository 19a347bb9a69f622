# The two commands of the README, plus a few conveniences.
#   make run    install dependencies, build, run the default test
#   make test   install dependencies, build, run the whole CTest suite
PRESET ?= release
JOBS   ?= $(shell nproc)
BIN     = build/$(PRESET)

.PHONY: run test unit deps build clean

deps:
	bash ci/install-deps.sh

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build --preset $(PRESET) -j $(JOBS)

run: build
	$(BIN)/harness/faultline --help
	$(BIN)/harness/faultline doctor

test: build
	ctest --test-dir $(BIN) --output-on-failure -j $(JOBS)

unit: build
	ctest --test-dir $(BIN) --output-on-failure -j $(JOBS) -L unit

clean:
	rm -rf build
