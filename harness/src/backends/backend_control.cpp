#include "backends/backend_control.h"

#include <stdexcept>
#include <thread>

#include "faultline/workloads/kv_client.h"
#include "backends/manifest.h"

namespace faultline::harness {
using Clock = std::chrono::steady_clock;

BackendNodeControl::BackendNodeControl(Backend& backend, std::vector<NodeAddress> nodes,
                                       std::map<std::string, NodeSpec> specs, std::chrono::milliseconds ready_timeout)
    : backend_(backend), nodes_(std::move(nodes)), specs_(std::move(specs)), ready_timeout_(ready_timeout) {}

std::vector<nemesis::NemesisNode> BackendNodeControl::nodes() const {
  std::vector<nemesis::NemesisNode> out;
  for (const auto& n : nodes_) out.push_back({n.name, n.host});
  return out;
}

const NodeAddress& BackendNodeControl::address_of(const std::string& node) const {
  for (const auto& n : nodes_)
    if (n.name == node) return n;
  throw std::invalid_argument("no node " + node + " in this run");
}

std::vector<std::string> BackendNodeControl::in_node(const std::string& node,
                                                     const std::vector<std::string>& argv) const {
  return backend_.node_command(node, argv);
}

std::string BackendNodeControl::device(const std::string& node) const { return backend_.node_device(node); }

std::vector<std::pair<std::string, std::string>> BackendNodeControl::env() const {
  // Tagged like the nodes, so `faultline cleanup` finds a shaper a crashed
  // controller left running.
  return {{kRunIdEnv, backend_.run_id()}};
}

bool BackendNodeControl::running(const std::string& node) { return backend_.running(node); }
pid_t BackendNodeControl::pid(const std::string& node) { return backend_.pid(node); }
void BackendNodeControl::kill(const std::string& node) { backend_.kill(node); }
void BackendNodeControl::sigstop(const std::string& node) { backend_.pause(node); }
void BackendNodeControl::sigcont(const std::string& node) { backend_.resume(node); }

void BackendNodeControl::restart(const std::string& node) {
  auto spec = specs_.find(node);
  if (spec == specs_.end()) throw std::invalid_argument("no node " + node + " in this run");
  backend_.start(spec->second);
  const NodeAddress& address = address_of(node);
  const auto deadline = Clock::now() + ready_timeout_;
  while (true) {
    if (!backend_.running(node)) throw std::runtime_error("node " + node + " exited right after its restart");
    workloads::KvClient client(address.address(), std::chrono::milliseconds(300));
    if (client.ping().ok()) return;
    if (Clock::now() > deadline) {
      throw std::runtime_error("node " + node + " did not answer ping within " +
                               std::to_string(ready_timeout_.count()) + " ms of its restart");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void BackendNodeControl::set_zombie(const std::string& node, bool on) {
  workloads::KvClient client(address_of(node).address(), std::chrono::milliseconds(2000));
  workloads::KvResult r = client.call({{"op", "admin"}, {"zombie", on}}, false);
  if (!r.ok()) throw std::runtime_error("zombie mode " + std::string(on ? "on" : "off") + " on " + node + ": " +
                                        r.error + (r.message.empty() ? "" : " (" + r.message + ")"));
}

}  // namespace faultline::harness
