// partition: a grudge of a random topology applied as drop rules inside each
// node's network namespace (firewall.h).
#include <map>

#include "firewall.h"
#include "grudge.h"
#include "faults/faults.h"

namespace faultline::nemesis {
namespace {

class PartitionFault final : public PerNodeFault {
 public:
  PartitionFault(NodeControl& control, const NemesisOptions& options)
      : PerNodeFault(control), options_(options), tool_(detect_firewall_tool()) {}

  std::string name() const override { return "partition"; }

  FaultWindow start(std::mt19937_64& rng) override {
    std::vector<std::string> names = node_names(control_);
    std::vector<std::string> topologies;
    for (const auto& t : partition_topologies())
      if (names.size() >= 3 || (t != "bridge" && t != "majorities-ring")) topologies.push_back(t);
    const std::string topology = pick(topologies, rng);
    const Grudge grudge = make_grudge(topology, names, rng);
    std::map<std::string, std::string> ip;
    for (const auto& n : control_.nodes()) ip[n.name] = n.ip;
    FaultWindow w;
    for (const auto& [node, drops] : grudge)
      if (!drops.empty()) w.nodes.push_back(node);
    apply_all(w.nodes, [&](const std::string& node) {
      std::vector<std::string> sources;
      for (const auto& d : grudge.at(node)) sources.push_back(ip.at(d));
      for (const auto& argv : drop_commands(tool_, sources)) run_in_node(control_, node, argv);
    });
    w.params = {{"topology", topology},
                {"grudge", grudge_to_json(grudge)},
                {"mechanism", tool_ == FirewallTool::nft ? "nftables" : "iptables"}};
    return w;
  }

  void heal_node(const std::string& node) override {
    for (const auto& argv : heal_commands(tool_)) run_in_node(control_, node, argv);
  }

  NemesisOptions options_;
  FirewallTool tool_;
};

}  // namespace

std::unique_ptr<Fault> make_partition_fault(NodeControl& control, const NemesisOptions& options) {
  return std::make_unique<PartitionFault>(control, options);
}

}  // namespace faultline::nemesis
