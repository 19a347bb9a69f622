// clock: wall-clock skew of node processes through libfaketime offset files
// (clock_file.h). `bump` moves target clocks by ±10 ms .. ±4 min; `strobe`
// flips them between 0 and such an offset every period (10 ms .. 1 s) for the
// window; the window closes by resetting them to 0. Every change of offset is
// in the window's parameters, so reports can plot each node's clock.
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "faultline/nemesis/clock_file.h"
#include "faults.h"

namespace faultline::nemesis {
namespace {

// Log-uniform magnitude between 10 ms and 2^18 ms (~4.4 min), random sign:
// small skews that only reorder close writes and large ones that flip
// everything are both common.
std::int64_t draw_offset_ms(std::mt19937_64& rng) {
  const double magnitude = std::pow(2.0, uniform(rng, std::log2(10.0), 18.0));
  const std::int64_t ms = static_cast<std::int64_t>(magnitude);
  return (rng() & 1) ? ms : -ms;
}

class ClockFault final : public Fault {
 public:
  ClockFault(NodeControl& control, const NemesisOptions& options) : control_(control), options_(options) {}
  ~ClockFault() override { stop_strobe(); }

  std::string name() const override { return "clock"; }

  FaultWindow start(std::mt19937_64& rng) override {
    if (options_.clock_dir.empty()) throw FaultError("clock faults need nodes started under libfaketime (no clock_dir)");
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
        const auto period = std::chrono::milliseconds(static_cast<long>(std::pow(10.0, uniform(rng, 1.0, 3.0))));
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
      Status st = write_clock_offset(clock_file(options_.clock_dir, node), 0);
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
    if (options_.clock_dir.empty()) return errors;
    for (const auto& node : node_names(control_)) {
      Status st = write_clock_offset(clock_file(options_.clock_dir, node), 0);
      if (!st) errors.push_back("resetting the clock of " + node + ": " + st.error);
    }
    return errors;
  }

 private:
  void set(const std::string& node, std::int64_t offset_ms) {
    Status st = write_clock_offset(clock_file(options_.clock_dir, node), offset_ms);
    if (!st) throw FaultError("skewing the clock of " + node + ": " + st.error);
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
        for (const auto& node : nodes) write_clock_offset(clock_file(options_.clock_dir, node), skewed ? delta : 0);
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
