// Per-destination packet faults (delay, loss, duplicate, reorder, corrupt,
// rate) on one device of the caller's network namespace, through netem over
// rtnetlink (libnl-route).
//
// Layout on the device (tc notation):
//
//   root  prio 1: bands 4, default priomap      untargeted traffic: bands 1:1..1:3
//         ├─ u32 filter: ip dst <each target>/32 -> flowid 1:4
//         └─ class 1:4  netem 40: (delay, loss, duplicate, reorder, corrupt)
//                       └─ class 40:1  tbf 41: (rate; only when a rate is asked for)
//
// The rate goes to a tbf under netem because libnl-route 3.7 has no setter
// for netem's own rate field (TCA_NETEM_RATE).
//
// One device carries one fault: apply_netem_fault replaces what is there, and
// clear_netem_fault removes the whole tree (deleting the root qdisc takes the
// classes, filters and child qdiscs with it). Everything acts on the network
// namespace of the calling process; the controller runs faultline-agent
// inside a node's namespace for that.
#ifndef FAULTLINE_NEMESIS_NETEM_FAULT_H_
#define FAULTLINE_NEMESIS_NETEM_FAULT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "packet/netem_distribution.h"
#include "packet/netlink.h"
#include "packet/qdisc.h"
#include "faultline/process/status.h"

namespace faultline::nemesis {

// A delay of `ms` ± `jitter_ms`; `correlation` (0..100 %) ties each packet's
// random part to the previous one's; `distribution` names a tc table
// ("normal", "pareto", "paretonormal", "experimental", or a path to a .dist
// file) and needs a jitter. Empty: uniform jitter.
struct DelayFault {
  double ms = 0;
  double jitter_ms = 0;
  double correlation = 0;
  std::string distribution;

  // Jepsen's default delay: 50 ms ± 10 ms.
  static DelayFault jepsen() { return {.ms = 50, .jitter_ms = 10}; }
};

// A per-packet chance (0..100 %) with a correlation to the previous packet's
// outcome (0..100 %).
struct ChanceFault {
  double percent = 0;
  double correlation = 0;

  // Jepsen's default for loss, duplicate, reorder and corrupt: 20 %, 75 % correlated.
  static ChanceFault jepsen() { return {.percent = 20, .correlation = 75}; }
};

inline constexpr std::uint32_t kJepsenRateKbit = 1000;  // 1 Mbit/s

// What to do to packets sent to `destinations`. Each fault is off unless
// present; a fault asked for without values takes its jepsen() defaults (the
// agent does that), one given any value takes exactly the values given.
struct NetemFault {
  std::vector<std::string> destinations;  // IPv4 "10.9.0.2" (or a CIDR "10.9.0.0/24")
  std::optional<DelayFault> delay;
  std::optional<ChanceFault> loss;
  std::optional<ChanceFault> duplicate;
  std::optional<ChanceFault> reorder;  // needs a delay: netem reorders by sending some packets at once
  std::optional<ChanceFault> corrupt;
  std::optional<std::uint32_t> rate_kbit;  // kbit/s (1000 bit/s), > 0
};

// The handles of the layout above; listing code and tests use them.
inline constexpr std::uint32_t kNetemPrioHandle = tc_handle(1, 0);
inline constexpr std::uint32_t kNetemBand = tc_handle(1, 4);
inline constexpr std::uint32_t kNetemHandle = tc_handle(0x40, 0);
inline constexpr std::uint32_t kNetemRateHandle = tc_handle(0x41, 0);
inline constexpr int kNetemPrioBands = 4;

// Checks every value and names the first bad one ("loss: 120 % is outside
// 0..100", "reorder needs a delay", "destination '10.0.0': not an IPv4
// address"). Touches nothing.
process::Status validate(const NetemFault& fault);

// The netem qdisc's parameters for `fault` (rate excluded: it goes to a tbf).
NetemParams to_netem_params(const NetemFault& fault);

// "delay 100ms ±0ms, loss 50% (corr 0%)": one line for logs and the agent.
std::string describe(const NetemFault& fault);

// faultline-agent's exit codes for `netem` and `netem-clear` (agent_netem.cpp).
inline constexpr int kAgentExitOk = 0;
inline constexpr int kAgentExitFailed = 1;       // the kernel refused for another reason
inline constexpr int kAgentExitBadFlags = 2;     // a bad flag or value
inline constexpr int kAgentExitUnsupported = 3;  // no sch_prio / sch_netem / cls_u32 (/ sch_tbf): fall back

// The faultline-agent arguments (after the program name) that apply `fault`
// to `device`, every value spelled out so no agent default is involved; for
// the controller's `ip netns exec <ns> faultline-agent ...`.
std::vector<std::string> agent_netem_args(const std::string& device, const NetemFault& fault);
std::vector<std::string> agent_netem_clear_args(const std::string& device);

// Replaces any fault on `device` with `fault`. On failure nothing of ours is
// left on the device. Status::unsupported is set when the kernel lacks a
// qdisc or classifier the layout needs (sch_prio, sch_netem, cls_u32,
// sch_tbf); the message then says which.
process::Status apply_netem_fault(RouteSocket& sock, const std::string& device, const NetemFault& fault);

// Removes the root qdisc of `device` (and with it every class, filter and
// child qdisc). No qdisc to remove is success.
process::Status clear_netem_fault(RouteSocket& sock, const std::string& device);

// One qdisc as the kernel lists it.
struct QdiscInfo {
  std::string kind;
  std::uint32_t handle = 0;
  std::uint32_t parent = 0;
};
// The qdiscs of `device`, root first as the kernel dumps them.
process::Status list_qdiscs(RouteSocket& sock, const std::string& device, std::vector<QdiscInfo>* out);
// "prio 1: root" / "netem 40: parent 1:4".
std::string describe(const QdiscInfo& qdisc);

// Which of the tc kinds the layout needs the running kernel lacks, found by
// adding each in a scratch network namespace in a forked child (so the
// caller's devices are untouched): "sch_prio", "sch_netem", "cls_u32",
// "sch_tbf" (only when `with_rate`). Empty: all there. Forks: call from a
// process without threads (the agent), not from the controller.
std::vector<std::string> missing_netem_kernel_support(bool with_rate);

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_NETEM_FAULT_H_
