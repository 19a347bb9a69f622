// The decisions of the NFQUEUE packet shaper, without a kernel: what the
// fault parameters are, whether they make sense, and — given packets
// arriving at known times and a seeded random source — which packet is
// dropped, which is accepted at once, and which is held until when. The
// Shaper (shaper.h) only carries these decisions out on real packets, so
// everything here is testable with fake clocks.
#ifndef FAULTLINE_NEMESIS_SHAPE_SCHEDULE_H_
#define FAULTLINE_NEMESIS_SHAPE_SCHEDULE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faultline/process/status.h"

namespace faultline::nemesis {

using ShapeClock = std::chrono::steady_clock;

// The packet faults netem knows; the shaper does a subset (see
// shaper_supports), and the controller refuses the rest before a run.
enum class PacketFault { delay, loss, duplicate, reorder, corrupt, rate };

std::string_view packet_fault_name(PacketFault fault);
std::optional<PacketFault> parse_packet_fault(std::string_view name);

// Whether the NFQUEUE shaper can do `fault`. All of netem's can be done:
// duplicate, which no verdict can do (a verdict accepts, drops or rewrites a
// packet once), is a copy sent through a raw socket beside the accept.
bool shaper_supports(PacketFault fault);
// Fails naming the first fault of `faults` the shaper cannot do, and why.
process::Status check_shaper_supports(const std::vector<PacketFault>& faults);

enum class JitterDistribution { uniform, normal };

// What to do to each packet sent to a shaped destination. Probabilities are
// fractions in [0, 1]; a correlation c makes the next decision lean on the
// previous one (see CorrelatedCoin). Zero everywhere means "pass through".
struct ShapeParams {
  std::chrono::microseconds delay{0};

  // Uniform: delay ± jitter. Normal: standard deviation `jitter`. The
  // resulting delay is clamped at 0.
  std::chrono::microseconds jitter{0};
  JitterDistribution distribution = JitterDistribution::uniform;
  double loss = 0, loss_correlation = 0;
  // Fraction of packets released at once while the others wait for the
  // delay, so they overtake them (netem's reorder; needs a delay).
  double reorder = 0, reorder_correlation = 0;
  // Fraction of packets with one bit flipped after the IP header (the header
  // stays intact so the packet is still routed where it was going).
  double corrupt = 0, corrupt_correlation = 0;
  // Fraction of packets sent twice (the copy leaves with the original).
  double duplicate = 0, duplicate_correlation = 0;
  // Bandwidth in kbit/s (1 kbit = 1000 bits), 0 = unlimited: each packet
  // leaves no earlier than the previous one plus its own transmission time
  // (netem's serialization model: a token bucket with a one-packet burst).
  std::uint64_t rate_kbit = 0;
  // At most this many packets held at once; more are dropped, as netem's
  // `limit` (default 1000) does.
  std::size_t limit = 1000;

  // Jepsen's defaults, one fault each: delay 50 ms ± 10 ms; loss, duplicate,
  // reorder, corrupt 20 % with 75 % correlation (reorder on top of the
  // default delay, which it needs); rate 1 Mbit/s.
  static ShapeParams jepsen_delay() {
    return {.delay = std::chrono::milliseconds(50), .jitter = std::chrono::milliseconds(10)};
  }
  static ShapeParams jepsen_loss() { return {.loss = 0.2, .loss_correlation = 0.75}; }
  static ShapeParams jepsen_duplicate() { return {.duplicate = 0.2, .duplicate_correlation = 0.75}; }
  static ShapeParams jepsen_corrupt() { return {.corrupt = 0.2, .corrupt_correlation = 0.75}; }
  static ShapeParams jepsen_reorder() {
    ShapeParams p = jepsen_delay();
    p.reorder = 0.2;
    p.reorder_correlation = 0.75;
    return p;
  }
  static ShapeParams jepsen_rate() { return {.rate_kbit = 1000}; }
};

// Each probability of `p` with the agent flag that sets it, in flag order:
// the one list validation and the controller's command line both walk.
std::vector<std::pair<const char*, double>> probability_flags(const ShapeParams& p);

// The first thing wrong with `params`, named as the agent's flag spells it.
process::Status validate_shape_params(const ShapeParams& params);

// The shaper's random source: splitmix64, reproducible from a seed on every
// platform (std:: distributions are not).
class ShapeRng {
 public:
  explicit ShapeRng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform01();  // [0, 1)
  double normal();     // mean 0, standard deviation 1 (Box-Muller)

 private:
  std::uint64_t state_;
};

// A biased coin with memory, as Jepsen describes netem's correlation: the
// probability of "yes" for the next packet is (1 - c) * p + c * last, where
// last is 1 if the previous decision was "yes". The long-run rate stays p
// (the chain's stationary probability solves q = (1 - c) p + c q), while
// decisions come in runs: after a yes, the next is yes with (1 - c) p + c.
// The first decision, with nothing to lean on, uses p itself — starting the
// chain in its stationary state, so every decision is "yes" with
// probability p (and p = 1 drops from the very first packet).
class CorrelatedCoin {
 public:
  CorrelatedCoin(double probability, double correlation) : p_(probability), c_(correlation) {}
  double next_probability() const {
    if (first_) return p_;
    return (1.0 - c_) * p_ + c_ * (last_ ? 1.0 : 0.0);
  }
  // `u` is uniform in [0, 1).
  bool flip(double u) {
    last_ = p_ > 0 && u < next_probability();
    first_ = false;
    return last_;
  }

 private:
  double p_, c_;
  bool first_ = true;
  bool last_ = false;
};

enum class ShapeAction { drop, accept_now, hold };

struct ShapeDecision {
  ShapeAction action = ShapeAction::accept_now;
  ShapeClock::time_point release_at{};  // for hold
  bool lost = false;       // dropped by the loss fault
  bool overflow = false;   // dropped because `limit` packets were held
  bool reordered = false;  // released at once by the reorder fault
  bool duplicate = false;  // send a copy with the original (never of a dropped one)
  bool corrupt = false;    // flip bit (corrupt_bit mod payload bits after the IP header)
  std::uint64_t corrupt_bit = 0;
};

// The verdict timeline: admit() decides each arriving packet (identified by
// the caller's key) and remembers held ones; take_due() hands back the keys
// whose release time has come, earliest first (ties in arrival order).
class ShapeSchedule {
 public:
  ShapeSchedule(const ShapeParams& params, std::uint64_t seed);

  ShapeDecision admit(std::uint64_t key, ShapeClock::time_point now, std::size_t bytes);
  std::vector<std::uint64_t> take_due(ShapeClock::time_point now);
  std::optional<ShapeClock::time_point> next_due() const;
  // Every held key, in release order: for stopping, when all are accepted.
  std::vector<std::uint64_t> take_all();
  std::size_t held() const { return heap_.size(); }

 private:
  struct Held {
    ShapeClock::time_point at;
    std::uint64_t order;
    std::uint64_t key;
    bool operator>(const Held& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  ShapeClock::duration sample_delay();

  ShapeParams params_;
  ShapeRng rng_;
  CorrelatedCoin duplicate_, loss_, reorder_, corrupt_;
  std::optional<ShapeClock::time_point> rate_tail_;  // when the last rate-limited packet leaves
  std::uint64_t order_ = 0;
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> heap_;
};

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_SHAPE_SCHEDULE_H_
