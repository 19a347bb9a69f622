// `faultline run`'s configuration: its JSON form (config.json) and the checks
// that refuse bad flags and combinations before anything starts.
#include <unistd.h>

#include <algorithm>
#include <random>

#include "faultline/harness/backend.h"
#include "faultline/harness/runner.h"
#include "faultline/node/config.h"
#include "faultline/workloads/workload.h"
#include "node_launch.h"

namespace faultline::harness {
namespace {

using nlohmann::json;

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

json RunConfig::to_json() const {
  return {{"nodes", nodes},
          {"backend", backend},
          {"workload", workload},
          {"nemesis", nemesis},
          {"time_limit_s", time_limit_s},
          {"rate", rate},
          {"concurrency", concurrency},
          {"seed", seed},
          {"store_preset", store_preset},
          {"store_opts", store_opts},
          {"test_count", test_count},
          {"leave_running", leave_running},
          {"out", out.string()},
          {"recovery_s", recovery_s},
          {"op_timeout_s", op_timeout_s},
          {"ready_timeout_s", ready_timeout_s},
          {"node_binary", node_binary.string()}};
}

std::string validate(RunConfig& c) {
  if (c.nodes < 1) return "--nodes must be at least 1, got " + std::to_string(c.nodes);
  if (c.nodes > 250) return "--nodes must be at most 250 (one /24 per cluster), got " + std::to_string(c.nodes);
  if (c.backend.empty()) c.backend = ::geteuid() == 0 ? "netns" : "local";
  const auto& backends = known_backends();
  if (std::find(backends.begin(), backends.end(), c.backend) == backends.end()) {
    return "--backend '" + c.backend + "' is not one of: " + join(backends, ", ");
  }
  if (c.backend == "netns" && ::geteuid() != 0) return "--backend netns needs root; use --backend local without root";
  const auto& wls = workloads::known_workloads();
  if (std::find(wls.begin(), wls.end(), c.workload) == wls.end()) {
    return "--workload '" + c.workload + "' is not one of: " + join(wls, ", ");
  }
  if (c.nemesis.empty()) c.nemesis = {"none"};
  for (const auto& n : c.nemesis) {
    if (n != "none") return "--nemesis '" + n + "' is not available yet (faults arrive with issue 6); known: none";
  }
  if (!(c.time_limit_s > 0)) return "--time-limit must be positive, got " + std::to_string(c.time_limit_s);
  if (c.rate < 0) return "--rate must be >= 0 (0 = unlimited), got " + std::to_string(c.rate);
  if (c.concurrency < 0) return "--concurrency must be >= 0 (0 = 2 per node), got " + std::to_string(c.concurrency);
  if (c.test_count < 1) return "--test-count must be at least 1, got " + std::to_string(c.test_count);
  if (c.recovery_s < 0) return "--recovery must be >= 0, got " + std::to_string(c.recovery_s);
  if (!(c.op_timeout_s > 0)) return "--op-timeout must be positive";
  const auto& presets = node::preset_names();
  if (std::find(presets.begin(), presets.end(), c.store_preset) == presets.end()) {
    return "--store-preset '" + c.store_preset + "' is not one of: " + join(presets, ", ");
  }
  try {
    validate_store_config(c.store_preset, parse_store_opts(c.store_opts), c.nodes);
  } catch (const std::invalid_argument& e) {
    return std::string(e.what()) + " (with --nodes " + std::to_string(c.nodes) + ", --store-preset " +
           c.store_preset + ")";
  }
  if (c.node_binary.empty()) c.node_binary = find_node_binary();
  if (c.node_binary.empty()) {
    return "faultline-node not found (set FAULTLINE_NODE_BINARY, or put it beside faultline or on PATH)";
  }
  if (::access(c.node_binary.c_str(), X_OK) != 0) return "node binary " + c.node_binary.string() + " is not executable";
  if (c.seed == 0) {
    std::random_device rd;
    c.seed = (static_cast<std::uint64_t>(rd()) << 32 | rd()) | 1;
  }
  return "";
}

}  // namespace faultline::harness
