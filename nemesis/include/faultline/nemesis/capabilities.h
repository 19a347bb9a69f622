// What this machine lets the nemesis do, found by real probes: each creates
// the thing it asks about (a namespace, a veth pair, a netem qdisc, a drop
// rule, a frozen cgroup, a faked clock) in a scratch place that disappears
// with the probe, and reports ok or a one-line reason.
//
// `faultline doctor` prints these; a run consults the same probes to choose a
// mechanism per fault family (mechanisms()).
#ifndef FAULTLINE_NEMESIS_CAPABILITIES_H_
#define FAULTLINE_NEMESIS_CAPABILITIES_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace faultline::nemesis {

struct Capability {
  std::string name;    // stable id used in JSON and by callers: "netns", "netem", ...
  std::string title;   // for people: "network namespaces"
  bool ok = false;
  bool probed = true;  // false: not attempted (needs root); `ok` is then false
  std::string reason;  // one line: what was tried and what happened
  std::vector<std::string> disables;  // features lost when !ok; empty when ok
  std::string fallback;               // what takes over when !ok, if anything
};

// Stable capability ids, in the order doctor lists them.
namespace cap {
inline constexpr const char* kRoot = "root";
inline constexpr const char* kNetns = "netns";
inline constexpr const char* kVeth = "veth";
inline constexpr const char* kBridge = "bridge";
inline constexpr const char* kNftables = "nftables";
inline constexpr const char* kIptables = "iptables";
inline constexpr const char* kNetem = "netem";
inline constexpr const char* kPrio = "prio";
inline constexpr const char* kU32 = "u32";
inline constexpr const char* kHtb = "htb";
inline constexpr const char* kTbf = "tbf";
inline constexpr const char* kNfqueue = "nfqueue";
inline constexpr const char* kFaketime = "libfaketime";
inline constexpr const char* kFreezer = "cgroup-freezer";
inline constexpr const char* kSigstop = "sigstop";
}  // namespace cap

struct ProbeOptions {
  // Each probe's deadline. Probes run in parallel, so this also bounds the whole.
  std::chrono::milliseconds timeout{3000};
  // Whether to attempt probes that need root; default: euid == 0.
  std::optional<bool> privileged;
};

// Runs every nemesis probe (in parallel forked children where they touch
// namespaces) and fills `disables` and `fallback` from the whole set.
std::vector<Capability> probe_capabilities(const ProbeOptions& options = {});

// Single probes, for callers that need one answer (a run checks netem once).
// Network probes run in a forked child inside a scratch network namespace.
Capability probe_root();
Capability probe_netns(const ProbeOptions& options = {});
Capability probe_netem(const ProbeOptions& options = {});
Capability probe_faketime(const ProbeOptions& options = {});
Capability probe_freezer(const ProbeOptions& options = {});
Capability probe_sigstop(const ProbeOptions& options = {});

// Where libfaketime.so.1 is: $FAULTLINE_LIBFAKETIME, else the usual library
// directories (multiarch included).
std::optional<std::string> find_libfaketime();

// Fills `disables` and `fallback` of each missing capability, taking the
// others into account (no netem but NFQUEUE: packet faults fall back to the
// userspace shaper; no nftables but iptables: partitions use iptables; ...).
// Capabilities it does not know are left as they are.
void resolve_fallbacks(std::vector<Capability>& capabilities);

// The mechanism each fault family uses on this machine, from the probes.
struct Mechanisms {
  std::string partitions;     // "nftables", "iptables" or "none"
  std::string packet_faults;  // "netem", "nfqueue" or "none"
  std::string pauses;         // "cgroup-freezer", "sigstop" or "none"
  std::string clock_skew;     // "libfaketime" or "none"
};
Mechanisms mechanisms(const std::vector<Capability>& capabilities);

// The capability named `name`, or nullptr.
const Capability* find_capability(const std::vector<Capability>& capabilities, const std::string& name);

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_CAPABILITIES_H_
