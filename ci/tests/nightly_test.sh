#!/usr/bin/env bash
# Runs ci/nightly.sh on a tiny matrix and checks its verdict on itself:
#   catches   a weak preset's bug is caught and a safe run passes -> exit 0
#   misses    a configuration expecting a bug the run cannot show -> exit 1
# Needs root (netns clusters); exits 77 (CTest skip) without it unless
# FAULTLINE_REQUIRE_ROOT=1.
set -euo pipefail
mode="$1" faultline="$2"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/require_root.sh"
work="$(mktemp -d /tmp/faultline-nightly-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
case "$mode" in
  catches)
    printf '%s\n' "register r1w1 partition caught:stale-read" "register safe kill valid" > "$work/configs"
    expected=0 ;;
  misses)
    # Without faults r1w1 on a healthy cluster shows no stale read in a few
    # seconds: a nightly that expects one must report the miss.
    printf '%s\n' "register safe none caught:stale-read" > "$work/configs"
    expected=1 ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac
set +e
"$here/../nightly.sh" --configs "$work/configs" --seeds 1 --time-limit 8 --budget-minutes 5 \
  --out "$work/store" --junit-dir "$work/junit" --faultline "$faultline" -- --nodes 5 --nemesis-interval 2 --recovery 2 \
  > "$work/out" 2>&1
code=$?
set -e
cat "$work/out"
[ "$code" = "$expected" ] || { echo "nightly exited $code, expected $expected"; exit 1; }
ls "$work/junit"/*.xml > /dev/null || { echo "no JUnit files written"; exit 1; }
[ -f "$work/store/index.html" ] || { echo "no index.html"; exit 1; }
if [ "$mode" = catches ]; then
  grep -q '^ok    register-r1w1-partition-seed1' "$work/out" || { echo "r1w1 not reported caught"; exit 1; }
  grep -q '^ok    register-safe-kill-seed1' "$work/out" || { echo "safe not reported valid"; exit 1; }
else
  grep -q '^FAIL  register-safe-none-seed1: expected caught:stale-read' "$work/out" || { echo "the miss is not named"; exit 1; }
fi
echo "nightly $mode: as expected"
