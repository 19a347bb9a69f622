#include "faultline/node/hlc.h"

#include <algorithm>
#include <chrono>

namespace faultline::node {

std::int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HybridClock::HybridClock(PhysicalClock physical) : physical_(std::move(physical)) {}

HlcTime HybridClock::now() {
  const std::int64_t pt = physical_();
  std::lock_guard lock(mu_);
  if (pt > last_.l) {
    last_ = {pt, 0};
  } else {
    ++last_.c;  // physical clock stalled or went back: stay ahead logically
  }
  return last_;
}

void HybridClock::update(HlcTime seen) {
  const std::int64_t pt = physical_();
  std::lock_guard lock(mu_);
  const std::int64_t l = std::max({last_.l, seen.l, pt});
  if (l == last_.l && l == seen.l) {
    last_.c = std::max(last_.c, seen.c) + 1;
  } else if (l == last_.l) {
    ++last_.c;
  } else if (l == seen.l) {
    last_ = {l, seen.c + 1};
  } else {
    last_ = {l, 0};
  }
}

HlcTime HybridClock::peek() const {
  std::lock_guard lock(mu_);
  return last_;
}

DotCounter::DotCounter(HybridClock::PhysicalClock physical) : physical_(std::move(physical)) {}

std::uint64_t DotCounter::next() {
  const auto pt = static_cast<std::uint64_t>(std::max<std::int64_t>(0, physical_()));
  std::lock_guard lock(mu_);
  last_ = std::max(last_ + 1, pt);
  return last_;
}

void DotCounter::observe(std::uint64_t seen) {
  std::lock_guard lock(mu_);
  last_ = std::max(last_, seen);
}

}  // namespace faultline::node
