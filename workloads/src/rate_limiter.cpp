#include "rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>

namespace faultline::workloads {

using Clock = std::chrono::steady_clock;

RateLimiter::RateLimiter(double rate) {
  if (!std::isfinite(rate) || rate < 0)
    throw std::invalid_argument("rate must be a finite number >= 0 ops/s, got " + std::to_string(rate));
  if (rate > 0) interval_ = std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(1e9 / rate)));
}

bool RateLimiter::acquire(const std::atomic<bool>& stop, Clock::time_point deadline) {
  return acquire([&stop] { return stop.load(); }, deadline);
}

bool RateLimiter::acquire(const std::function<bool()>& stopped, Clock::time_point deadline) {
  if (stopped()) return false;
  Clock::time_point slot;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    slot = std::max(now, next_);
    if (slot >= deadline) return false;
    next_ = slot + interval_;
  }
  // Sleep in short steps so a stop is seen promptly.
  for (;;) {
    if (stopped()) return false;
    const auto now = Clock::now();
    if (now >= slot) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(slot - now, std::chrono::milliseconds(10)));
  }
}

}  // namespace faultline::workloads
