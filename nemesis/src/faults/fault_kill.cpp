// kill: SIGKILL of target nodes; the window closes by starting them again on
// the same data dir (a crash-restart, not a wipe).
#include "faults/faults.h"

namespace faultline::nemesis {
namespace {

class KillFault final : public Fault {
 public:
  KillFault(NodeControl& control, const NemesisOptions& options) : control_(control), options_(options) {}

  std::string name() const override { return "kill"; }

  FaultWindow start(std::mt19937_64& rng) override {
    FaultWindow w;
    w.nodes = select_targets(node_names(control_), pick(options_.targets, rng), rng);
    for (const auto& node : w.nodes) control_.kill(node);
    w.params = {{"signal", "SIGKILL"}};
    return w;
  }

  nlohmann::json stop() override {
    std::vector<std::string> errors = restart_dead();
    if (!errors.empty()) throw FaultError(errors.front());
    return nlohmann::json::object();
  }

  std::vector<std::string> heal_all() override { return restart_dead(); }

 private:
  // Restarts every node that is not running, whoever killed it.
  std::vector<std::string> restart_dead() {
    std::vector<std::string> errors;
    for (const auto& node : node_names(control_)) {
      try {
        if (!control_.running(node)) control_.restart(node);
      } catch (const std::exception& e) {
        errors.push_back("restarting " + node + ": " + e.what());
      }
    }
    return errors;
  }

  NodeControl& control_;
  NemesisOptions options_;
};

}  // namespace

std::unique_ptr<Fault> make_kill_fault(NodeControl& control, const NemesisOptions& options) {
  return std::make_unique<KillFault>(control, options);
}

}  // namespace faultline::nemesis
