// Steps 1 and 2 of a run: deploy the nodes, wait until every one answers.
#include <algorithm>
#include <thread>

#include "faultline/nemesis/clock_file.h"
#include "faultline/workloads/kv_client.h"
#include "backends/node_launch.h"
#include "run/run_state.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void wait_ready(Backend& backend, const std::vector<NodeAddress>& nodes, const fs::path& run_dir,
                Clock::time_point deadline) {
  std::vector<bool> ready(nodes.size(), false);
  while (true) {
    bool all = true;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (ready[i]) continue;
      const auto& n = nodes[i];
      if (!backend.running(n.name)) {
        throw std::runtime_error("node " + n.name + " exited during start-up; its output:\n" +
                                 log_tail(run_dir / "nodes" / n.name / "output.log") + "its log:\n" +
                                 log_tail(run_dir / "nodes" / n.name / "data" / "node.log", 10));
      }
      workloads::KvClient client(n.address(), std::chrono::milliseconds(300));
      ready[i] = client.ping().ok();
      all = all && ready[i];
    }
    if (all) return;
    if (signalled()) throw std::runtime_error("interrupted while waiting for the cluster");
    if (Clock::now() > deadline) {
      std::string slow;
      for (std::size_t i = 0; i < nodes.size(); ++i)
        if (!ready[i]) slow += " " + nodes[i].name;
      throw std::runtime_error("nodes not answering ping before the ready timeout:" + slow + "; output of the first:\n" +
                               log_tail(run_dir / "nodes" / slow.substr(1, slow.find(' ', 1) - 1) / "output.log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

void deploy(RunState& s) {
  const RunConfig& config = s.config;
  write_json(s.dir / "config.json", s.config_doc);

  BackendOptions backend_options{.run_id = s.rec.id, .state_dir = {}, .port = 7000, .ssh = {}, .tools = {}};
  std::vector<std::string> names;
  if (config.backend == "ssh") {
    backend_options.ssh.hosts = config.ssh_hosts;
    backend_options.ssh.user = config.ssh_user;
    backend_options.ssh.private_key = config.ssh_private_key;
    backend_options.ssh.port = config.ssh_port;
    backend_options.ssh.strict_host_key_checking = config.strict_host_key_checking;
    if (!config.agent_binary.empty()) backend_options.tools.push_back(config.agent_binary);
    for (const auto& h : config.ssh_hosts) names.push_back(h.name);
  } else {
    for (int i = 1; i <= config.nodes; ++i) names.push_back("n" + std::to_string(i));
  }
  s.backend = make_backend(config.backend, backend_options);
  s.nodes = s.backend->create(names);
  const json store_opts = parse_store_opts(config.store_opts);
  s.faults = config.nemesis != std::vector<std::string>{"none"};
  // Over ssh, clock faults step the hosts' own clocks instead.
  const bool clock_skew =
      std::count(config.nemesis.begin(), config.nemesis.end(), "clock") > 0 && s.backend->local_processes();
  // Clock skew: every node runs under libfaketime from the start, reading
  // its offset from a file in the run's scratch dir (removed with the run).
  s.clock_dir = clock_skew ? s.backend->scratch_dir() / "clock" : fs::path();
  if (clock_skew) fs::create_directories(s.clock_dir);
  for (const auto& n : s.nodes) {
    const fs::path node_dir = s.dir / "nodes" / n.name;
    fs::create_directories(node_dir / "data");
    const json c =
        node_config(config.store_preset, store_opts, s.nodes, n, s.backend->node_data_dir(n.name, node_dir / "data"));
    write_json(node_dir / "node.json", c);
    s.node_configs[n.name] = c;
    NodeSpec spec{.name = n.name,
                  .argv = {config.node_binary.string(), "--config", (node_dir / "node.json").string()},
                  .env = {},
                  .data_dir = node_dir / "data",
                  .log_path = node_dir / "output.log"};
    if (clock_skew) {
      const fs::path file = nemesis::clock_file(s.clock_dir, n.name);
      if (auto st = nemesis::write_clock_offset(file, 0); !st) throw std::runtime_error(st.error);
      for (auto& [k, v] : nemesis::faketime_env(*nemesis::faketime_library(), file)) spec.env[k] = v;
    }
    s.backend->start(spec);
    s.specs[n.name] = spec;
  }
  s.config_doc["node_addresses"] = json::object();
  for (const auto& n : s.nodes) s.config_doc["node_addresses"][n.name] = n.address();
  write_json(s.dir / "config.json", s.config_doc);
}

void await_ready(RunState& s) {
  wait_ready(*s.backend, s.nodes, s.dir,
             s.t0 + std::chrono::milliseconds(static_cast<long>(s.config.ready_timeout_s * 1000)));
  s.timings["ready_s"] = seconds_since(s.t0);
  if (s.faults) {
    s.nemesis = std::make_unique<RunNemesis>(s.config, *s.backend, s.nodes, std::move(s.specs), s.clock_dir,
                                             s.node_configs[s.nodes.front().name], s.dir, s.t0, s.progress);
  }
}

}  // namespace faultline::harness
