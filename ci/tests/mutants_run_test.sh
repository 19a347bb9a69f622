#!/usr/bin/env bash
# ci/mutants.sh end to end on one mutant: a worktree, the mutated store built
# there, runs through this build's faultline with FAULTLINE_NODE_BINARY, and
# the table. Fault-free runs of `safe` with an equivalent mutant, so the
# verdicts are known: nothing caught, exit 0, and the worktree is gone.
# Needs root (netns clusters); exits 77 (CTest skip) without it unless
# FAULTLINE_REQUIRE_ROOT=1.
set -euo pipefail
faultline="$1"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/require_root.sh"
work="$(mktemp -d /tmp/faultline-mutants-run.XXXXXX)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/out"; exit 1; }
printf 'register safe none\n' > "$work/configs"
set +e
"$here/../mutants.sh" --only 11 --seeds 1 --time-limit 4 --configs "$work/configs" --work "$work/m" \
  --faultline "$faultline" -- --nodes 3 > "$work/out" 2>&1
code=$?
set -e
[ "$code" = 0 ] || fail "exit $code"
grep -Eq '^baseline +0/1 +- +-$' "$work/out" || fail "no baseline row with 0/1"
grep -Eq '^11-dead-is-usable +0/1 ' "$work/out" || fail "no row for the mutant"
grep -q 'equivalent: availability only' "$work/out" || fail "the mutant's guarantee line is missing"
# The mutant's run really ran the worktree's build of the store.
cfg="$(ls "$work/m/store/11-dead-is-usable"/*/*/config.json 2>/dev/null | head -1)"
[ -n "$cfg" ] || fail "no run stored for the mutant"
[[ "$(jq -r .node_binary "$cfg")" == "$work/m/tree/build/release/node/faultline-node"* ]] ||
  fail "the run used $(jq -r .node_binary "$cfg"), not the mutant's build"
git -C "$here/../.." worktree list | grep -q "$work/m/tree" && fail "the worktree was left behind"
echo ok
