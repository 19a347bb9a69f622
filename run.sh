#!/usr/bin/env bash
# The first thing to run: install, build what a run needs, then the default
# test — a 5-node cluster of faultline-node (network namespaces as root,
# plain loopback processes otherwise), the `register` workload on the `safe`
# preset for a minute under a mixed nemesis (partitions, packet faults,
# pauses, kills, clock skew, zombies; the network faults need root), checked
# for stale reads and linearizability. Then, unless a preset or nemesis was
# chosen, a 20 s run of the weak `r1w1` preset that the checker must catch.
# Prints each verdict and where the run is stored; exits 0 when the safe run
# is valid and the weak one caught, else the worst code (1 invalid, 2 unknown).
# Extra arguments go to the first `faultline run` (e.g. ./run.sh --time-limit 10).
set -euo pipefail
cd "$(dirname "$0")"
./build.sh "${PRESET:-release}" faultline
bin="build/${PRESET:-release}/harness/faultline"
"$bin" doctor

chosen=no
for a in "$@"; do
  case "$a" in --nemesis|--nemesis=*|--store-preset|--store-preset=*) chosen=yes ;; esac
done
if [ "$(id -u)" = 0 ]; then faults=all; catch_faults=partition; else faults=pause,kill,clock; catch_faults=kill,pause; fi

args=()
[ "$chosen" = no ] && args=(--nemesis "$faults" --nemesis-interval 5)
rc=0
"$bin" run "${args[@]}" "$@" || rc=$?
[ "$chosen" = yes ] && exit "$rc"

echo
echo "Now a weak preset the checker must catch: r1w1 (one replica acknowledges, one answers a read) under $catch_faults, 20 s"
catch=0
"$bin" run --store-preset r1w1 --nemesis "$catch_faults" --nemesis-interval 4 --time-limit 20 \
  --expect stale-read,nonlinearizable || catch=$?
[ "$rc" = 0 ] && rc=$catch
exit "$rc"
