#!/usr/bin/env bash
# The main job: install, build, run the default test. Today that shows
# `faultline --help` and the `faultline doctor` table.
set -euo pipefail
cd "$(dirname "$0")"
./build.sh "${PRESET:-release}"
bin="build/${PRESET:-release}/harness/faultline"
"$bin" --help
"$bin" doctor
