// clock: wall-clock skew of node processes through libfaketime offset files
// (clock_file.h), or, with clock_mode "host" (the ssh backend), of whole
// hosts, stepped by `faultline-agent clock-step` by the difference between
// the offset wanted and the one the host has (tracked here, so healing steps
// back by exactly what was added). `bump` moves target clocks by ±10 ms .. ±4 min; `strobe`
// flips them between 0 and such an offset every period (10 ms .. 1 s) for the
// window; the window closes by resetting them to 0. Every change of offset is
// in the window's parameters, so reports can plot each node's clock.
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "faultline/nemesis/clock_file.h"
#include "faults/faults.h"

namespace faultline::nemesis {
using process::CommandResult;
using process::Status;
namespace {

// Log-uniform magnitude between 10 ms and 2^18 ms (~4.4 min), random sign:
// small skews that only reorder close writes and large ones that flip
// everything are both common.
std::int64_t draw_offset_ms(std::mt19937_64& rng) {
  const double magnitude = std::pow(2.0, uniform(rng, std::log2(10.0), 18.0));
  const std::int64_t ms = static_cast<std::int64_t>(magnitude);
  return (rng() & 1) ? ms : -ms;
}

std::string this_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  in >> id;
  return id;
}

// Stops whichever time daemon runs (they would step the clock back within
// seconds) and prints the ones it stopped, to be started again at heal.
constexpr const char* kStopNtp =
    "for s in systemd-timesyncd chrony chronyd ntp ntpsec openntpd; do "
    "systemctl is-active --quiet $s 2>/dev/null && systemctl stop $s && echo $s; done; true";

class ClockFault final : public Fault {
 public:
  ClockFault(NodeControl& control, const NemesisOptions& options)
      : control_(control), options_(options), host_mode_(options.clock_mode == "host"), boot_id_(this_boot_id()) {}
  ~ClockFault() override { stop_strobe(); }

  std::string name() const override { return "clock"; }

  FaultWindow start(std::mt19937_64& rng) override {
    if (!host_mode_ && options_.clock_dir.empty()) {
      throw FaultError("clock faults need nodes started under libfaketime (no clock_dir)");
    }
    if (host_mode_) stop_ntp();
    FaultWindow w;
    w.nodes = select_targets(node_names(control_), pick(options_.targets, rng), rng);
    const bool strobe = (rng() % 3) == 0;  // bumps are the common case
    nlohmann::json offsets = nlohmann::json::object();
    try {
      if (!strobe) {
        for (const auto& node : w.nodes) {
          const std::int64_t off = draw_offset_ms(rng);
          set(node, off);
          offsets[node] = off;
        }
        w.params = {{"mode", "bump"}, {"offsets_ms", offsets}};
      } else {
        const std::int64_t delta = draw_offset_ms(rng);
        auto period = std::chrono::milliseconds(static_cast<long>(std::pow(10.0, uniform(rng, 1.0, 3.0))));
        // A host step is a command on the host (an ssh round trip): not
        // faster than five a second.
        if (host_mode_) period = std::max(period, std::chrono::milliseconds(200));
        for (const auto& node : w.nodes) offsets[node] = delta;
        start_strobe(w.nodes, delta, period);
        w.params = {{"mode", "strobe"}, {"delta_ms", delta}, {"period_ms", period.count()}, {"offsets_ms", offsets}};
      }
    } catch (...) {
      heal_all();
      throw;
    }
    active_ = w.nodes;
    return w;
  }

  nlohmann::json stop() override {
    stop_strobe();
    nlohmann::json offsets = nlohmann::json::object();
    std::string error;
    for (const auto& node : active_) {
      Status st = apply(node, 0);
      if (!st && error.empty()) error = st.error;
      offsets[node] = 0;
    }
    active_.clear();
    if (!error.empty()) throw FaultError(error);
    return {{"mode", "reset"}, {"offsets_ms", offsets}};
  }

  std::vector<std::string> heal_all() override {
    stop_strobe();
    active_.clear();
    std::vector<std::string> errors;
    if (!host_mode_ && options_.clock_dir.empty()) return errors;
    for (const auto& node : node_names(control_)) {
      Status st = apply(node, 0);
      if (!st) errors.push_back("resetting the clock of " + node + ": " + st.error);
    }
    if (host_mode_) restart_ntp(errors);
    return errors;
  }


 private:
  void set(const std::string& node, std::int64_t offset_ms) {
    Status st = apply(node, offset_ms);
    if (!st) throw FaultError("skewing the clock of " + node + ": " + st.error);
  }

  // Gives `node` the offset: its faketime file, or a step of its host by
  // the difference to the offset it has.
  Status apply(const std::string& node, std::int64_t offset_ms) {
    if (!host_mode_) return write_clock_offset(clock_file(options_.clock_dir, node), offset_ms);
    std::int64_t delta = 0;
    {
      std::lock_guard<std::mutex> lock(offsets_mu_);
      delta = offset_ms - host_offset_[node];
    }
    if (delta == 0) return {};
    try {
      run_in_node(control_, node,
                  {options_.agent.string(), "clock-step", "--delta-ms", std::to_string(delta), "--refuse-boot-id",
                   boot_id_});
    } catch (const std::exception& e) {
      return Status::failure(e.what());
    }
    std::lock_guard<std::mutex> lock(offsets_mu_);
    host_offset_[node] = offset_ms;
    return {};
  }

  void stop_ntp() {
    std::vector<std::string> nodes;
    {
      std::lock_guard<std::mutex> lock(offsets_mu_);
      if (ntp_checked_) return;
      ntp_checked_ = true;
      nodes = node_names(control_);
    }
    for (const auto& node : nodes) {
      CommandResult r = run_in_node(control_, node, {"sh", "-c", kStopNtp});
      std::vector<std::string> stopped;
      std::istringstream lines(r.output);
      for (std::string l; std::getline(lines, l);)
        if (!l.empty()) stopped.push_back(l);
      if (!stopped.empty()) options_.log("clock: stopped " + join(stopped) + " on " + node + " for the run");
      std::lock_guard<std::mutex> lock(offsets_mu_);
      ntp_stopped_[node] = stopped;
    }
  }

  // Starts the time daemons stop_ntp() stopped; they step the clock back to
  // true time themselves (chrony told to at once).
  void restart_ntp(std::vector<std::string>& errors) {
    std::map<std::string, std::vector<std::string>> stopped;
    {
      std::lock_guard<std::mutex> lock(offsets_mu_);
      stopped.swap(ntp_stopped_);
    }
    for (const auto& [node, services] : stopped) {
      if (services.empty()) continue;
      try {
        run_in_node(control_, node,
                    {"sh", "-c", "systemctl start " + join(services, " ") +
                                     " && { command -v chronyc >/dev/null 2>&1 && chronyc -a makestep >/dev/null 2>&1; true; }"});
      } catch (const std::exception& e) {
        errors.push_back("restarting the time service on " + node + ": " + e.what());
      }
    }
  }

  void start_strobe(std::vector<std::string> nodes, std::int64_t delta, std::chrono::milliseconds period) {
    stop_strobe();
    for (const auto& node : nodes) set(node, delta);
    {
      std::lock_guard<std::mutex> lock(mu_);
      strobing_ = true;
    }
    strober_ = std::thread([this, nodes = std::move(nodes), delta, period] {
      bool skewed = true;
      std::unique_lock<std::mutex> lock(mu_);
      while (!cv_.wait_for(lock, period, [this] { return !strobing_; })) {
        skewed = !skewed;
        for (const auto& node : nodes) apply(node, skewed ? delta : 0);
      }
    });
  }

  void stop_strobe() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      strobing_ = false;
    }
    cv_.notify_all();
    if (strober_.joinable()) strober_.join();
  }

  NodeControl& control_;
  NemesisOptions options_;
  const bool host_mode_;
  const std::string boot_id_;  // this machine's: the agent refuses hosts that have it
  mutable std::mutex offsets_mu_;
  std::map<std::string, std::int64_t> host_offset_;             // host mode: what each host was stepped by
  std::map<std::string, std::vector<std::string>> ntp_stopped_;  // host mode: time daemons to start again
  bool ntp_checked_ = false;
  std::vector<std::string> active_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool strobing_ = false;
  std::thread strober_;
};

}  // namespace

std::unique_ptr<Fault> make_clock_fault(NodeControl& control, const NemesisOptions& options) {
  return std::make_unique<ClockFault>(control, options);
}

}  // namespace faultline::nemesis
