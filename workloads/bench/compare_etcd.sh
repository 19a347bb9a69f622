#!/usr/bin/env bash
# Issue 4's benchmark, side by side with etcd as an outside reference.
#
# Starts a 3-node faultline-node cluster (preset safe: N=3, R=W=QUORUM,
# fsync always) and a 3-member etcd cluster (Debian's etcd-server; etcd
# fsyncs its WAL on every commit), both on 127.0.0.1 only, with their own
# temp data dirs. Then, REPS times, runs kv_bench against each for
#   put QUORUM, put ONE (faultline only), get QUORUM, get ONE
# with CLIENTS clients, 1 KiB values, SECONDS seconds each, and prints one
# table of medians over the repetitions. Repetitions alternate between the
# two systems so that changes in machine load hit both alike. Everything it
# started is SIGKILLed and its temp dir removed on exit, also on ^C or error.
#
#   workloads/bench/compare_etcd.sh [--build-dir DIR] [--reps N] [--seconds S] [--clients C]
#
# Needs: build-dir/node/faultline-node and build-dir/workloads/kv_bench
# (cmake --build build/release --target kv_bench faultline-node), etcd and
# etcdctl on PATH (apt-get install etcd-server etcd-client; ci/install-deps.sh).
# Exit codes: 0 table printed, 1 a cluster did not start, 254 bad flags.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build_dir="$here/../../build/release"
reps=3
seconds=10
clients=64
value_bytes=1024

die_usage() {
  echo "compare_etcd.sh: $1" >&2
  echo "usage: compare_etcd.sh [--build-dir DIR] [--reps N] [--seconds S] [--clients C]" >&2
  exit 254
}
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die_usage "$1 needs a positive integer, got '$2'"; }
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die_usage "$1 needs a value"
  case "$1" in
    --build-dir) build_dir="$2" ;;
    --reps) positive "$1" "$2"; reps="$2" ;;
    --seconds) positive "$1" "$2"; [ "$2" -le 600 ] || die_usage "--seconds at most 600"; seconds="$2" ;;
    --clients) positive "$1" "$2"; clients="$2" ;;
    *) die_usage "unknown option '$1'" ;;
  esac
  shift 2
done

node_bin="$build_dir/node/faultline-node"
bench_bin="$build_dir/workloads/kv_bench"
for b in "$node_bin" "$bench_bin"; do
  [ -x "$b" ] || { echo "compare_etcd.sh: $b not built (cmake --build build/release --target kv_bench faultline-node)" >&2; exit 1; }
done
etcd_bin="$(command -v etcd || true)"
etcdctl_bin="$(command -v etcdctl || true)"
[ -n "$etcd_bin" ] && [ -n "$etcdctl_bin" ] || {
  echo "compare_etcd.sh: etcd/etcdctl not on PATH (apt-get install etcd-server etcd-client)" >&2
  exit 1
}

work="$(mktemp -d /tmp/faultline-compare-etcd-XXXXXX)"
pids=()
bench_pid=""
cleanup() {
  # The running kv_bench first (the child of its `timeout`), then the clusters.
  if [ -n "$bench_pid" ]; then
    pkill -KILL -P "$bench_pid" 2>/dev/null || true
    kill -KILL "$bench_pid" 2>/dev/null || true
  fi
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Nine loopback ports (3 faultline, 3 etcd client, 3 etcd peer) that nobody
# listens on: a random base, retried until the whole block is free.
pick_ports() {
  local tries=0
  while [ $tries -lt 50 ]; do
    local base=$((20000 + RANDOM % 30000)) busy=0
    for i in $(seq 0 8); do
      if ss -Htln "sport = :$((base + i))" | grep -q .; then busy=1; break; fi
    done
    if [ $busy -eq 0 ]; then echo "$base"; return; fi
    tries=$((tries + 1))
  done
  echo "compare_etcd.sh: no free block of 9 loopback ports" >&2
  exit 1
}
base="$(pick_ports)"
fl_ports=($base $((base + 1)) $((base + 2)))
etcd_client_ports=($((base + 3)) $((base + 4)) $((base + 5)))
etcd_peer_ports=($((base + 6)) $((base + 7)) $((base + 8)))

wait_listening() {  # port seconds what
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "compare_etcd.sh: $3 not listening on 127.0.0.1:$1 after $2 s; its log:" >&2
  return 1
}

echo "== load before: $(uptime)"
echo "== work dir $work, ports $base..$((base + 8))"

# faultline: 3 nodes, preset safe (fsync always made explicit).
members=()
for i in 0 1 2; do members+=(--member "n$((i + 1))=127.0.0.1:${fl_ports[$i]}"); done
for i in 0 1 2; do
  id="n$((i + 1))"
  mkdir -p "$work/faultline/$id"
  "$node_bin" --node_id "$id" --data_dir "$work/faultline/$id" "${members[@]}" --preset safe --fsync always \
    >"$work/faultline/$id.out" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do
  wait_listening "${fl_ports[$i]}" 20 "faultline-node n$((i + 1))" || { tail -20 "$work/faultline/n$((i + 1)).out" >&2; exit 1; }
done
fl_nodes="127.0.0.1:${fl_ports[0]},127.0.0.1:${fl_ports[1]},127.0.0.1:${fl_ports[2]}"

# etcd: 3 members, defaults otherwise (WAL fsync on every commit).
initial=""
for i in 0 1 2; do initial+="${initial:+,}m$((i + 1))=http://127.0.0.1:${etcd_peer_ports[$i]}"; done
for i in 0 1 2; do
  name="m$((i + 1))"
  mkdir -p "$work/etcd"
  "$etcd_bin" --name "$name" --data-dir "$work/etcd/$name" \
    --listen-client-urls "http://127.0.0.1:${etcd_client_ports[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${etcd_client_ports[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${etcd_peer_ports[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${etcd_peer_ports[$i]}" \
    --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token "faultline-compare-$$" \
    >"$work/etcd/$name.out" 2>&1 &
  pids+=($!)
done
etcd_nodes="127.0.0.1:${etcd_client_ports[0]},127.0.0.1:${etcd_client_ports[1]},127.0.0.1:${etcd_client_ports[2]}"
etcd_endpoints="http://${etcd_nodes//,/,http://}"
healthy=0
for _ in $(seq 1 100); do
  if ETCDCTL_API=3 timeout 5 "$etcdctl_bin" --endpoints="$etcd_endpoints" endpoint health >/dev/null 2>&1; then
    healthy=1
    break
  fi
  sleep 0.2
done
if [ $healthy -eq 0 ]; then
  echo "compare_etcd.sh: etcd cluster not healthy after 20 s; member logs:" >&2
  tail -5 "$work"/etcd/*.out >&2
  exit 1
fi
echo "== $("$etcd_bin" --version | head -1), faultline-node preset safe, fsync always"

results="$work/results.txt"
: >"$results"
run_case() {  # system nodes op level rep
  local out="$work/run-$1-$3-$4-$5.txt"
  # Bounded: the run, a prefill of at most 60 s, and slack. In the
  # background so that ^C runs the cleanup at once instead of after the run.
  timeout $((seconds + 120)) "$bench_bin" --target "$1" --nodes "$2" --op "$3" --consistency "$4" \
    --clients "$clients" --seconds "$seconds" --value-bytes "$value_bytes" >"$out" 2>&1 &
  bench_pid=$!
  local rc=0
  wait "$bench_pid" || rc=$?
  bench_pid=""
  [ $rc -eq 0 ] || echo "   ($1 $3 $4 rep $5: kv_bench exited $rc: $(tail -1 "$out"))"
  local line
  line="$(grep '^result ' "$out" || true)"
  [ -n "$line" ] && echo "$line rep=$5" >>"$results"
  echo "   $1 $3 $4 rep $5: ${line#result }"
  # What went wrong, when something did (kv_bench names the first error).
  grep -E '^(prefill: .* [1-9][0-9]* errors|  first error)' "$out" | sed 's/^ */     /' || true
}

cases=("put QUORUM" "put ONE" "get QUORUM" "get ONE")
for rep in $(seq 1 "$reps"); do
  echo "== repetition $rep of $reps"
  for c in "${cases[@]}"; do
    set -- $c
    run_case faultline "$fl_nodes" "$1" "$2" "$rep"
    # etcd has no ONE put: every put is a Raft majority commit.
    [ "$1 $2" = "put ONE" ] || run_case etcd "$etcd_nodes" "$1" "$2" "$rep"
  done
done
echo "== load after: $(uptime)"

# Medians per (system, op, level), each column on its own.
echo
echo "Medians of $reps runs of ${seconds} s; $clients clients, $value_bytes-byte values, 3 nodes/members on loopback, fsync always"
printf '%-10s %-4s %-7s %12s %9s %9s %8s\n' system op level "ops/s" "p50 ms" "p99 ms" errors
for c in "${cases[@]}"; do
  set -- $c
  for sys in faultline etcd; do
    if [ "$sys" = etcd ] && [ "$1 $2" = "put ONE" ]; then
      printf '%-10s %-4s %-7s %12s\n' etcd put ONE "n/a: every etcd put is a Raft majority write (= QUORUM)"
      continue
    fi
    awk -v sys="$sys" -v op="$1" -v lvl="$2" '
      function med(a, n,   i, j, t) {
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      {
        delete f
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        if (f["target"] != sys || f["op"] != op || f["consistency"] != lvl) next
        n++; ops[n] = f["ops_per_s"]; p50[n] = f["p50_ms"]; p99[n] = f["p99_ms"]; err += f["errors"]
      }
      END {
        if (n == 0) { printf "%-10s %-4s %-7s %12s\n", sys, op, lvl, "no result"; exit }
        printf "%-10s %-4s %-7s %12.0f %9.2f %9.2f %8d\n", sys, op, lvl, med(ops, n), med(p50, n), med(p99, n), err
      }' "$results"
  done
done
