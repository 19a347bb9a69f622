// The Fault implementations, one per file (fault_<name>.cpp); make_fault()
// in fault.cpp is their only caller.
#ifndef FAULTLINE_NEMESIS_FAULTS_H_
#define FAULTLINE_NEMESIS_FAULTS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "faultline/nemesis/fault.h"
#include "faultline/process/command.h"
#include "faultline/process/text.h"

namespace faultline::nemesis {

std::unique_ptr<Fault> make_partition_fault(NodeControl& control, const NemesisOptions& options);
std::unique_ptr<Fault> make_packet_fault(NodeControl& control, const NemesisOptions& options);
std::unique_ptr<Fault> make_pause_fault(NodeControl& control, const NemesisOptions& options);
std::unique_ptr<Fault> make_kill_fault(NodeControl& control, const NemesisOptions& options);
std::unique_ptr<Fault> make_clock_fault(NodeControl& control, const NemesisOptions& options);
std::unique_ptr<Fault> make_zombie_fault(NodeControl& control, const NemesisOptions& options);

// Runs `argv` inside `node` (NodeControl::in_node) with the run's environment.
// With must_succeed, a failure throws FaultError naming the node, the
// command and its first output line.
process::CommandResult run_in_node(NodeControl& control, const std::string& node, const std::vector<std::string>& argv,
                          bool must_succeed = true);

std::vector<std::string> node_names(const NodeControl& control);

// "a, b, c" (or with another separator), for messages and parameters.
using process::join;

// Runs `fn` for every node at once (one thread each): per-node commands are
// independent, and on a loaded machine one after another would stretch a
// window's start over seconds. Returns the error messages of the calls that
// threw, in node order.
std::vector<std::string> for_each_node(const std::vector<std::string>& nodes,
                                       const std::function<void(const std::string&)>& fn);

// A fault applied and healed node by node, every node at once
// (for_each_node): partitions, packet faults, zombies. It keeps the window's
// nodes, so stop() heals those and heal_all() every node.
class PerNodeFault : public Fault {
 public:
  nlohmann::json stop() override;
  std::vector<std::string> heal_all() override;

 protected:
  explicit PerNodeFault(NodeControl& control) : control_(control) {}
  // Applies `apply` to each of `nodes`; if any fails, heals every node and
  // throws the first failure as FaultError. Otherwise the nodes are the
  // open window's.
  void apply_all(const std::vector<std::string>& nodes, const std::function<void(const std::string&)>& apply);
  // Undoes the fault on one node (nothing there is fine); throws on failure.
  virtual void heal_node(const std::string& node) = 0;

  NodeControl& control_;

 private:
  std::vector<std::string> heal(const std::vector<std::string>& nodes);
  std::vector<std::string> active_;
};

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_FAULTS_H_
