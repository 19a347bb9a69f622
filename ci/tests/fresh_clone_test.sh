#!/usr/bin/env bash
# A fresh clone with nothing beside it configures, builds and passes the unit
# label: no test, script or build file may read outside the repository (the
# checker's tests once read conformance data kept beside the project's own
# checkout, which no other clone has; issue 16).
#
# Clones the committed HEAD of the source tree (what CI tests) into an empty
# temporary directory. ccache makes the build mostly cache hits: base_dir and
# the debug path map (CMakeLists.txt) and tests finding their paths at run
# time (test-support/faultline/testing/paths.h) keep every object identical
# between checkouts. Usage: fresh_clone_test.sh SOURCE_DIR
set -euo pipefail
src="$1"
if ! git -C "$src" rev-parse --verify -q HEAD >/dev/null; then
  echo "SKIP: $src is not a git checkout"
  exit 77
fi
work=$(mktemp -d /tmp/faultline-fresh-clone.XXXXXX)
trap 'rm -rf "$work"' EXIT
git clone -q "$src" "$work/faultline"
if [ "$(ls -A "$work")" != faultline ]; then
  echo "the clone is not alone in $work"
  exit 1
fi
cd "$work/faultline"
cmake --preset release >/dev/null
start=$(date +%s)
cmake --build --preset release -j "$(nproc)" >build.log 2>&1 || { tail -50 build.log; exit 1; }
echo "built the fresh clone in $(( $(date +%s) - start )) s"
ctest --test-dir build/release -L unit -j "$(nproc)" --output-on-failure
