#!/usr/bin/env bash
# The main job: install, build, run the default test: a 5-node cluster of
# faultline-node in network namespaces (the loopback `local` backend without
# root), the `register` workload on the `safe` preset for about a minute,
# checked for stale reads and linearizability. Prints the verdict and where
# the run is stored; exits 0 valid, 1 invalid, 2 unknown.
# Extra arguments go to `faultline run` (e.g. ./run.sh --time-limit 10).
set -euo pipefail
cd "$(dirname "$0")"
./build.sh "${PRESET:-release}"
bin="build/${PRESET:-release}/harness/faultline"
"$bin" doctor
exec "$bin" run "$@"
