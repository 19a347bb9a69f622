#include "faultline/nemesis/capabilities.h"

#include <unistd.h>

#include <algorithm>
#include <functional>

#include "faultline/process/forked.h"
#include "probes/probe_support.h"

namespace faultline::nemesis {
using process::ChildOutcome;
using process::ForkedTask;
using process::run_forked;
using process::wait_all;
namespace {

struct NetProbe {
  const char* name;
  const char* title;
  std::function<ChildOutcome()> work;
};

std::string netns_id() {
  char buf[64] = {0};
  ssize_t n = ::readlink("/proc/self/ns/net", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Every probe that runs in a scratch network namespace, in doctor's order.
std::vector<NetProbe> net_probes(std::chrono::milliseconds probe_timeout) {
  const auto cmd = detail::command_timeout(probe_timeout);
  const std::string parent_ns = netns_id();
  return {
      {cap::kNetns, "network namespaces", [parent_ns] { return detail::netns_work(parent_ns); }},
      {cap::kVeth, "veth pairs", [] { return detail::veth_work(); }},
      {cap::kBridge, "bridge", [] { return detail::bridge_work(); }},
      {cap::kNftables, "nftables", [cmd] { return detail::nftables_work(cmd); }},
      {cap::kIptables, "iptables", [cmd] { return detail::iptables_work(cmd); }},
      {cap::kNetem, "kernel netem", [] { return detail::netem_work(); }},
      {cap::kPrio, "prio qdisc", [] { return detail::prio_work(); }},
      {cap::kU32, "u32 filter", [] { return detail::u32_work(); }},
      {cap::kHtb, "htb qdisc", [] { return detail::htb_work(); }},
      {cap::kTbf, "tbf qdisc", [] { return detail::tbf_work(); }},
      {cap::kNfqueue, "NFQUEUE", [cmd] { return detail::nfqueue_work(cmd); }},
  };
}

Capability from_outcome(const NetProbe& probe, const ChildOutcome& outcome) {
  Capability c;
  c.name = probe.name;
  c.title = probe.title;
  c.ok = outcome.ok;
  c.reason = outcome.timed_out ? "probe " + outcome.message + " (killed with its scratch namespace)" : outcome.message;
  return c;
}

Capability not_attempted(const NetProbe& probe) {
  Capability c;
  c.name = probe.name;
  c.title = probe.title;
  c.ok = false;
  c.probed = false;
  c.reason = detail::needs_root_reason();
  return c;
}

Capability run_one(const char* name, const ProbeOptions& options) {
  for (const NetProbe& probe : net_probes(options.timeout)) {
    if (std::string(probe.name) != name) continue;
    if (!options.privileged.value_or(::geteuid() == 0)) return not_attempted(probe);
    return from_outcome(probe, run_forked(probe.work, {.new_netns = true, .timeout = options.timeout}));
  }
  return Capability{name, name, false, false, "unknown probe", {}, {}};
}

bool is_ok(const std::vector<Capability>& caps, const char* name) {
  const Capability* c = find_capability(caps, name);
  return c != nullptr && c->ok;
}

}  // namespace

const Capability* find_capability(const std::vector<Capability>& capabilities, const std::string& name) {
  auto it = std::find_if(capabilities.begin(), capabilities.end(), [&](const Capability& c) { return c.name == name; });
  return it == capabilities.end() ? nullptr : &*it;
}

Capability probe_netns(const ProbeOptions& options) { return run_one(cap::kNetns, options); }
Capability probe_netem(const ProbeOptions& options) { return run_one(cap::kNetem, options); }

std::vector<Capability> probe_capabilities(const ProbeOptions& options) {
  const bool privileged = options.privileged.value_or(::geteuid() == 0);
  std::vector<NetProbe> probes = net_probes(options.timeout);

  // Start every namespace probe at once; each child has its own deadline.
  std::vector<ForkedTask> tasks(probes.size());
  if (privileged) {
    for (std::size_t i = 0; i < probes.size(); ++i) {
      tasks[i] = ForkedTask::start(probes[i].work, {.new_netns = true, .timeout = options.timeout});
    }
  }
  // Host probes that need no root run in children too, in parallel.
  const auto cmd = detail::command_timeout(options.timeout);
  ForkedTask faketime_task = ForkedTask::start(
      [cmd] { return detail::faketime_work(cmd, detail::faketime_offset_file(::getpid())); },
      {.timeout = options.timeout});
  const pid_t faketime_pid = faketime_task.pid();
  ForkedTask sigstop_task = ForkedTask::start([] { return detail::sigstop_work(); }, {.timeout = options.timeout});

  // The freezer probe runs here: killing it half-way could leave a frozen
  // cgroup behind, so it bounds each of its own waits instead.
  std::vector<Capability> caps;
  caps.push_back(probe_root());
  Capability freezer = probe_freezer(options);

  std::vector<ForkedTask*> running{&faketime_task, &sigstop_task};
  for (ForkedTask& t : tasks) running.push_back(&t);
  wait_all(running);
  if (faketime_pid > 0) ::unlink(detail::faketime_offset_file(faketime_pid).c_str());  // if it was killed

  for (std::size_t i = 0; i < probes.size(); ++i) {
    caps.push_back(privileged ? from_outcome(probes[i], tasks[i].outcome()) : not_attempted(probes[i]));
  }
  auto host = [](const char* name, const char* title, const ChildOutcome& outcome) {
    Capability c;
    c.name = name;
    c.title = title;
    c.ok = outcome.ok;
    c.reason = outcome.timed_out ? "probe " + outcome.message : outcome.message;
    return c;
  };
  caps.push_back(host(cap::kFaketime, "libfaketime", faketime_task.outcome()));
  caps.push_back(std::move(freezer));
  caps.push_back(host(cap::kSigstop, "SIGSTOP pause", sigstop_task.outcome()));
  resolve_fallbacks(caps);
  return caps;
}

void resolve_fallbacks(std::vector<Capability>& caps) {
  // Three-valued: a capability that was not probed (no root) is unknown, and
  // nothing is claimed about what its absence would leave.
  auto works = [&](const char* name) { return is_ok(caps, name); };
  auto known_missing = [&](const char* name) {
    const Capability* c = find_capability(caps, name);
    return c != nullptr && c->probed && !c->ok;
  };
  const std::string vm_lane = "the kernel netem path itself is tested by the qemu VM lane (ctest -L vm)";
  const std::string local_backend = "--backend local (plain processes on loopback, no network faults) or --backend ssh";
  const std::string moot_without_netem =
      "not needed here: without netem, the NFQUEUE shaper selects destinations with firewall rules";
  const std::string no_partitions = "partitions (neither nftables nor iptables works)";
  const std::string no_packet_faults = "packet faults (neither kernel netem nor NFQUEUE works)";

  const std::vector<std::string> known{cap::kRoot,     cap::kNetns, cap::kVeth,    cap::kBridge,   cap::kNftables,
                                       cap::kIptables, cap::kNetem, cap::kPrio,    cap::kU32,      cap::kHtb,
                                       cap::kTbf,      cap::kNfqueue, cap::kFaketime, cap::kFreezer, cap::kSigstop};
  for (Capability& c : caps) {
    const std::string& n = c.name;
    if (std::find(known.begin(), known.end(), n) == known.end()) continue;
    c.disables.clear();
    c.fallback.clear();
    if (c.ok) continue;
    if (n == cap::kRoot) {
      c.disables = {"netns backend", "partitions", "packet faults", "cgroup-freezer pauses"};
      c.fallback = local_backend;
    } else if (n == cap::kNetns) {
      c.disables = {"netns backend (one network namespace per node)", "partitions and packet faults on this host"};
      c.fallback = c.probed ? local_backend : "";
    } else if (n == cap::kVeth) {
      c.disables = {"netns backend (node namespaces are wired with veth pairs)"};
      c.fallback = c.probed ? local_backend : "";
    } else if (n == cap::kBridge) {
      c.disables = {"netns backend (node namespaces are joined by a bridge)"};
      c.fallback = c.probed ? local_backend : "";
    } else if (n == cap::kNftables) {
      c.disables = {known_missing(cap::kIptables) && c.probed ? no_partitions : "nftables partitions"};
      if (works(cap::kIptables)) c.fallback = "partitions use iptables rules instead";
    } else if (n == cap::kIptables) {
      c.disables = {known_missing(cap::kNftables) && c.probed ? no_partitions : "iptables partitions"};
      if (works(cap::kNftables)) c.fallback = "not needed: partitions use nftables";
    } else if (n == cap::kNetem) {
      if (known_missing(cap::kNfqueue) && c.probed) {
        c.disables = {no_packet_faults};
        c.fallback = vm_lane;
      } else {
        c.disables = {"kernel netem packet faults (delay, jitter, loss, duplicate, reorder, corrupt, rate)"};
        if (works(cap::kNfqueue)) {
          c.fallback = "packet faults use the NFQUEUE userspace shaper (delay, jitter, loss, duplicate, reorder, "
                       "corrupt, rate: nemesis/SHAPER.md); " + vm_lane;
        }
      }
    } else if (n == cap::kPrio) {
      c.disables = {"per-destination netem (prio bands selected by u32 filters)"};
      if (known_missing(cap::kNetem)) c.fallback = moot_without_netem;
    } else if (n == cap::kU32) {
      c.disables = {"per-destination netem (u32 destination filters)"};
      if (known_missing(cap::kNetem)) c.fallback = moot_without_netem;
    } else if (n == cap::kHtb) {
      c.disables = {"htb classes (classful alternative to prio for shaping)"};
    } else if (n == cap::kTbf) {
      c.disables = {"bandwidth limits through tbf"};
    } else if (n == cap::kNfqueue) {
      if (works(cap::kNetem)) {
        c.disables = {"the NFQUEUE userspace shaper (not needed: kernel netem works)"};
      } else {
        c.disables = {known_missing(cap::kNetem) && c.probed ? no_packet_faults : "the NFQUEUE userspace shaper"};
      }
    } else if (n == cap::kFaketime) {
      c.disables = {"clock-skew faults on one host (bump, strobe, reset)"};
      c.fallback = "on VMs (--backend ssh) the wall clock is stepped instead";
    } else if (n == cap::kFreezer) {
      c.disables = {"cgroup-freezer pauses"};
      if (works(cap::kSigstop)) c.fallback = "pauses use SIGSTOP/SIGCONT (a node's parent can see the stop)";
    } else if (n == cap::kSigstop) {
      c.disables = {works(cap::kFreezer) ? "SIGSTOP as the pause fallback" : "pauses"};
    }
  }
}

Mechanisms mechanisms(const std::vector<Capability>& caps) {
  Mechanisms m;
  // On one host, network faults act inside node namespaces.
  const bool netns = is_ok(caps, cap::kNetns);
  m.partitions = !netns                             ? "none"
                 : is_ok(caps, cap::kNftables) ? "nftables"
                 : is_ok(caps, cap::kIptables) ? "iptables"
                                                    : "none";
  m.packet_faults = !netns                            ? "none"
                    : is_ok(caps, cap::kNetem)   ? "netem"
                    : is_ok(caps, cap::kNfqueue) ? "nfqueue"
                                                      : "none";
  m.pauses = is_ok(caps, cap::kFreezer) ? "cgroup-freezer" : is_ok(caps, cap::kSigstop) ? "sigstop" : "none";
  m.clock_skew = is_ok(caps, cap::kFaketime) ? "libfaketime" : "none";
  return m;
}

}  // namespace faultline::nemesis
