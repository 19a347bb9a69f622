// The nemesis schedule: one thread that, until stopped, waits an interval,
// opens a window of a fault drawn from the enabled ones, holds it, closes it,
// and repeats. Every window is recorded as a start and a stop event. Draws
// come from the run's seed only, so the same seed gives the same sequence of
// faults, targets and parameters (their timing follows the run's progress).
//
// Windows never overlap: each fault's effect is seen alone, and healing one
// never undoes another.
//
// Invariants: every recorded start is followed by its stop (also when the
// schedule is stopped mid-window); stop_and_heal() leaves every fault healed
// (heal_all on each), whatever happened before.
#ifndef FAULTLINE_NEMESIS_SCHEDULE_H_
#define FAULTLINE_NEMESIS_SCHEDULE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/nemesis/fault.h"

namespace faultline::nemesis {

struct FaultEvent {
  bool start = true;
  std::string fault;
  std::vector<std::string> nodes;
  nlohmann::json params = nlohmann::json::object();
};

class Schedule {
 public:
  using Recorder = std::function<void(const FaultEvent&)>;
  using Log = std::function<void(const std::string&)>;

  Schedule(std::vector<std::unique_ptr<Fault>> faults, std::chrono::milliseconds interval, std::uint64_t seed,
           Recorder record, Log log);
  ~Schedule();
  Schedule(const Schedule&) = delete;
  Schedule& operator=(const Schedule&) = delete;

  void start();
  // Stops the loop (closing an open window), then heals every fault. Returns
  // one line per thing that could not be healed. Idempotent.
  std::vector<std::string> stop_and_heal();

  int windows_opened() const;
  int start_failures() const;

 private:
  void loop();
  // Waits up to `d`; false when stopping.
  bool wait(std::chrono::milliseconds d);

  std::vector<std::unique_ptr<Fault>> faults_;
  const std::chrono::milliseconds interval_;
  std::mt19937_64 rng_;
  Recorder record_;
  Log log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool healed_ = false;
  int windows_ = 0;
  int failures_ = 0;
  std::thread thread_;
};

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_SCHEDULE_H_
