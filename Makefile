# Conveniences over the README's two scripts (./run.sh, ./test.sh), for
# machines that have make.
PRESET ?= release
export PRESET

.PHONY: run test unit build clean
run:
	./run.sh
test:
	./test.sh
unit:
	./test.sh -L unit
build:
	./build.sh $(PRESET)
clean:
	rm -rf build
