// Private to nemesis/src: the pieces probes share — a test datagram on the
// loopback of a scratch namespace, kernel facts for reasons, and the probe
// table that probe_capabilities() runs.
#ifndef FAULTLINE_NEMESIS_SRC_PROBE_SUPPORT_H_
#define FAULTLINE_NEMESIS_SRC_PROBE_SUPPORT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <sys/types.h>

#include "faultline/nemesis/capabilities.h"
#include "faultline/process/forked.h"
#include "packet/netlink.h"

namespace faultline::nemesis::detail {

// A probe's outcome, passed or failed, with the reason.
inline process::ChildOutcome fail(const std::string& why) { return {false, why, false}; }
inline process::ChildOutcome pass(const std::string& why) { return {true, why, false}; }

// The port test datagrams go to; any port works inside a private namespace.
inline constexpr std::uint16_t kProbePort = 47999;

// Brings `lo` up (a fresh namespace starts with it down).
process::Status bring_up_loopback(RouteSocket& sock);

// A receiver bound to 127.0.0.1:port and a sender bound to `source_ip`.
class UdpProbe {
 public:
  UdpProbe() = default;
  ~UdpProbe();
  UdpProbe(const UdpProbe&) = delete;
  UdpProbe& operator=(const UdpProbe&) = delete;

  process::Status open(const char* source_ip, std::uint16_t port = kProbePort);
  process::Status send(const std::string& payload);
  // True when a datagram with `payload` arrived within `wait`.
  bool arrives(const std::string& payload, std::chrono::milliseconds wait);

 private:
  int sender_ = -1, receiver_ = -1;
  std::uint16_t port_ = 0;
};

// Sends one datagram and says whether it arrived within `wait`.
bool datagram_arrives(const char* source_ip, std::chrono::milliseconds wait);

// "6.1.0-18-amd64"
std::string kernel_release();
// Why `module` (e.g. "sch_netem") could not be used: built in? a module
// that failed to load? no module support at all?
std::string kernel_module_note(const std::string& module);

// Probes run as work in a forked child inside a scratch network namespace.
process::ChildOutcome netns_work(const std::string& parent_netns);
process::ChildOutcome veth_work();
process::ChildOutcome bridge_work();
process::ChildOutcome netem_work();
process::ChildOutcome prio_work();
process::ChildOutcome u32_work();
process::ChildOutcome htb_work();
process::ChildOutcome tbf_work();
process::ChildOutcome nftables_work(std::chrono::milliseconds command_timeout);
process::ChildOutcome iptables_work(std::chrono::milliseconds command_timeout);
process::ChildOutcome nfqueue_work(std::chrono::milliseconds command_timeout);

// Host probes, as work that can also run in a forked child. The faketime
// offset file is `path`; the parent removes faketime_offset_file(child pid)
// in case the child was killed before it could.
std::string faketime_offset_file(pid_t pid);
process::ChildOutcome faketime_work(std::chrono::milliseconds command_timeout, const std::string& path);
process::ChildOutcome sigstop_work();

// The time a helper command may take inside a probe of `probe_timeout`.
std::chrono::milliseconds command_timeout(std::chrono::milliseconds probe_timeout);

// "euid 1000 (alice)"
std::string current_user();
// "needs root [to_do] (running as euid 1000 (alice)); not attempted"
std::string needs_root_reason(const std::string& to_do = "");

}  // namespace faultline::nemesis::detail

#endif  // FAULTLINE_NEMESIS_SRC_PROBE_SUPPORT_H_
