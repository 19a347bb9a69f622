#!/usr/bin/env bash
# Issue 4's benchmark: a 3-node faultline-node cluster on loopback (preset
# safe, fsync always), kv_bench against it for QUORUM put, QUORUM get, ONE
# put, ONE get, then the cluster is torn down.
#
#   node/bench/run_cluster_bench.sh [--build DIR] [--seconds S] [--clients C]
#                                   [--runs K] [--base-port P] [--ops "put:QUORUM get:QUORUM ..."]
#
# Each run starts a fresh cluster (empty data dirs) and runs the ops in
# order, so gets read the keys the puts wrote. With --runs K > 1 it also
# prints the median throughput and p99 of each op over the runs.
# Extra node flags can be passed in NODE_FLAGS (e.g. NODE_FLAGS="--io_threads 1").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/../../build/release"
seconds=10
clients=64
runs=1
base_port=17301
ops="put:QUORUM get:QUORUM put:ONE get:ONE"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --base-port) base_port="$2"; shift 2 ;;
    --ops) ops="$2"; shift 2 ;;
    *) echo "run_cluster_bench: unknown option '$1'" >&2; exit 2 ;;
  esac
done
node_bin="$build/node/faultline-node"
bench_bin="$build/workloads/kv_bench"
for b in "$node_bin" "$bench_bin"; do
  [[ -x "$b" ]] || { echo "run_cluster_bench: '$b' not built (cmake --build $build --target faultline-node kv_bench)" >&2; exit 2; }
done

work="$(mktemp -d /tmp/faultline-bench.XXXXXX)"
pids=()
stop_cluster() {
  for p in "${pids[@]:-}"; do [[ -n "$p" ]] && kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [[ -n "$p" ]] && wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() { stop_cluster; rm -rf "$work"; }
trap cleanup EXIT INT TERM

ports=($base_port $((base_port + 1)) $((base_port + 2)))
members=()
nodes=""
for i in 0 1 2; do
  members+=(--member "n$((i + 1))=127.0.0.1:${ports[$i]}")
  nodes+="${nodes:+,}127.0.0.1:${ports[$i]}"
done

start_cluster() {
  rm -rf "$work/data"
  for i in 0 1 2; do
    mkdir -p "$work/data/n$((i + 1))"
    # shellcheck disable=SC2086
    "$node_bin" --node_id "n$((i + 1))" --data_dir "$work/data/n$((i + 1))" "${members[@]}" \
      --preset safe --fsync always ${NODE_FLAGS:-} >"$work/n$((i + 1)).out" 2>&1 &
    pids+=($!)
  done
  # Ready when every node answers a ping (kv_bench's client would retry, but
  # a node that died at start-up should be reported, not benchmarked).
  for i in 0 1 2; do
    for _ in $(seq 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/${ports[$i]}") 2>/dev/null; then break; fi
      kill -0 "${pids[$i]}" 2>/dev/null || { echo "node n$((i + 1)) exited:"; cat "$work/n$((i + 1)).out"; exit 1; }
      sleep 0.1
    done
  done
}

# CPU time (user + system, clock ticks) the nodes have used so far: per-op
# CPU cost is a figure that does not depend on how loaded the machine is.
node_ticks() {
  local t=0 p
  for p in "${pids[@]}"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}
hz="$(getconf CLK_TCK)"

results="$work/results.txt"
: >"$results"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) cores)"
for run in $(seq "$runs"); do
  start_cluster
  for spec in $ops; do
    op="${spec%%:*}"; level="${spec##*:}"
    t0="$(node_ticks)"
    out="$("$bench_bin" --nodes "$nodes" --clients "$clients" --seconds "$seconds" --op "$op" --consistency "$level")"
    t1="$(node_ticks)"
    okn="$(sed -n 's/.*(\([0-9]*\) ok,.*/\1/p' <<<"$out")"
    cpu_us="$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$okn" 'BEGIN {printf "%.0f", (n > 0 ? d / hz * 1e6 / n : 0)}')"
    tput="$(sed -n 's/.*throughput \([0-9]*\) ops.*/\1/p' <<<"$out")"
    failed="$(sed -n 's/.*ok, \([0-9]*\) failed.*/\1/p' <<<"$out")"
    p50="$(sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p' <<<"$out")"
    p99="$(sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' <<<"$out")"
    printf 'run %d  %-4s %-6s %8s ops/s  p50 %7s ms  p99 %7s ms  node cpu %5s us/op  failed %s  load %s\n' \
      "$run" "$op" "$level" "$tput" "$p50" "$p99" "$cpu_us" "$failed" "$(cut -d' ' -f1 /proc/loadavg)"
    echo "$op:$level $tput $p99 $p50 $cpu_us" >>"$results"
  done
  stop_cluster
done
if [[ "$runs" -gt 1 ]]; then
  echo "medians over $runs runs:"
  for spec in $ops; do
    med() { grep "^$spec " "$results" | awk -v c="$1" '{print $c}' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    printf '  %-12s %8s ops/s  p50 %7s ms  p99 %7s ms  node cpu %5s us/op\n' "$spec" "$(med 2)" "$(med 4)" "$(med 3)" "$(med 5)"
  done
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
