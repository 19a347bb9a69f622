// The run's progress line: elapsed / limit, ops/s, ok/fail/info, active
// faults. On a terminal it rewrites one line in place; otherwise it prints a
// plain line every few seconds, which reads well in CI logs.
#ifndef FAULTLINE_HARNESS_PROGRESS_H_
#define FAULTLINE_HARNESS_PROGRESS_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>
#include <thread>

#include "faultline/workloads/workload.h"

namespace faultline::harness {

class Progress {
 public:
  // `faults` is called from the progress thread; it returns the active fault
  // names ("" when none).
  Progress(std::ostream& out, bool terminal, double limit_s, const workloads::Stats& stats,
           std::function<std::string()> faults);
  ~Progress();  // stops and prints a final line
  void stop();

  static bool is_terminal(std::ostream& out);

 private:
  void loop();
  std::string line() const;

  std::ostream& out_;
  const bool terminal_;
  const double limit_s_;
  const workloads::Stats& stats_;
  std::function<std::string()> faults_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace faultline::harness

#endif  // FAULTLINE_HARNESS_PROGRESS_H_
