#!/usr/bin/env bash
# Installs dependencies (ci/install-deps.sh) and builds with a CMake preset.
# Usage: ./build.sh [release|debug]   (default release). Needs only bash to start:
# make, cmake and the compiler come from install-deps.
set -euo pipefail
cd "$(dirname "$0")"
preset="${1:-${PRESET:-release}}"
bash ci/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
