#!/usr/bin/env bash
# The nightly matrix: workloads x presets x nemeses x seeds within a time
# budget. Each configuration says what it must show:
#   valid          the run's verdict is valid (a safe setting under faults)
#   caught:K1|K2   the run found at least one anomaly of kind K1 or K2 (a weak
#                  preset's bug: not finding it is a regression of the harness)
# Every run writes a JUnit XML file and the run store's index.html is
# refreshed; the exit code is 0 when every configuration showed what it must,
# 1 when one did not, 254 for bad arguments.
#
#   ci/nightly.sh [--budget-minutes 60] [--seeds 2] [--time-limit 30]
#                 [--out nightly-store] [--junit-dir nightly-junit]
#                 [--configs FILE]   (lines: workload preset nemesis expect)
#                 [--faultline PATH] [-- extra faultline run flags]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

budget_min=60 seeds=2 time_limit=30 out=nightly-store junit_dir=nightly-junit configs="" faultline=""
extra=()
usage() { echo "ci/nightly.sh: $1" >&2; exit 254; }
while [ $# -gt 0 ]; do
  case "$1" in
    --budget-minutes) budget_min="${2:?}"; shift 2 ;;
    --seeds) seeds="${2:?}"; shift 2 ;;
    --time-limit) time_limit="${2:?}"; shift 2 ;;
    --out) out="${2:?}"; shift 2 ;;
    --junit-dir) junit_dir="${2:?}"; shift 2 ;;
    --configs) configs="${2:?}"; shift 2 ;;
    --faultline) faultline="${2:?}"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) usage "unknown argument '$1' (see the header of $0)" ;;
  esac
done
[[ "$budget_min" =~ ^[0-9]+$ && "$seeds" =~ ^[1-9][0-9]*$ && "$time_limit" =~ ^[0-9]+$ ]] ||
  usage "--budget-minutes, --seeds and --time-limit take whole numbers"
[ -n "$faultline" ] || faultline="$here/../build/release/harness/faultline"
[ -x "$faultline" ] || usage "faultline not found at $faultline (build first, or pass --faultline)"
command -v jq >/dev/null || usage "jq is needed (ci/install-deps.sh installs it)"

# The default matrix: what the store's presets promise (node/PRESETS.md) under
# the faults that test it.
default_configs() {
  cat <<'MATRIX'
register safe   partition,pause,kill,clock valid
register safe   packet,zombie              valid
set      safe   partition,kill             valid
register r1w1   partition                  caught:stale-read
register lww-wall clock                    caught:stale-read|nonlinearizable
register gc-grace partition                caught:stale-read|nonlinearizable
MATRIX
}
if [ -n "$configs" ]; then
  [ -r "$configs" ] || usage "--configs $configs is not readable"
  matrix="$(grep -v '^\s*\(#\|$\)' "$configs")"
else
  matrix="$(default_configs)"
fi

mkdir -p "$junit_dir"
deadline=$(( $(date +%s) + budget_min * 60 ))
failures=0 runs=0 skipped=0
summary=()
while read -r workload preset nemesis expect; do
  [ -n "$workload" ] || continue
  case "$expect" in valid|caught:*) ;; *) usage "config '$workload $preset $nemesis $expect': expect must be valid or caught:KIND[|KIND]" ;; esac
  for seed in $(seq 1 "$seeds"); do
    # Start a run only when it can finish inside the budget (time limit plus
    # a minute for start-up, healing, checking).
    if [ $(( $(date +%s) + time_limit + 60 )) -gt "$deadline" ]; then
      skipped=$((skipped + 1)); continue
    fi
    name="${workload}-${preset}-${nemesis//,/+}-seed${seed}"
    junit="$junit_dir/$name.xml"
    set +e
    "$faultline" run --workload "$workload" --store-preset "$preset" --nemesis "$nemesis" \
      --seed "$seed" --time-limit "$time_limit" --out "$out" --junit "$junit" "${extra[@]}" \
      > "$junit_dir/$name.out" 2> "$junit_dir/$name.err"
    code=$?
    set -e
    runs=$((runs + 1))
    # The result line is "<headline>  run <id>  <dir>"; the headline may
    # have spaces ("INVALID — expected for r1w1: stale reads").
    dir="$(sed -n 's/.*  run [A-Za-z0-9]*  //p' "$junit_dir/$name.out" | tail -1)"
    verdict=error
    [ -f "$dir/results.json" ] && verdict="$(jq -r .verdict "$dir/results.json")"
    ok=0
    if [ "$expect" = valid ]; then
      [ "$verdict" = valid ] && ok=1
      what="verdict $verdict (exit $code)"
    else
      found=0
      if [ -f "$dir/results.json" ]; then
        IFS='|' read -ra kinds <<< "${expect#caught:}"
        for k in "${kinds[@]}"; do
          n="$(jq -r --arg k "$k" '.anomalies[$k] // 0' "$dir/results.json")"
          found=$((found + n))
        done
      fi
      [ "$verdict" != error ] && [ "$found" -gt 0 ] && ok=1
      what="$found anomalies of ${expect#caught:}, verdict $verdict"
    fi
    if [ "$ok" = 1 ]; then
      summary+=("ok    $name: $what")
    else
      failures=$((failures + 1))
      summary+=("FAIL  $name: expected $expect, got $what; $dir")
    fi
  done
done <<< "$matrix"

"$faultline" report --index --out "$out" >/dev/null 2>&1 || echo "nightly: could not refresh $out/index.html" >&2
printf '%s\n' "${summary[@]}"
echo "nightly: $runs runs, $failures not as expected, $skipped skipped for the budget; index: $out/index.html"
[ "$failures" -eq 0 ] || exit 1
[ "$runs" -gt 0 ] || { echo "nightly: the budget allowed no run" >&2; exit 1; }
