#!/usr/bin/env bash
# The tests: install, build everything, run the whole CTest suite.
# Extra arguments go to ctest (e.g. ./test.sh -L unit).
set -euo pipefail
cd "$(dirname "$0")"
./build.sh "${PRESET:-release}"
ctest --test-dir "build/${PRESET:-release}" --output-on-failure -j "$(nproc)" "$@"
