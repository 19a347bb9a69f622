#!/usr/bin/env bash
# Installs every Debian package faultline needs to build, test and run.
# Idempotent: when everything is already installed it only checks and exits,
# without touching the network. Run as root on Debian 12.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ccache
  # netlink (netem qdiscs, links) and netfilter queue (userspace shaper)
  libnl-3-dev libnl-route-3-dev libnl-nf-3-dev libnl-genl-3-dev
  libnetfilter-queue-dev libmnl-dev
  # Boost.Process needs Boost.Filesystem; Asio comes with libboost-dev
  libboost-dev libboost-filesystem-dev libboost-system-dev
  # data formats, storage, logging, CLI
  nlohmann-json3-dev libsimdjson-dev libsqlite3-dev libsqlitecpp-dev sqlite3
  libcli11-dev libspdlog-dev libfmt-dev
  # faultline-node's allocator (malloc was ~15% of a node's CPU under load)
  libjemalloc-dev
  # tests
  googletest libgtest-dev libgmock-dev
  # fuzzing (node/fuzz): libFuzzer and the sanitizer runtimes come with clang
  clang-14 libclang-rt-14-dev
  # reports: Graphviz rendered in process
  libgraphviz-dev
  # reports: headless browser for the report's browser test (reports/tests/report_browser_itest.cpp)
  chromium
  # faults: firewall, links, clock skew
  nftables libnftables-dev iptables iproute2 faketime libfaketime
  # ci/nightly.sh reads each run's results.json
  jq
  # the Vagrantfile's checks (vagrant/: ruby -c and a load with a stand-in DSL)
  ruby
  # process tools used by tests and doctor
  procps psmisc util-linux kmod
  # the VM lane (nemesis/tests/netem_vmtest.cpp, label vm): boots a Debian cloud
  # kernel (fetched by the test with apt-get download, cached in
  # /var/cache/faultline/vm) under qemu with an initramfs of static busybox,
  # the agent and the netem modules, packed with cpio
  qemu-system-x86 busybox-static cpio
  # etcd as the benchmark's outside reference (workloads/bench/compare_etcd.sh,
  # workloads' etcd itest); etcdctl checks the cluster's health
  etcd-server etcd-client
  # the ssh backend: the controller drives the OpenSSH client; its integration
  # test (harness/tests/backend_ssh_itest.cpp) runs sshd inside namespaces
  openssh-client openssh-server
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or with sudo) to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
