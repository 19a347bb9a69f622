#include "faultline/nemesis/schedule.h"

namespace faultline::nemesis {

Schedule::Schedule(std::vector<std::unique_ptr<Fault>> faults, std::chrono::milliseconds interval, std::uint64_t seed,
                   Recorder record, Log log)
    : faults_(std::move(faults)), interval_(interval), rng_(seed), record_(std::move(record)), log_(std::move(log)) {}

Schedule::~Schedule() {
  if (!healed_) stop_and_heal();
}

void Schedule::start() {
  if (faults_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

bool Schedule::wait(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

void Schedule::loop() {
  while (wait(interval_)) {
    Fault& fault = *faults_[rng_() % faults_.size()];
    FaultWindow window;
    try {
      window = fault.start(rng_);
    } catch (const std::exception& e) {
      // Not recorded as a window: nothing (left) applied. The run log says why.
      log_("nemesis: " + fault.name() + " could not start: " + e.what());
      std::lock_guard<std::mutex> lock(mu_);
      ++failures_;
      continue;
    }
    record_({true, fault.name(), window.nodes, window.params});
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++windows_;
    }
    wait(fault.hold(rng_, interval_));
    FaultEvent stop{false, fault.name(), window.nodes, nlohmann::json::object()};
    try {
      stop.params = fault.stop();
    } catch (const std::exception& e) {
      // Recorded as closed (heal_all at the end retries); the log says what failed.
      stop.params = {{"error", e.what()}};
      log_("nemesis: healing " + fault.name() + " failed: " + e.what());
    }
    record_(stop);
  }
}

std::vector<std::string> Schedule::stop_and_heal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  healed_ = true;
  std::vector<std::string> errors;
  for (auto& f : faults_) {
    for (auto& e : f->heal_all()) errors.push_back(f->name() + ": " + e);
  }
  return errors;
}

int Schedule::windows_opened() const {
  std::lock_guard<std::mutex> lock(mu_);
  return windows_;
}

int Schedule::start_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

}  // namespace faultline::nemesis
