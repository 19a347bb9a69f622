#!/usr/bin/env bash
# Mutation testing of the store: does faultline catch a planted bug?
#
# Each node/mutants/NN-name.patch is one small, realistic mistake in
# faultline-node, opening with two lines:
#   # breaks: what the change does
#   # violates: the guarantee of `safe` it breaks, or "equivalent: why none"
# For each mutant this applies the patch to a scratch worktree of HEAD,
# builds faultline-node (and its -libc twin, if any) there, and runs every
# configuration line with seeds 1..N through this checkout's faultline, the
# mutated node chosen with FAULTLINE_NODE_BINARY. A run catches the mutant
# when its verdict is invalid. The table says, per mutant: caught/total,
# the median time to the first anomaly (results.json first_anomaly_s over
# the catching runs) and the anomaly kinds seen. The unmutated store runs
# first as "baseline": any anomaly there is a false alarm (or a real bug).
#
#   ci/mutants.sh [--seeds 2] [--time-limit 60] [--configs FILE]
#                 [--only NN[,NN...]] [--dir node/mutants] [--work DIR] [--faultline PATH]
#                 [--check] [-- extra faultline run flags]
#
# --configs: lines "workload preset nemesis" (default: the nightly's safe
# lines). --check only verifies that every patch has its header and applies
# to HEAD (quick; the ci test runs it). Everything else stays under --work
# (default /tmp/faultline-mutants): tree/ (the worktree, removed at the end),
# tree/build/ (one build reused by every mutant), store/<mutant>/, logs/.
# Exit: 0 after the table, 1 when the baseline found an anomaly, 254 for bad
# arguments or a patch that does not apply.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"

seeds=2 time_limit=60 configs="" only="" work=/tmp/faultline-mutants faultline="" check=0 dir="$repo/node/mutants"
extra=()
usage() { echo "ci/mutants.sh: $1" >&2; exit 254; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="${2:?}"; shift 2 ;;
    --time-limit) time_limit="${2:?}"; shift 2 ;;
    --configs) configs="${2:?}"; shift 2 ;;
    --only) only="${2:?}"; shift 2 ;;
    --dir) dir="${2:?}"; shift 2 ;;
    --work) work="${2:?}"; shift 2 ;;
    --faultline) faultline="${2:?}"; shift 2 ;;
    --check) check=1; shift ;;
    --) shift; extra=("$@"); break ;;
    *) usage "unknown argument '$1' (see the header of $0)" ;;
  esac
done
[[ "$seeds" =~ ^[1-9][0-9]*$ && "$time_limit" =~ ^[1-9][0-9]*$ ]] || usage "--seeds and --time-limit take whole numbers >= 1"

patches=()
[ -d "$dir" ] || usage "--dir $dir is not a directory"
for p in "$dir"/*.patch; do
  [ -e "$p" ] || continue
  name="$(basename "$p" .patch)"
  if [ -n "$only" ] && [[ ",$only," != *",${name%%-*},"* ]]; then continue; fi
  patches+=("$p")
done
[ ${#patches[@]} -gt 0 ] || usage "no mutant in $dir${only:+ matches --only $only}"

# Every patch: its two header lines, and it applies to HEAD.
for p in "${patches[@]}"; do
  head -2 "$p" | grep -q '^# breaks: .' && sed -n 2p "$p" | grep -q '^# violates: .' ||
    usage "$p: the first two lines must be '# breaks: ...' and '# violates: ...'"
  git -C "$repo" apply --check "$p" 2>/dev/null || usage "$p does not apply to this checkout's node/"
done
if [ "$check" = 1 ]; then
  echo "${#patches[@]} mutants, each with its header, all apply"
  exit 0
fi

[ -n "$faultline" ] || faultline="$repo/build/release/harness/faultline"
[ -x "$faultline" ] || usage "faultline not found at $faultline (build first, or pass --faultline)"
command -v jq >/dev/null || usage "jq is needed (ci/install-deps.sh installs it)"
if [ -n "$configs" ]; then
  [ -r "$configs" ] || usage "--configs $configs is not readable"
  matrix="$(grep -v '^\s*\(#\|$\)' "$configs")"
else
  matrix="register safe partition,pause,kill,clock
register safe packet,zombie
set safe partition,kill"
fi

mkdir -p "$work/logs"
tree="$work/tree"
cleanup() { git -C "$repo" worktree remove --force "$tree" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
git -C "$repo" worktree add --detach "$tree" HEAD >/dev/null 2>&1 || usage "cannot add a worktree at $tree"

# Builds the store in the worktree as it is now; 0 when it built. Its
# -libc twin (for clock runs) exists only where jemalloc made one.
build_node() {
  (
    cd "$tree"
    cmake --preset release >"$work/logs/$1.configure.log" 2>&1 || exit 1
    targets=(faultline-node)
    if cmake --build build/release --target help | grep '^faultline-node-libc:' >/dev/null; then
      targets+=(faultline-node-libc)
    fi
    cmake --build build/release --target "${targets[@]}" >"$work/logs/$1.build.log" 2>&1
  )
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) printf "%.1f", v[(NR+1)/2]; else printf "%.1f", (v[NR/2]+v[NR/2+1])/2}'; }

rows=()
baseline_caught=0
run_mutant() {  # name, patch ("" for the baseline)
  local name="$1" patch="$2"
  git -C "$tree" checkout -q -- .
  if [ -n "$patch" ]; then git -C "$tree" apply "$patch"; fi
  if ! build_node "$name"; then
    rows+=("$(printf '%-28s %-8s %-9s %s' "$name" "-" "-" "does not build (logs/$name.build.log)")")
    return
  fi
  local caught=0 total=0 firsts="" kinds=""
  while read -r workload preset nemesis; do
    [ -n "$workload" ] || continue
    for seed in $(seq 1 "$seeds"); do
      local out="$work/store/$name"
      set +e
      FAULTLINE_NODE_BINARY="$tree/build/release/node/faultline-node" "$faultline" run --workload "$workload" \
        --store-preset "$preset" --nemesis "$nemesis" --seed "$seed" --time-limit "$time_limit" --out "$out" \
        "${extra[@]}" >"$work/logs/$name.run.out" 2>>"$work/logs/$name.run.err"
      set -e
      local dir
      dir="$(awk '{print $NF}' "$work/logs/$name.run.out" | tail -1)"
      total=$((total + 1))
      [ -f "$dir/results.json" ] || continue
      if [ "$(jq -r '.verdict' "$dir/results.json")" = invalid ]; then
        caught=$((caught + 1))
        firsts+="$(jq -r '.first_anomaly_s // empty' "$dir/results.json")"$'\n'
        kinds+="$(jq -r '.anomalies // {} | keys[]' "$dir/results.json")"$'\n'
      fi
    done
  done <<<"$matrix"
  local med kind_list
  med="$(printf '%s' "$firsts" | { grep . || true; } | median)"
  kind_list="$(printf '%s' "$kinds" | { grep . || true; } | sort -u | paste -sd, -)"
  rows+=("$(printf '%-28s %-8s %-9s %s' "$name" "$caught/$total" "$med" "${kind_list:--}")")
  if [ -z "$patch" ]; then baseline_caught=$caught; fi
}

run_mutant baseline ""
for p in "${patches[@]}"; do run_mutant "$(basename "$p" .patch)" "$p"; done

printf '\n%-28s %-8s %-9s %s\n' mutant caught "first (s)" "anomaly kinds"
printf '%s\n' "${rows[@]}"
echo
for p in "${patches[@]}"; do printf '%-28s %s\n' "$(basename "$p" .patch)" "$(sed -n 2p "$p" | cut -c13-)"; done
echo "configurations: $(echo "$matrix" | wc -l) x $seeds seeds x ${time_limit} s; runs under $work/store"
[ "$baseline_caught" = 0 ] || { echo "ci/mutants.sh: the unmutated store was caught: a false alarm or a real bug" >&2; exit 1; }
