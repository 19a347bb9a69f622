// packet: delay, loss, duplicate, reorder, corrupt or rate limits on the
// traffic from target nodes to their peers (never to the controller's
// clients), with Jepsen's defaults. Two mechanisms behind one fault:
//   netem    - `faultline-agent netem` in the node's namespace: a prio qdisc,
//              netem in its own band, u32 filters per destination (libnl);
//   nfqueue  - `faultline-agent shape`, a userspace shaper holding verdicts on
//              queued packets, for kernels without sch_netem (this project's
//              CI machines). It runs for the window and is stopped to heal.
#include <map>
#include <mutex>

#include "faultline/nemesis/background.h"
#include "faults.h"

namespace faultline::nemesis {
namespace {

constexpr int kShaperQueue = 7;  // queues are per namespace; any fixed number will do

// Jepsen's defaults: delay 50 ms ± 10 ms; loss, duplicate, reorder, corrupt
// 20 % with 75 % correlation; rate 1 Mbit. The netem agent takes percentages
// as numbers, the shaper as "N%".
std::vector<std::string> kind_flags(const std::string& kind, const std::string& mechanism, nlohmann::json& params) {
  const std::string pct = mechanism == "netem" ? "" : "%";
  if (kind == "delay") {
    params.update({{"delay_ms", 50}, {"jitter_ms", 10}});
    return {"--delay-ms", "50", "--jitter-ms", "10"};
  }
  if (kind == "reorder") {
    // Reordering needs a delay for the other packets to be overtaken.
    params.update({{"delay_ms", 50}, {"jitter_ms", 10}, {"reorder", 20}, {"reorder_corr", 75}});
    return {"--delay-ms", "50", "--jitter-ms", "10", "--reorder", "20" + pct, "--reorder-corr", "75" + pct};
  }
  if (kind == "rate") {
    params["rate_kbit"] = 1000;
    return {"--rate-kbit", "1000"};
  }
  // loss, duplicate, corrupt
  params.update({{kind, 20}, {kind + "_corr", 75}});
  return {"--" + kind, "20" + pct, "--" + kind + "-corr", "75" + pct};
}

class PacketShapeFault final : public PerNodeFault {
 public:
  PacketShapeFault(NodeControl& control, const NemesisOptions& options) : PerNodeFault(control), options_(options) {
    if (options_.packet_kinds.empty()) options_.packet_kinds = packet_kinds(options_.packet_mechanism);
    options_.log("packet faults use " + std::string(options_.packet_mechanism == "netem"
                                                        ? "netem qdiscs (libnl) in each node's namespace"
                                                        : "the NFQUEUE userspace shaper (this kernel has no sch_netem)") +
                 "; kinds: " + join(options_.packet_kinds, ", "));
  }

  std::string name() const override { return "packet"; }

  FaultWindow start(std::mt19937_64& rng) override {
    FaultWindow w;
    w.nodes = select_targets(node_names(control_), pick(options_.targets, rng), rng);
    const std::string kind = pick(options_.packet_kinds, rng);
    w.params = {{"mechanism", options_.packet_mechanism}, {"kind", kind}};
    const std::vector<std::string> flags = kind_flags(kind, options_.packet_mechanism, w.params);
    apply_all(w.nodes, [&](const std::string& node) { apply(node, flags); });
    return w;
  }

 private:
  // Every peer's address except the node's own: client traffic from the
  // controller is never shaped.
  std::string peers_of(const std::string& node) const {
    std::vector<std::string> ips;
    for (const auto& n : control_.nodes())
      if (n.name != node) ips.push_back(n.ip);
    return join(ips, ",");
  }

  void apply(const std::string& node, const std::vector<std::string>& flags) {
    const std::string agent = options_.agent.string();
    if (options_.packet_mechanism == "netem") {
      std::vector<std::string> argv = {agent, "netem", "--dev", control_.device(node), "--dst", peers_of(node)};
      argv.insert(argv.end(), flags.begin(), flags.end());
      run_in_node(control_, node, argv);
      return;
    }
    std::vector<std::string> argv = {agent, "shape", "--queue", std::to_string(kShaperQueue), "--dst", peers_of(node)};
    argv.insert(argv.end(), flags.begin(), flags.end());
    std::vector<std::string> wrapped = control_.in_node(node, argv);
    if (wrapped.empty()) throw FaultError("node " + node + " has no network of its own (backend without network faults)");
    BackgroundCommand shaper;
    Status st = shaper.start(wrapped, control_.env());
    if (st) st = shaper.wait_for_line("shaping", std::chrono::milliseconds(5000));
    if (!st) throw FaultError("starting the packet shaper on " + node + ": " + st.error);
    std::lock_guard<std::mutex> lock(mu_);
    shapers_[node] = std::move(shaper);
  }

  // Throws FaultError when the node may still be shaped.
  void heal_node(const std::string& node) override {
    if (options_.packet_mechanism == "netem") {
      run_in_node(control_, node, {options_.agent.string(), "netem-clear", "--dev", control_.device(node)});
      return;
    }
    BackgroundCommand shaper;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = shapers_.find(node);
      if (it == shapers_.end()) return;
      shaper = std::move(it->second);
      shapers_.erase(it);
    }
    CommandResult r = shaper.terminate();
    // The shaper exits 0 after removing its rules; anything else may have
    // left a rule behind (harmless: rules bypass the queue when nobody listens).
    if (r.exit_code != 0) throw FaultError("packet shaper on " + node + " ended badly: " + r.describe());
  }

  NemesisOptions options_;
  std::mutex mu_;  // shapers_, filled and emptied from one thread per node
  std::map<std::string, BackgroundCommand> shapers_;
};

}  // namespace

const std::vector<std::string>& packet_kinds(const std::string& mechanism) {
  static const std::vector<std::string> kAll = {"delay", "loss", "duplicate", "reorder", "corrupt", "rate"};
  // The shaper does them all (nemesis/SHAPER.md): duplicates go out as marked
  // copies through a raw socket, corruption flips a bit past the IP header.
  (void)mechanism;
  return kAll;
}

std::unique_ptr<Fault> make_packet_fault(NodeControl& control, const NemesisOptions& options) {
  return std::make_unique<PacketShapeFault>(control, options);
}

}  // namespace faultline::nemesis
