// Traffic control over rtnetlink (libnl-route): netem, prio, htb and tbf
// qdiscs and u32 destination filters — the pieces of per-destination packet
// faults (a prio qdisc whose extra band holds netem, selected by u32 filters
// on the destination address, so untargeted traffic is untouched).
#ifndef FAULTLINE_NEMESIS_QDISC_H_
#define FAULTLINE_NEMESIS_QDISC_H_

#include <cstdint>
#include <string>

#include "packet/netlink.h"
#include "faultline/process/status.h"

namespace faultline::nemesis {

// A tc handle "major:minor" (both hexadecimal in tc's notation).
constexpr std::uint32_t tc_handle(std::uint16_t major, std::uint16_t minor) {
  return (static_cast<std::uint32_t>(major) << 16) | minor;
}
inline constexpr std::uint32_t kTcRoot = 0xFFFFFFFFu;  // TC_H_ROOT

// netem parameters. Percentages are 0..100; correlations likewise.
// Defaults are Jepsen's: delay 50 ms ± 10 ms, loss/duplicate/reorder/corrupt
// 20 % with 75 % correlation — but each is only applied when asked for (the
// `with_*` helpers), because a netem qdisc applies every field it is given.
struct NetemParams {
  std::uint32_t delay_us = 0;
  std::uint32_t jitter_us = 0;
  double delay_correlation = 0;
  std::string distribution;  // "normal", "pareto", ... or a path (netem_distribution.h); empty: uniform
  double loss = 0, loss_correlation = 0;
  double duplicate = 0, duplicate_correlation = 0;
  double reorder = 0, reorder_correlation = 0;  // needs a delay
  double corrupt = 0, corrupt_correlation = 0;
  std::uint32_t limit_packets = 0;  // 0: libnl's default (1000)

  static NetemParams jepsen_delay() { return {.delay_us = 50'000, .jitter_us = 10'000}; }
  static NetemParams jepsen_loss() { return {.loss = 20, .loss_correlation = 75}; }
};

// Converts a 0..100 percentage to the kernel's 0..2^32-1 probability scale.
std::uint32_t netem_probability(double percent);

process::Status add_netem(RouteSocket& sock, int ifindex, std::uint32_t parent, std::uint32_t handle,
                 const NetemParams& params);
// `bands` >= 3; packets go to band 1..3 by the default priomap until filters
// steer them elsewhere.
process::Status add_prio(RouteSocket& sock, int ifindex, std::uint32_t parent, std::uint32_t handle, int bands);
process::Status add_htb(RouteSocket& sock, int ifindex, std::uint32_t parent, std::uint32_t handle,
               std::uint32_t default_class_minor);
process::Status add_tbf(RouteSocket& sock, int ifindex, std::uint32_t parent, std::uint32_t handle,
               std::uint32_t rate_bytes_per_s, std::uint32_t burst_bytes, std::uint32_t latency_us);
// Steers IPv4 packets whose destination is in `dst_cidr` ("10.9.0.2/32") to
// `classid` (e.g. tc_handle(1, 4), the 4th band of prio 1:).
process::Status add_u32_destination_filter(RouteSocket& sock, int ifindex, std::uint32_t parent,
                                  std::uint16_t priority, const std::string& dst_cidr,
                                  std::uint32_t classid);
// Deletes the qdisc at `parent` (kTcRoot: the root qdisc, and every qdisc,
// class and filter under it).
process::Status delete_qdisc(RouteSocket& sock, int ifindex, std::uint32_t parent);

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_QDISC_H_
