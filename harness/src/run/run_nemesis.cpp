#include "run/run_nemesis.h"

#include <algorithm>
#include <iomanip>

#include "faultline/nemesis/fault.h"

namespace faultline::harness {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

RunNemesis::RunNemesis(const RunConfig& config, Backend& backend, const std::vector<NodeAddress>& nodes,
                       std::map<std::string, NodeSpec> specs, const fs::path& clock_dir, const json& node_config,
                       const fs::path& run_dir, Clock::time_point t0, std::ostream& progress)
    : control_(backend, nodes, std::move(specs),
               std::chrono::milliseconds(static_cast<long>(config.ready_timeout_s * 1000))),
      log_(run_dir / "nemesis.log", std::ios::app),
      t0_(t0) {
  nemesis::NemesisOptions options;
  options.run_id = backend.run_id();
  options.agent = config.agent_binary;
  options.clock_dir = clock_dir;
  // The static membership declares a peer dead after `unreachable_after`
  // failed calls of up to peer_timeout_ms each: pauses are drawn around that.
  options.suspicion_timeout = std::chrono::milliseconds(
      std::max(500, node_config.value("peer_timeout_ms", 500) * node_config.value("unreachable_after", 2)));
  if (!config.nemesis_targets.empty()) options.targets = config.nemesis_targets;
  options.packet_mechanism = config.packet_mechanism;
  options.packet_kinds = config.packet_faults;
  options.local_processes = backend.local_processes();
  // Nodes on hosts of their own: clock faults step the hosts' clocks.
  options.clock_mode = backend.local_processes() ? "faketime" : "host";
  options.log = [this, &progress](const std::string& line) {
    this->log(line);
    std::lock_guard<std::mutex> lock(progress_mu_);
    if (!running_) progress << "  " << line << "\n" << std::flush;
  };
  std::vector<std::unique_ptr<nemesis::Fault>> faults;
  for (const auto& f : config.nemesis) faults.push_back(nemesis::make_fault(f, control_, options));
  schedule_ = std::make_unique<nemesis::Schedule>(
      std::move(faults), std::chrono::milliseconds(static_cast<long>(config.nemesis_interval_s * 1000)), config.seed,
      [this](const nemesis::FaultEvent& e) { record(e); }, options.log);
}

void RunNemesis::start(history::HistoryWriter& writer) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    writer_ = &writer;
  }
  {
    std::lock_guard<std::mutex> lock(progress_mu_);
    running_ = true;
  }
  schedule_->start();
}

std::vector<std::string> RunNemesis::heal() {
  if (healed_) return {};
  healed_ = true;
  std::vector<std::string> errors = schedule_->stop_and_heal();
  for (const auto& e : errors) log("heal: " + e);
  log("healed" + std::string(errors.empty() ? "" : " with " + std::to_string(errors.size()) + " errors") + " after " +
      std::to_string(schedule_->windows_opened()) + " windows");
  std::lock_guard<std::mutex> lock(mu_);
  writer_ = nullptr;
  return errors;
}

std::string RunNemesis::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_;
}

void RunNemesis::record(const nemesis::FaultEvent& e) {
  std::string nodes;
  for (const auto& n : e.nodes) nodes += (nodes.empty() ? "" : ",") + n;
  log(std::string(e.start ? "start " : "stop ") + e.fault + " on " + nodes + " " + e.params.dump());
  std::lock_guard<std::mutex> lock(mu_);
  active_ = e.start ? e.fault + " on " + nodes : "";
  if (writer_ == nullptr) return;
  history::NemesisEvent ev;
  ev.time = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0_).count();
  ev.phase = e.start ? history::FaultPhase::kStart : history::FaultPhase::kStop;
  ev.fault = e.fault;
  ev.nodes = e.nodes;
  ev.params = e.params;
  writer_->append(ev);
}

void RunNemesis::log(const std::string& line) {
  std::lock_guard<std::mutex> lock(log_mu_);
  log_ << std::fixed << std::setprecision(3) << std::chrono::duration<double>(Clock::now() - t0_).count() << " " << line
       << "\n"
       << std::flush;
}

}  // namespace faultline::harness
