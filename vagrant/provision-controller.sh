#!/usr/bin/env bash
# Provisions the controller: faultline's build dependencies (the repository is
# synced at /vagrant), a key the nodes trust, and the nodes file the harness
# reads (one "name address" line per node). Idempotent.
#   provision-controller.sh n1=192.168.56.11,n2=...
set -euo pipefail
nodes="$1"

/vagrant/ci/install-deps.sh
out=/vagrant/vagrant/nodes.txt
: > "$out"
IFS=',' read -ra pairs <<< "$nodes"
for pair in "${pairs[@]}"; do
  echo "${pair%%=*} ${pair#*=}" >> "$out"
done
echo "provision: wrote $out ($(wc -l < "$out") nodes)"
