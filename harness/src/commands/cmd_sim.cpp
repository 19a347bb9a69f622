// `faultline sim membership`: runs the deterministic membership simulator
// (node/sim) and prints one JSON object. Same flags and seed, same output.
#include <charconv>
#include <iostream>
#include <optional>
#include <string>

#include "commands/commands.h"
#include "faultline/harness/cli.h"
#include "faultline/node/sim/membership_sim.h"

namespace faultline::cli {

namespace {

namespace sim = faultline::node::sim;
using faultline::node::swim::kMillis;
using faultline::node::swim::kSeconds;

// "SECONDS@AT" (both in seconds, decimals allowed) -> {length, at}.
std::optional<sim::PauseSpec> parse_span(const std::string& s) {
  const auto at = s.find('@');
  if (at == std::string::npos) return std::nullopt;
  try {
    std::size_t used1 = 0, used2 = 0;
    const double len = std::stod(s.substr(0, at), &used1);
    const double when = std::stod(s.substr(at + 1), &used2);
    if (used1 != at || used2 != s.size() - at - 1) return std::nullopt;
    return sim::PauseSpec{static_cast<sim::Time>(len * 1e6), static_cast<sim::Time>(when * 1e6)};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct Flags {
  sim::SimConfig c;
  std::string mode = "swim";
  double duration_s = 60;
  std::vector<std::string> pauses;
  std::string partition;
  double partition_fraction = 0.5;
  double period_ms = 1000, probe_timeout_ms = 500, gossip_ms = 1000, push_pull_s = 30;
  double heartbeat_ms = 1000, suspect_after_ms = 2500, dead_after_ms = 5000;
  double latency_min_ms = 0.1, latency_max_ms = 2;
  double crash_from_s = -1, crash_to_s = -1;
  bool pretty = false;
};

int run_sim(Flags& f) {
  auto& c = f.c;
  if (f.mode == "swim") c.mode = sim::Mode::kSwim;
  else if (f.mode == "central") c.mode = sim::Mode::kCentral;
  else {
    std::cerr << "faultline sim membership: --mode must be swim or central, not '" << f.mode << "'\n";
    return kExitUsage;
  }
  c.duration = static_cast<sim::Time>(f.duration_s * kSeconds);
  for (const auto& p : f.pauses) {
    auto span = parse_span(p);
    if (!span) {
      std::cerr << "faultline sim membership: --pause '" << p << "' is not SECONDS@AT (e.g. 3@20)\n";
      return kExitUsage;
    }
    c.pauses.push_back(*span);
  }
  if (!f.partition.empty()) {
    auto span = parse_span(f.partition);
    if (!span) {
      std::cerr << "faultline sim membership: --partition '" << f.partition << "' is not SECONDS@AT (e.g. 60@30)\n";
      return kExitUsage;
    }
    c.partition = sim::PartitionSpec{span->at, span->length, f.partition_fraction};
  }
  if (f.crash_from_s >= 0) c.crash_from = static_cast<sim::Time>(f.crash_from_s * kSeconds);
  if (f.crash_to_s >= 0) c.crash_to = static_cast<sim::Time>(f.crash_to_s * kSeconds);
  c.latency_min = static_cast<sim::Time>(f.latency_min_ms * kMillis);
  c.latency_max = static_cast<sim::Time>(f.latency_max_ms * kMillis);
  c.swim.protocol_period = static_cast<sim::Time>(f.period_ms * kMillis);
  c.swim.probe_timeout = static_cast<sim::Time>(f.probe_timeout_ms * kMillis);
  c.swim.gossip_interval = static_cast<sim::Time>(f.gossip_ms * kMillis);
  c.swim.push_pull_interval = static_cast<sim::Time>(f.push_pull_s * kSeconds);
  c.central.heartbeat_interval = static_cast<sim::Time>(f.heartbeat_ms * kMillis);
  c.central.suspect_after = static_cast<sim::Time>(f.suspect_after_ms * kMillis);
  c.central.dead_after = static_cast<sim::Time>(f.dead_after_ms * kMillis);
  if (const std::string err = sim::validate(c); !err.empty()) {
    std::cerr << "faultline sim membership: " << err << "\n";
    return kExitUsage;
  }
  const auto out = sim::run_membership_sim(c);
  std::cout << out.dump(f.pretty ? 2 : -1) << "\n";
  return kExitValid;
}

}  // namespace

void add_sim_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("sim", "Simulations of the store's own mechanisms");
  cmd->require_subcommand(1);
  auto* mem = cmd->add_subcommand(
      "membership",
      "Simulate SWIM/Lifeguard or centralized-heartbeat membership (deterministic, one JSON object)");
  auto f = std::make_shared<Flags>();
  mem->add_option("--nodes", f->c.nodes, "members (2..100000)")->default_val(10);
  mem->add_option("--mode", f->mode, "swim | central")->default_val("swim");
  mem->add_option("--loss", f->c.loss, "datagram loss probability [0, 1)")->default_val(0.0);
  mem->add_option("--crash", f->c.crash, "members that crash (never the monitor)")->default_val(0);
  mem->add_option("--crash-from", f->crash_from_s, "earliest crash time, s (default 20% of duration)");
  mem->add_option("--crash-to", f->crash_to_s, "latest crash time, s (default 50% of duration)");
  mem->add_option("--pause", f->pauses, "SECONDS@AT: pause one random member (repeatable)");
  mem->add_option("--partition", f->partition, "SECONDS@AT: split the members in two, then heal at once");
  mem->add_option("--partition-fraction", f->partition_fraction, "share on the first side")->default_val(0.5);
  mem->add_option("--duration", f->duration_s, "simulated seconds")->default_val(60);
  mem->add_option("--seed", f->c.seed, "random seed")->default_val(1);
  mem->add_option("--latency-min-ms", f->latency_min_ms, "one-way latency, minimum")->default_val(0.1);
  mem->add_option("--latency-max-ms", f->latency_max_ms, "one-way latency, maximum")->default_val(2.0);
  mem->add_option("--period-ms", f->period_ms, "SWIM protocol period")->default_val(1000);
  mem->add_option("--probe-timeout-ms", f->probe_timeout_ms, "SWIM probe timeout")->default_val(500);
  mem->add_option("--indirect-checks", f->c.swim.indirect_checks, "SWIM ping-req helpers k")->default_val(3);
  mem->add_option("--retransmit-mult", f->c.swim.retransmit_mult, "SWIM lambda")->default_val(4);
  mem->add_option("--suspicion-mult", f->c.swim.suspicion_mult, "min suspicion = mult*log10(n)*period")->default_val(2.0);
  mem->add_option("--suspicion-max-mult", f->c.swim.suspicion_max_mult, "max suspicion = this*min")->default_val(3.0);
  mem->add_option("--gossip-interval-ms", f->gossip_ms, "SWIM gossip interval (0: piggyback only)")->default_val(1000);
  mem->add_option("--gossip-fanout", f->c.swim.gossip_fanout, "SWIM gossip fanout")->default_val(1);
  mem->add_option("--urgent-fanout", f->c.swim.urgent_fanout, "SWIM: members told at once of news this node originates")->default_val(3);
  mem->add_option("--relay-refutations", f->c.swim.relay_refutations,
                  "SWIM: members holding a suspicion relay its refutation at once")
      ->default_val(true);
  mem->add_option("--nack-fraction", f->c.swim.nack_fraction,
                  "SWIM: share of the probe timeout after which ping-req helpers nack")
      ->default_val(0.5)
      ->check(CLI::Range(0.05, 1.0));
  mem->add_option("--push-pull-s", f->push_pull_s, "SWIM push-pull interval (0: off)")->default_val(30);
  mem->add_option("--heartbeat-ms", f->heartbeat_ms, "central: heartbeat interval")->default_val(1000);
  mem->add_option("--suspect-after-ms", f->suspect_after_ms, "central: silence before suspect")->default_val(2500);
  mem->add_option("--dead-after-ms", f->dead_after_ms, "central: silence before dead")->default_val(5000);
  mem->add_flag("--pretty", f->pretty, "indent the JSON");
  mem->callback([f, exit_code] { *exit_code = run_sim(*f); });
}

}  // namespace faultline::cli
