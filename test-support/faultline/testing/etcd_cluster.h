// A real etcd cluster for integration tests: one `etcd` process per member
// (Boost.Process), client and peer URLs on loopback ports picked by the
// kernel, each member's data dir under a temp dir. The destructor SIGKILLs
// every member. Tests check etcd_binary() first and skip (or fail under
// FAULTLINE_REQUIRE_ROOT=1) when etcd is not installed.
//
// Needs faultline_workloads (readiness is a linearizable get through
// EtcdClient, which only answers once a leader is elected).
#ifndef FAULTLINE_TESTING_ETCD_CLUSTER_H_
#define FAULTLINE_TESTING_ETCD_CLUSTER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/process.hpp>

#include "faultline/testing/free_ports.h"
#include "faultline/testing/test_dir.h"
#include "faultline/workloads/etcd_client.h"

namespace faultline::testing {

// The etcd server on PATH, or "" (Debian: apt-get install etcd-server).
inline std::string etcd_binary() {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(ss, dir, ':');) {
    const auto candidate = std::filesystem::path(dir) / "etcd";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}


class EtcdCluster {
 public:
  explicit EtcdCluster(int size) : dir_("etcd") {
    const auto ports = free_loopback_ports(2 * size);
    std::string initial;
    for (int i = 0; i < size; ++i) {
      names_.push_back("m" + std::to_string(i + 1));
      clients_.push_back("127.0.0.1:" + std::to_string(ports[2 * i]));
      peers_.push_back("http://127.0.0.1:" + std::to_string(ports[2 * i + 1]));
      initial += (i ? "," : "") + names_[i] + "=" + peers_[i];
    }
    const std::string etcd = etcd_binary();
    if (etcd.empty()) throw std::runtime_error("etcd not installed");
    for (int i = 0; i < size; ++i) {
      const std::string client_url = "http://" + clients_[i];
      const auto log = (dir_.path() / (names_[i] + ".log")).string();
      procs_.push_back(std::make_unique<boost::process::child>(
          etcd, "--name", names_[i], "--data-dir", (dir_.path() / names_[i]).string(), "--listen-client-urls",
          client_url, "--advertise-client-urls", client_url, "--listen-peer-urls", peers_[i],
          "--initial-advertise-peer-urls", peers_[i], "--initial-cluster", initial, "--initial-cluster-state", "new",
          "--initial-cluster-token", "faultline-test-" + std::to_string(::getpid()), boost::process::std_out > log,
          boost::process::std_err > log, boost::process::std_in < boost::process::null));
    }
    for (int i = 0; i < size; ++i) wait_ready(i);
  }

  ~EtcdCluster() {
    for (auto& p : procs_)
      if (p && p->running()) {
        std::error_code ec;
        p->terminate(ec);  // SIGKILL
        p->wait(ec);
      }
  }

  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Client endpoints as host:port, for EtcdClient and kv_bench --nodes.
  const std::vector<std::string>& client_addresses() const { return clients_; }
  std::string nodes_flag() const {
    std::string s;
    for (const auto& c : clients_) s += (s.empty() ? "" : ",") + c;
    return s;
  }

 private:
  void wait_ready(int i) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    workloads::EtcdClient client(clients_[i], std::chrono::milliseconds(1000));
    while (std::chrono::steady_clock::now() < deadline) {
      if (client.get("faultline-ready-probe").ok()) return;
      if (!procs_[i]->running()) throw std::runtime_error("etcd " + names_[i] + " exited during start-up");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("etcd " + names_[i] + " did not become ready in 20 s");
  }

  node::testing::TestDir dir_;
  std::vector<std::string> names_, clients_, peers_;
  std::vector<std::unique_ptr<boost::process::child>> procs_;
};

}  // namespace faultline::testing

#endif  // FAULTLINE_TESTING_ETCD_CLUSTER_H_
