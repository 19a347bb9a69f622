#include "hlc.h"

#include "faultline/node/version.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace faultline::node {

std::int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HybridClock::HybridClock(PhysicalClock physical) : physical_(std::move(physical)) {}

namespace {
// The next time after t. c is 32 bits and a peer's stamp may carry
// c = 2^32 - 1: wrapping to 0 would put the clock behind that stamp (caught
// by node/fuzz/peer_message_fuzz's HLC invariant), so carry into l instead,
// one microsecond ahead. At kMaxStampWall it saturates instead: a stamp
// above the bound would be written to disk and then refused by
// record_from_json, making the key unreadable. Only a peer sending the
// bound itself (2^62 µs, ~146,000 years) can get there.
HlcTime tick(HlcTime t) {
  if (t.c < std::numeric_limits<std::uint32_t>::max()) return {t.l, t.c + 1};
  if (t.l >= kMaxStampWall) return t;
  return {t.l + 1, 0};
}
}  // namespace

HlcTime HybridClock::now() {
  const std::int64_t pt = physical_();
  std::lock_guard lock(mu_);
  if (pt > last_.l) {
    last_ = {pt, 0};
  } else {
    last_ = tick(last_);  // physical clock stalled or went back: stay ahead logically
  }
  return last_;
}

void HybridClock::update(HlcTime seen) {
  const std::int64_t pt = physical_();
  std::lock_guard lock(mu_);
  const std::int64_t l = std::max({last_.l, seen.l, pt});
  if (l == last_.l && l == seen.l) {
    last_ = tick({l, std::max(last_.c, seen.c)});
  } else if (l == last_.l) {
    last_ = tick(last_);
  } else if (l == seen.l) {
    last_ = tick(seen);
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

std::uint64_t DotCounter::issued_bound() {
  const auto pt = static_cast<std::uint64_t>(std::max<std::int64_t>(0, physical_()));
  std::lock_guard lock(mu_);
  return std::max(last_, pt);
}

void DotCounter::observe(std::uint64_t seen) {
  std::lock_guard lock(mu_);
  // Capped: next() must never wrap (record_from_json refuses counters
  // beyond kMaxDotCounter, but a database written before may hold one).
  last_ = std::max(last_, std::min(seen, kMaxDotCounter));
}

}  // namespace faultline::node
