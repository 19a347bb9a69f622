#!/usr/bin/env bash
# Provisions the controller: faultline's build dependencies (the repository is
# synced at /vagrant), a key the nodes trust, and the nodes file the harness
# reads (one "name address" line per node). Idempotent.
#   provision-controller.sh n1=192.168.56.11,n2=...
set -euo pipefail
nodes="$1"

/vagrant/ci/install-deps.sh
# provision-node.sh (run first on every VM) made the cluster key; the
# harness logs in to the nodes as root with it.
install -m 600 /vagrant/vagrant/.ssh/id_faultline /root/.ssh/id_faultline
out=/vagrant/vagrant/nodes.txt
: > "$out"
IFS=',' read -ra pairs <<< "$nodes"
for pair in "${pairs[@]}"; do
  echo "${pair%%=*} ${pair#*=}" >> "$out"
done
echo "provision: wrote $out ($(wc -l < "$out") nodes)"
