// `faultline run`'s configuration: its JSON form (config.json) and the checks
// that refuse bad flags and combinations before anything starts.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "faultline/harness/backend.h"
#include "faultline/harness/runner.h"
#include "faultline/nemesis/capabilities.h"
#include "faultline/nemesis/clock_file.h"
#include "faultline/process/command.h"
#include "faultline/nemesis/fault.h"
#include "faultline/node/config.h"
#include "faultline/workloads/workload.h"
#include "backends/node_launch.h"
#include "ssh/ssh_checks.h"
#include "faultline/process/text.h"
#include "run/run_options.h"

namespace faultline::harness {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;


// Whether the binary needs libjemalloc (its name is in the dynamic section's
// string table, so a plain byte search of the file finds it).
bool links_jemalloc(const fs::path& binary) {
  std::ifstream in(binary, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes.find("libjemalloc.so") != std::string::npos;
}

// The faults asked for, against what the backend and this machine can do.
std::string validate_nemesis(RunConfig& c) {
  if (c.nemesis.empty()) c.nemesis = {"none"};
  std::vector<std::string> faults;
  try {
    faults = nemesis::expand_faults(c.nemesis);
  } catch (const std::invalid_argument& e) {
    return std::string("--nemesis: ") + e.what();
  }
  if (faults.empty()) {
    c.nemesis = {"none"};
    return "";
  }
  c.nemesis = faults;
  for (const auto& t : c.nemesis_targets) {
    const auto& known = nemesis::known_target_specs();
    if (std::find(known.begin(), known.end(), t) == known.end()) {
      return "--nemesis-targets '" + t + "' is not one of: " + process::join(known, ", ");
    }
  }
  for (const auto& f : faults) {
    if (nemesis::needs_network(f) && c.backend != "netns" && c.backend != "ssh") {
      return "--nemesis " + f + " needs per-node networks: use --backend netns or ssh (the " + c.backend +
             " backend has none)";
    }
  }
  const auto has = [&](const char* f) { return std::find(faults.begin(), faults.end(), f) != faults.end(); };
  // Over ssh, clock faults step the hosts' clocks (probe_ssh_hosts checks
  // them); libfaketime is for nodes on this machine.
  const bool faketime = has("clock") && c.backend != "ssh";
  if (faketime && !nemesis::faketime_library()) {
    return "--nemesis clock needs libfaketime (Debian package libfaketime; ci/install-deps.sh installs it)";
  }
  if (faketime && !c.node_binary.empty() && links_jemalloc(c.node_binary)) {
    // libfaketime cannot start a jemalloc process (libfaketime issue #130):
    // use the build's twin with the C library's malloc.
    fs::path twin = c.node_binary;
    twin += "-libc";
    if (::access(twin.c_str(), X_OK) != 0) {
      return "--nemesis clock: " + c.node_binary.string() + " is linked with jemalloc, which libfaketime cannot run, "
             "and there is no " + twin.string() + " beside it (build the faultline-node-libc target)";
    }
    c.node_binary = twin;
  }
  if (has("partition") && c.backend != "ssh" && !process::find_program("nft") && !process::find_program("iptables")) {
    return "--nemesis partition needs nft or iptables (Debian packages nftables, iptables)";
  }
  if (has("clock") && c.backend == "ssh") {
    // The hosts' clocks are stepped by the agent, copied to each host.
    if (c.agent_binary.empty()) c.agent_binary = find_agent_binary();
    if (c.agent_binary.empty()) {
      return "--nemesis clock over ssh needs faultline-agent (set FAULTLINE_AGENT_BINARY, or put it beside faultline "
             "or on PATH)";
    }
  }
  if (has("packet")) {
    if (c.agent_binary.empty()) c.agent_binary = find_agent_binary();
    if (c.agent_binary.empty()) {
      return "--nemesis packet needs faultline-agent (set FAULTLINE_AGENT_BINARY, or put it beside faultline or on "
             "PATH)";
    }
    // Over ssh the agent sets netem on the host's device (the NFQUEUE
    // shaper runs as long as its command, which an ssh session cannot hold
    // reliably); this machine's probe says nothing about the hosts.
    if (c.backend == "ssh" && c.packet_mechanism.empty()) c.packet_mechanism = "netem";
    if (c.backend == "ssh" && c.packet_mechanism != "netem") {
      return "--backend ssh does packet faults with netem only (the hosts need the sch_netem module)";
    }
    // Probed once, for real, in a scratch namespace: the kernel's netem, else
    // the NFQUEUE shaper.
    if (c.packet_mechanism.empty()) {
      c.packet_mechanism = nemesis::probe_netem().ok ? "netem" : "nfqueue";
    }
    if (c.packet_mechanism != "netem" && c.packet_mechanism != "nfqueue") {
      return "packet mechanism '" + c.packet_mechanism + "' is not one of: netem, nfqueue";
    }
    const auto& can = nemesis::packet_kinds(c.packet_mechanism);
    for (const auto& k : c.packet_faults) {
      const auto& all = nemesis::packet_kinds("netem");
      if (std::find(all.begin(), all.end(), k) == all.end()) {
        return "--packet-faults '" + k + "' is not one of: " + process::join(all, ", ");
      }
      if (std::find(can.begin(), can.end(), k) == can.end()) {
        return "--packet-faults " + k + " is not possible here: this kernel has no sch_netem, and the NFQUEUE "
               "shaper can do only " + process::join(can, ", ") + " (see `faultline doctor`)";
      }
    }
  }
  return "";
}

json ssh_hosts_json(const std::vector<SshHost>& hosts) {
  json out = json::object();
  for (const auto& h : hosts) out[h.name] = h.host;
  return out;
}

}  // namespace

json RunConfig::to_json() const {
  json out = options_to_json(*this);  // every option, from run_options.h's table
  out["ssh_hosts"] = ssh_hosts_json(ssh_hosts);
  out["replay"] = replay_command(*this);
  return out;
}

std::string validate(RunConfig& c) {
  if (c.backend == "ssh") {
    // The hosts decide the cluster's size; read them (and the key) first.
    if (std::string why = validate_ssh_hosts(c); !why.empty()) return why;
  } else if (!c.nodes_file.empty() || !c.node_hosts.empty()) {
    return std::string(c.nodes_file.empty() ? "--node" : "--nodes-file") + " is for --backend ssh" +
           (c.backend.empty() ? "" : " (not " + c.backend + ")");
  }
  // Every option's own range (run_options.h), before combinations.
  if (std::string why = check_ranges(c); !why.empty()) return why;
  if (c.backend.empty()) c.backend = ::geteuid() == 0 ? "netns" : "local";
  const auto& backends = known_backends();
  if (std::find(backends.begin(), backends.end(), c.backend) == backends.end()) {
    return "--backend '" + c.backend + "' is not one of: " + process::join(backends, ", ");
  }
  if (c.backend == "netns" && ::geteuid() != 0) return "--backend netns needs root; use --backend local without root";
  const auto& wls = workloads::known_workloads();
  if (std::find(wls.begin(), wls.end(), c.workload) == wls.end()) {
    return "--workload '" + c.workload + "' is not one of: " + process::join(wls, ", ");
  }
  if (c.nemesis.empty()) c.nemesis = {"none"};
  const auto& presets = node::preset_names();
  if (std::find(presets.begin(), presets.end(), c.store_preset) == presets.end()) {
    return "--store-preset '" + c.store_preset + "' is not one of: " + process::join(presets, ", ");
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
  if (std::string why = validate_nemesis(c); !why.empty()) return why;
  if (c.backend == "ssh") {
    // Last: it connects to every host, which is worth doing only when
    // everything else is right.
    if (std::string why = probe_ssh_hosts(c); !why.empty()) return why;
  }
  if (c.seed == 0) {
    std::random_device rd;
    c.seed = (static_cast<std::uint64_t>(rd()) << 32 | rd()) | 1;
  }
  return "";
}

}  // namespace faultline::harness
