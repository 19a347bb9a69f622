#!/usr/bin/env bash
# ci/mutants.sh --check: every planted bug in node/mutants has its header
# and applies to this checkout (so the mutants cannot rot as node/ changes),
# and a patch without its header, or one that does not apply, is refused
# with exit 254 naming the file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
m="$here/../mutants.sh"
work="$(mktemp -d /tmp/faultline-mutants-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out="$("$m" --check)" || fail "--check on node/mutants exited $?: $out"
n="$(ls "$here/../../node/mutants"/*.patch | wc -l)"
[ "$n" -ge 12 ] || fail "only $n mutants in node/mutants (the issue asks for at least 12)"
[[ "$out" == "$n mutants, each with its header, all apply" ]] || fail "unexpected output: $out"

# No header.
sed 1,2d "$here/../../node/mutants/01-timeout-says-fail.patch" > "$work/01-bare.patch"
set +e
err="$("$m" --check --dir "$work" 2>&1)"; code=$?
set -e
[ "$code" = 254 ] || fail "a patch without its header: exit $code, not 254"
[[ "$err" == *"01-bare.patch: the first two lines must be"* ]] || fail "message does not name the file: $err"

# Does not apply: the context line is not in coordinator.cpp.
{ sed -n 1,2p "$here/../../node/mutants/01-timeout-says-fail.patch"
  sed 1,2d "$here/../../node/mutants/01-timeout-says-fail.patch" | sed 's/const bool maybe = op->maybe || op->sending;/const bool maybe = op->never_there;/'; } > "$work/02-stale.patch"
rm "$work/01-bare.patch"
set +e
err="$("$m" --check --dir "$work" 2>&1)"; code=$?
set -e
[ "$code" = 254 ] || fail "a patch that does not apply: exit $code, not 254"
[[ "$err" == *"02-stale.patch does not apply"* ]] || fail "message does not name the file: $err"

# Bad arguments.
set +e
"$m" --seeds 0 >/dev/null 2>&1; code=$?
set -e
[ "$code" = 254 ] || fail "--seeds 0: exit $code, not 254"
echo "ok"
