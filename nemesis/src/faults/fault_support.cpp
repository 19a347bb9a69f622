// Helpers shared by the Fault implementations.
#include "faults/faults.h"

#include <thread>

namespace faultline::nemesis {
using process::CommandOptions;
using process::CommandResult;
using process::run_command;

CommandResult run_in_node(NodeControl& control, const std::string& node, const std::vector<std::string>& argv,
                          bool must_succeed) {
  std::vector<std::string> wrapped = control.in_node(node, argv);
  if (wrapped.empty()) throw FaultError("node " + node + " has no network of its own (backend without network faults)");
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(5000);
  options.env = control.env();
  CommandResult r = run_command(wrapped, options);
  if (must_succeed && !r.succeeded()) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    throw FaultError("on " + node + ": `" + cmd + "` failed: " + r.describe());
  }
  return r;
}

std::vector<std::string> node_names(const NodeControl& control) {
  std::vector<std::string> out;
  for (const auto& n : control.nodes()) out.push_back(n.name);
  return out;
}

std::vector<std::string> for_each_node(const std::vector<std::string>& nodes,
                                       const std::function<void(const std::string&)>& fn) {
  std::vector<std::string> errors(nodes.size());
  std::vector<std::thread> threads;
  threads.reserve(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        fn(nodes[i]);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<std::string> out;
  for (auto& e : errors)
    if (!e.empty()) out.push_back(std::move(e));
  return out;
}

void PerNodeFault::apply_all(const std::vector<std::string>& nodes,
                             const std::function<void(const std::string&)>& apply) {
  const std::vector<std::string> errors = for_each_node(nodes, apply);
  if (!errors.empty()) {
    heal_all();
    throw FaultError(errors.front());
  }
  active_ = nodes;
}

std::vector<std::string> PerNodeFault::heal(const std::vector<std::string>& nodes) {
  return for_each_node(nodes, [this](const std::string& node) { heal_node(node); });
}

nlohmann::json PerNodeFault::stop() {
  const std::vector<std::string> errors = heal(active_);
  active_.clear();
  if (!errors.empty()) throw FaultError(errors.front());
  return nlohmann::json::object();
}

std::vector<std::string> PerNodeFault::heal_all() {
  active_.clear();
  return heal(node_names(control_));
}

}  // namespace faultline::nemesis
