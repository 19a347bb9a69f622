// zombie: the store's zombie mode on target nodes — membership and liveness
// probes are answered, data requests hang. The failure a heartbeat cannot see.
#include "faults.h"

namespace faultline::nemesis {
namespace {

class ZombieFault final : public Fault {
 public:
  ZombieFault(NodeControl& control, const NemesisOptions& options) : control_(control), options_(options) {}

  std::string name() const override { return "zombie"; }

  FaultWindow start(std::mt19937_64& rng) override {
    FaultWindow w;
    w.nodes = select_targets(node_names(control_), pick(options_.targets, rng), rng);
    try {
      for (const auto& node : w.nodes) control_.set_zombie(node, true);
    } catch (const std::exception& e) {
      heal_all();
      throw FaultError(e.what());
    }
    active_ = w.nodes;
    return w;
  }

  nlohmann::json stop() override {
    std::vector<std::string> errors = cure(active_);
    active_.clear();
    if (!errors.empty()) throw FaultError(errors.front());
    return nlohmann::json::object();
  }

  std::vector<std::string> heal_all() override {
    active_.clear();
    return cure(node_names(control_));
  }

 private:
  std::vector<std::string> cure(const std::vector<std::string>& nodes) {
    std::vector<std::string> errors;
    for (const auto& node : nodes) {
      try {
        // A node that is down is not a zombie; a restarted one starts cured.
        if (control_.running(node)) control_.set_zombie(node, false);
      } catch (const std::exception& e) {
        errors.push_back("curing zombie " + node + ": " + e.what());
      }
    }
    return errors;
  }

  NodeControl& control_;
  NemesisOptions options_;
  std::vector<std::string> active_;
};

}  // namespace

std::unique_ptr<Fault> make_zombie_fault(NodeControl& control, const NemesisOptions& options) {
  return std::make_unique<ZombieFault>(control, options);
}

}  // namespace faultline::nemesis
