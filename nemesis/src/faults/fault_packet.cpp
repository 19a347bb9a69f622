// packet: delay, loss, duplicate, reorder, corrupt or rate limits on the
// traffic from target nodes to their peers (never to the controller's
// clients), with Jepsen's defaults. Two mechanisms behind one fault:
//   netem    - `faultline-agent netem` in the node's namespace: a prio qdisc,
//              netem in its own band, u32 filters per destination (libnl);
//   nfqueue  - `faultline-agent shape`, a userspace shaper holding verdicts on
//              queued packets, for kernels without sch_netem (this project's
//              CI machines). It runs for the window and is stopped to heal.
#include <cmath>
#include <functional>
#include <map>
#include <mutex>

#include "packet/netem_fault.h"
#include "packet/shape_agent.h"
#include "faultline/process/background.h"
#include "faults/faults.h"

namespace faultline::nemesis {
using process::BackgroundCommand;
using process::CommandResult;
using process::Status;
namespace {

constexpr int kShaperQueue = 7;  // queues are per namespace; any fixed number will do

// One kind of packet fault with Jepsen's defaults (delay 50 ms ± 10 ms;
// loss, duplicate, reorder, corrupt 20 % with 75 % correlation; rate
// 1 Mbit), in netem's terms. The shaper takes the same fault through
// to_shape_params; the window records it as `params`.
NetemFault jepsen_fault(const std::string& kind) {
  NetemFault f;
  if (kind == "delay") f.delay = DelayFault::jepsen();
  if (kind == "reorder") {
    // Reordering needs a delay for the other packets to be overtaken.
    f.delay = DelayFault::jepsen();
    f.reorder = ChanceFault::jepsen();
  }
  if (kind == "rate") f.rate_kbit = kJepsenRateKbit;
  if (kind == "loss") f.loss = ChanceFault::jepsen();
  if (kind == "duplicate") f.duplicate = ChanceFault::jepsen();
  if (kind == "corrupt") f.corrupt = ChanceFault::jepsen();
  return f;
}

nlohmann::json params_of(const NetemFault& f) {
  // Whole numbers stay integers in the history ("delay_ms": 50).
  auto num = [](double v) {
    return v == std::floor(v) ? nlohmann::json(static_cast<std::int64_t>(v)) : nlohmann::json(v);
  };
  nlohmann::json p = nlohmann::json::object();
  if (f.delay) p.update({{"delay_ms", num(f.delay->ms)}, {"jitter_ms", num(f.delay->jitter_ms)}});
  auto chance = [&](const std::string& kind, const std::optional<ChanceFault>& c) {
    if (c) p.update({{kind, num(c->percent)}, {kind + "_corr", num(c->correlation)}});
  };
  chance("loss", f.loss);
  chance("duplicate", f.duplicate);
  chance("reorder", f.reorder);
  chance("corrupt", f.corrupt);
  if (f.rate_kbit) p["rate_kbit"] = *f.rate_kbit;
  return p;
}

// netem's percentages as the shaper's fractions.
ShapeParams to_shape_params(const NetemFault& f) {
  ShapeParams p;
  if (f.delay) {
    p.delay = std::chrono::microseconds(static_cast<std::int64_t>(f.delay->ms * 1000));
    p.jitter = std::chrono::microseconds(static_cast<std::int64_t>(f.delay->jitter_ms * 1000));
  }
  auto chance = [](const std::optional<ChanceFault>& c, double* v, double* corr) {
    if (c) *v = c->percent / 100, *corr = c->correlation / 100;
  };
  chance(f.loss, &p.loss, &p.loss_correlation);
  chance(f.duplicate, &p.duplicate, &p.duplicate_correlation);
  chance(f.reorder, &p.reorder, &p.reorder_correlation);
  chance(f.corrupt, &p.corrupt, &p.corrupt_correlation);
  if (f.rate_kbit) p.rate_kbit = *f.rate_kbit;
  return p;
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
    const NetemFault fault = jepsen_fault(kind);
    w.params = params_of(fault);
    w.params.update({{"mechanism", options_.packet_mechanism}, {"kind", kind}});
    // The shapers' own randomness follows the run's seed without drawing
    // from `rng`, so the schedule's later choices stay what they were.
    const std::uint64_t shaper_seed = std::mt19937_64(rng)();
    apply_all(w.nodes, [&](const std::string& node) { apply(node, fault, shaper_seed ^ std::hash<std::string>{}(node)); });
    return w;
  }

 private:
  // Every peer's address except the node's own: client traffic from the
  // controller is never shaped.
  std::vector<std::string> peers_of(const std::string& node) const {
    std::vector<std::string> ips;
    for (const auto& n : control_.nodes())
      if (n.name != node) ips.push_back(n.ip);
    return ips;
  }

  std::vector<std::string> agent_command(std::vector<std::string> args) const {
    args.insert(args.begin(), options_.agent.string());
    return args;
  }

  void apply(const std::string& node, NetemFault fault, std::uint64_t seed) {
    fault.destinations = peers_of(node);
    if (options_.packet_mechanism == "netem") {
      run_in_node(control_, node, agent_command(agent_netem_args(control_.device(node), fault)));
      return;
    }
    ShaperOptions shaper_options;
    shaper_options.queue = kShaperQueue;
    shaper_options.destinations = fault.destinations;
    shaper_options.params = to_shape_params(fault);
    shaper_options.seed = seed;
    std::vector<std::string> wrapped = control_.in_node(node, agent_command(shape_agent_args(shaper_options)));
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
      run_in_node(control_, node, agent_command(agent_netem_clear_args(control_.device(node))));
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
