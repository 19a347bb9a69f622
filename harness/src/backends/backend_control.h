// The nemesis's hands on a run's nodes (nemesis::NodeControl) implemented
// over the Backend: commands run in a node's namespace through `ip netns
// exec`, kills and restarts through the backend's process layer, zombie mode
// through the node's own admin request. The nemesis stays ignorant of
// backends and of the store.
#ifndef FAULTLINE_HARNESS_BACKEND_CONTROL_H_
#define FAULTLINE_HARNESS_BACKEND_CONTROL_H_

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "faultline/harness/backend.h"
#include "faultline/nemesis/fault.h"

namespace faultline::harness {

class BackendNodeControl final : public nemesis::NodeControl {
 public:
  // `specs` are how each node was started (restart reuses them); a restart
  // waits up to `ready_timeout` for the node to answer ping.
  BackendNodeControl(Backend& backend, std::vector<NodeAddress> nodes, std::map<std::string, NodeSpec> specs,
                     std::chrono::milliseconds ready_timeout);

  std::vector<nemesis::NemesisNode> nodes() const override;
  std::vector<std::string> in_node(const std::string& node, const std::vector<std::string>& argv) const override;
  std::string device(const std::string& node) const override;
  std::vector<std::pair<std::string, std::string>> env() const override;

  bool running(const std::string& node) override;
  pid_t pid(const std::string& node) override;
  void kill(const std::string& node) override;
  void restart(const std::string& node) override;
  void sigstop(const std::string& node) override;
  void sigcont(const std::string& node) override;
  void set_zombie(const std::string& node, bool on) override;

 private:
  const NodeAddress& address_of(const std::string& node) const;

  Backend& backend_;
  const std::vector<NodeAddress> nodes_;
  const std::map<std::string, NodeSpec> specs_;
  const std::chrono::milliseconds ready_timeout_;
};

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_BACKEND_CONTROL_H_
