#!/usr/bin/env bash
# Installs dependencies (ci/install-deps.sh) and builds with a CMake preset.
# Usage: ./build.sh [release|debug] [TARGET...]   (default release, every
# target). Needs only bash to start: make, cmake and the compiler come from
# install-deps. ./run.sh builds only `faultline` (which brings faultline-node,
# its -libc twin and faultline-agent); ./test.sh builds everything.
set -euo pipefail
cd "$(dirname "$0")"
preset="${1:-${PRESET:-release}}"
shift || true
bash ci/install-deps.sh
cmake --preset "$preset" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build --preset "$preset" -j "$(nproc)" "${targets[@]}"
