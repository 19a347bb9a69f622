// zombie: the store's zombie mode on target nodes — membership and liveness
// probes are answered, data requests hang. The failure a heartbeat cannot see.
#include "faults/faults.h"

namespace faultline::nemesis {
namespace {

class ZombieFault final : public PerNodeFault {
 public:
  ZombieFault(NodeControl& control, const NemesisOptions& options) : PerNodeFault(control), options_(options) {}

  std::string name() const override { return "zombie"; }

  FaultWindow start(std::mt19937_64& rng) override {
    FaultWindow w;
    w.nodes = select_targets(node_names(control_), pick(options_.targets, rng), rng);
    apply_all(w.nodes, [&](const std::string& node) { control_.set_zombie(node, true); });
    return w;
  }

 private:
  void heal_node(const std::string& node) override {
    // A node that is down is not a zombie; a restarted one starts cured.
    if (control_.running(node)) control_.set_zombie(node, false);
  }

  NemesisOptions options_;
};

}  // namespace

std::unique_ptr<Fault> make_zombie_fault(NodeControl& control, const NemesisOptions& options) {
  return std::make_unique<ZombieFault>(control, options);
}

}  // namespace faultline::nemesis
