// A rate limit shared by every worker of a run: operations start at most
// `rate` per second in total, evenly spaced (no bursts), in the order the
// workers asked. A worker that falls behind does not earn a burst later:
// the next slot is never earlier than now.
#ifndef FAULTLINE_WORKLOADS_RATE_LIMITER_H_
#define FAULTLINE_WORKLOADS_RATE_LIMITER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>

namespace faultline::workloads {

class RateLimiter {
 public:
  // rate in operations per second over all callers; 0 = unlimited.
  // Throws std::invalid_argument for a negative or non-finite rate.
  explicit RateLimiter(double rate);

  // Waits for the caller's slot. Returns false without waiting it out when
  // `stop` becomes true (noticed within 10 ms) or the slot would fall at or
  // after `deadline`; the slot is then given back for nobody.
  bool acquire(const std::atomic<bool>& stop, std::chrono::steady_clock::time_point deadline);
  // The same, with a predicate for callers that watch more than one flag.
  bool acquire(const std::function<bool()>& stopped, std::chrono::steady_clock::time_point deadline);

 private:
  std::chrono::nanoseconds interval_{0};
  std::mutex mutex_;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace faultline::workloads

#endif  // FAULTLINE_WORKLOADS_RATE_LIMITER_H_
