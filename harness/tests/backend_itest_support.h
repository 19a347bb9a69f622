// Shared by the backend integration tests: real faultline-node processes
// started through a Backend, and what the machine looks like afterwards.
#ifndef FAULTLINE_HARNESS_TESTS_BACKEND_ITEST_SUPPORT_H_
#define FAULTLINE_HARNESS_TESTS_BACKEND_ITEST_SUPPORT_H_

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "faultline/harness/backend.h"
#include "faultline/process/command.h"
#include "faultline/process/text.h"
#include "faultline/workloads/kv_client.h"
#include "faultline/testing/paths.h"

namespace faultline::harness::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline std::string node_binary() { return (faultline::testing::binary_dir() / "node" / "faultline-node").string(); }

// A fresh run id ([a-z0-9], 8 chars): "t" + 7 random characters.
inline std::string fresh_run_id() {
  static const char* kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::mt19937 gen(rd() ^ static_cast<unsigned>(::getpid()));
  std::string id = "t";
  for (int i = 0; i < 7; ++i) id += kChars[gen() % 36];
  return id;
}

inline std::vector<std::string> node_names(int n) {
  std::vector<std::string> names;
  for (int i = 1; i <= n; ++i) names.push_back("n" + std::to_string(i));
  return names;
}

// The argv node_cluster.h's config file amounts to, as flags.
inline NodeSpec node_spec(const std::vector<NodeAddress>& members, std::size_t i, const fs::path& dir) {
  NodeSpec spec;
  spec.name = members[i].name;
  spec.data_dir = dir / members[i].name;
  spec.log_path = dir / (members[i].name + ".out");
  spec.argv = {node_binary(), "--node_id", members[i].name, "--data_dir", spec.data_dir.string(), "--preset", "safe",
               "--log_level", "info"};
  for (const auto& m : members) {
    spec.argv.push_back("--member");
    spec.argv.push_back(m.name + "=" + m.address());
  }
  return spec;
}

inline bool ping(const NodeAddress& a, std::chrono::milliseconds timeout = 300ms) {
  workloads::KvClient client(a.address(), timeout);
  return client.ping().ok();
}

// Waits until every node answers ping; returns the names that never did.
inline std::vector<std::string> wait_all_ping(const std::vector<NodeAddress>& nodes, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  std::vector<bool> up(nodes.size(), false);
  for (;;) {
    bool all = true;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!up[i]) up[i] = ping(nodes[i], 200ms);
      all = all && up[i];
    }
    if (all) return {};
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(20ms);
  }
  std::vector<std::string> down;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (!up[i]) down.push_back(nodes[i].name);
  return down;
}

using process::join;

inline std::string exe_of(pid_t pid) {
  std::error_code ec;
  return fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string();
}

inline bool pid_exists(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

inline std::string command_output(const std::vector<std::string>& argv) {
  return process::run_command(argv, {.timeout = 10s, .max_output = 1 << 20}).output;
}

// Every leftover on this machine carrying `run_id` in its name.
inline std::vector<std::string> leftovers_named(const std::string& run_id) {
  std::vector<std::string> found;
  std::istringstream netns(command_output({"ip", "netns", "list"}));
  for (std::string line; std::getline(netns, line);)
    if (line.rfind("faultline-" + run_id + "-", 0) == 0) found.push_back("netns " + line.substr(0, line.find(' ')));
  std::istringstream links(command_output({"ip", "-o", "link", "show"}));
  for (std::string line; std::getline(links, line);) {
    // "12: flvab1231@if2: <...>"
    const auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    std::string name = line.substr(colon + 2, line.find_first_of(":@", colon + 2) - colon - 2);
    if (name == "flb" + run_id || name.rfind("flv" + run_id, 0) == 0) found.push_back("link " + name);
  }
  return found;
}

}  // namespace faultline::harness::testing

#endif  // FAULTLINE_HARNESS_TESTS_BACKEND_ITEST_SUPPORT_H_
