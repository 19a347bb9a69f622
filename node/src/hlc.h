// Hybrid logical clock (Kulkarni et al., 2014) and a per-node dot counter.
//
// An HLC timestamp (l, c) stays close to physical time (l is the largest
// physical time seen, in microseconds) yet never goes backwards and orders
// every send before its receive, whatever the wall clocks say. The store uses
// it for lww-hlc versions and as the "now" of two-phase writes.
//
// Invariants: successive now() results are strictly increasing; after
// update(t), now() > t.
#ifndef FAULTLINE_NODE_HLC_H_
#define FAULTLINE_NODE_HLC_H_

#include <compare>
#include <cstdint>
#include <functional>
#include <mutex>

namespace faultline::node {

struct HlcTime {
  std::int64_t l = 0;   // microseconds since the epoch (max physical seen)
  std::uint32_t c = 0;  // logical counter within one l
  auto operator<=>(const HlcTime&) const = default;
};

// Microseconds since the Unix epoch from the system (wall) clock. Wall, not
// monotonic, on purpose: lww-wall must be vulnerable to clock skew.
std::int64_t wall_clock_us();

class HybridClock {
 public:
  using PhysicalClock = std::function<std::int64_t()>;
  explicit HybridClock(PhysicalClock physical = wall_clock_us);

  // A timestamp for a local or send event.
  HlcTime now();
  // Merges a timestamp received from elsewhere (a message, a stored version),
  // so that every later now() is greater than it.
  void update(HlcTime seen);
  // The last timestamp issued or observed.
  HlcTime peek() const;

 private:
  PhysicalClock physical_;
  mutable std::mutex mu_;
  HlcTime last_;
};

// Issues the counters of a node's dots (version-vector entries). A dot must
// never repeat for one node, not even across restarts, so counters start from
// the wall clock in microseconds and from the highest counter found on disk.
class DotCounter {
 public:
  explicit DotCounter(HybridClock::PhysicalClock physical = wall_clock_us);
  std::uint64_t next();
  void observe(std::uint64_t seen);  // later next() > seen
  // An upper bound on every counter issued so far: next() never returns less
  // than the wall clock, so max(last, now) bounds past dots (unless the wall
  // clock stepped back across a restart that lost the disk).
  std::uint64_t issued_bound();

 private:
  HybridClock::PhysicalClock physical_;
  std::mutex mu_;
  std::uint64_t last_ = 0;
};

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_HLC_H_
