// The search budget: a deadline, a memory ceiling shared by every search
// running at once, and a cancel flag. Searches reserve memory before they
// grow, so a history too hard to check ends in `unknown`, never in an
// out-of-memory kill.
#ifndef FAULTLINE_CHECKER_LIN_BUDGET_H_
#define FAULTLINE_CHECKER_LIN_BUDGET_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace faultline::check::lin {

using Clock = std::chrono::steady_clock;

class MemoryMeter {
 public:
  explicit MemoryMeter(std::size_t limit) : limit_(limit) {}

  // False (and nothing reserved) when `bytes` more would pass the limit.
  bool reserve(std::size_t bytes) {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ || used > limit_ - bytes) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  void release(std::size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const { return limit_; }

 private:
  std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

struct Budget {
  Clock::time_point deadline = Clock::time_point::max();
  MemoryMeter* memory = nullptr;            // required
  const std::atomic<bool>* cancel = nullptr;  // optional: stop early when set
  // Optional: a second deadline (steady-clock ticks) that may be moved
  // earlier while searches run, e.g. once another key is already invalid.
  const std::atomic<Clock::rep>* stop_at = nullptr;
  std::uint64_t max_nodes = UINT64_MAX;     // search steps (witness shrinking uses small ones)
  // How many configurations the search will likely memoize (a hint: witness
  // shrinking repeats searches of a similar size; sizing the memo once
  // saves rehashing it as it grows). Memory is still metered.
  std::size_t expected_configurations = 0;
};

// Why a search stopped without a verdict.
enum class Exhausted { kNone, kTime, kMemory, kNodes, kCancelled };

inline const char* to_string(Exhausted e) {
  switch (e) {
    case Exhausted::kNone: return "none";
    case Exhausted::kTime: return "time budget spent";
    case Exhausted::kMemory: return "memory budget spent";
    case Exhausted::kNodes: return "step budget spent";
    case Exhausted::kCancelled: return "stopped: another sub-history is already invalid";
  }
  return "?";
}

// Holds a reservation against the shared meter for the life of a search.
class Reservation {
 public:
  explicit Reservation(MemoryMeter& meter) : meter_(meter) {}
  ~Reservation() { meter_.release(bytes_); }
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  // Brings the reservation to `bytes`; false when the meter refuses.
  bool resize(std::size_t bytes) {
    if (bytes > bytes_) {
      if (!meter_.reserve(bytes - bytes_)) return false;
    } else {
      meter_.release(bytes_ - bytes);
    }
    bytes_ = bytes;
    return true;
  }

 private:
  MemoryMeter& meter_;
  std::size_t bytes_ = 0;
};

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_LIN_BUDGET_H_
