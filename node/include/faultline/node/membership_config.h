// The knobs of the membership protocols (SWIM and the centralized heartbeat
// baseline) and the time unit they count in: public because the membership
// simulator's configuration, which `faultline sim membership` fills from its
// flags, is made of them. The protocols themselves are private to node/
// (src/swim/).
#ifndef FAULTLINE_NODE_MEMBERSHIP_CONFIG_H_
#define FAULTLINE_NODE_MEMBERSHIP_CONFIG_H_

#include <cstddef>
#include <cstdint>

namespace faultline::node::swim {

// Microseconds on the driver's clock (steady clock in a node, simulated time
// in the simulator). The protocol code never reads a clock itself.
using Time = std::int64_t;
constexpr Time kMillis = 1000;
constexpr Time kSeconds = 1000 * kMillis;

using MemberIdx = std::uint32_t;

struct SwimConfig {
  Time protocol_period = 1 * kSeconds;
  Time probe_timeout = 500 * kMillis;
  int indirect_checks = 3;         // k members asked to ping-req
  int retransmit_mult = 4;         // lambda: each update sent lambda*ceil(log10(n+1)) times
  double suspicion_mult = 2;       // min suspicion = mult * max(1, log10 n) * period
  double suspicion_max_mult = 3;   // max suspicion = this * min
  int suspicion_confirmations = 3; // k of Lifeguard's timer (capped at n - 2)
  int awareness_max = 8;           // local health multiplier range [1, 8]
  // Besides piggybacking, while updates are queued a node sends a gossip
  // packet to gossip_fanout members every gossip_interval. Kept low so a
  // flood of news (a healed partition) cannot multiply the message rate.
  Time gossip_interval = 1 * kSeconds;  // 0: piggyback only
  int gossip_fanout = 1;
  // News this node originates (its own suspicion, death verdict or
  // refutation) goes out at once to this many members: rare by nature,
  // and it is what makes detection fast.
  int urgent_fanout = 3;
  // A member that held a suspicion relays its refutation at once to
  // urgent_fanout members (see apply()); off, refutations spread by gossip.
  bool relay_refutations = true;
  // A ping-req helper that has heard nothing from the target after this
  // share of the probe timeout says so (Lifeguard's nack); when every
  // helper has, the prober suspects without waiting out the period.
  double nack_fraction = 0.5;
  Time push_pull_interval = 30 * kSeconds;  // 0: never
  std::size_t max_packet = 1400;
  // A dead member is still sent gossip and chosen for push-pull for this
  // long (so it can learn it was declared dead and refute); after that it is
  // only reached by push-pull with probability dead_push_pull_share.
  Time gossip_to_dead = 30 * kSeconds;
  double dead_push_pull_share = 0.5;
};

struct CentralConfig {
  MemberIdx monitor = 0;
  Time heartbeat_interval = 1 * kSeconds;
  Time detector_interval = 250 * kMillis;
  Time suspect_after = 2500 * kMillis;
  Time dead_after = 5 * kSeconds;
  int verdict_repeats = 3;
  std::size_t max_packet = 1400;
};

}  // namespace faultline::node::swim

#endif  // FAULTLINE_NODE_MEMBERSHIP_CONFIG_H_
