// Probes of packet filtering: a drop rule must really drop a test datagram,
// and an NFQUEUE rule must really hand one to userspace. They run in a forked
// child inside a scratch network namespace, so the rules vanish with it.
#include <chrono>

#include "faultline/process/command.h"
#include "packet/nfqueue.h"
#include "probes/probe_support.h"

namespace faultline::nemesis::detail {
using process::ChildOutcome;
using process::CommandResult;
using process::Status;
using process::find_program;
using process::first_line;
using process::run_command;
namespace {

using namespace std::chrono_literals;


constexpr const char* kBlockedSource = "127.0.0.2";
constexpr std::uint16_t kQueueNumber = 7;

std::string port_text() { return std::to_string(kProbePort); }

// The scratch namespace's loopback, up, and a datagram that arrives before
// any rule — otherwise "it was dropped" would prove nothing.
ChildOutcome prepare_loopback() {
  RouteSocket sock;
  if (Status st = bring_up_loopback(sock); !st) return fail(st.error);
  if (!datagram_arrives(kBlockedSource, 500ms)) return fail("a test datagram on lo did not arrive even without rules");
  return pass("");
}

ChildOutcome check_dropped(const std::string& what) {
  if (datagram_arrives(kBlockedSource, 150ms)) return fail(what + " was accepted, but a matching datagram still arrived");
  return pass(what + " dropped a test datagram in a scratch namespace");
}

std::string iptables_variant(const std::string& binary, std::chrono::milliseconds timeout) {
  CommandResult v = run_command({binary, "--version"}, {.timeout = timeout});
  std::string line = first_line(v.output);  // "iptables v1.8.9 (nf_tables)"
  return line.empty() ? binary : line;
}

}  // namespace

ChildOutcome nftables_work(std::chrono::milliseconds timeout) {
  std::optional<std::string> nft = find_program("nft");
  if (!nft) return fail("nft binary not found (install the nftables package)");
  if (ChildOutcome ready = prepare_loopback(); !ready.ok) return ready;
  CommandResult r = run_command(
      {*nft,
       "add table inet faultline_doctor; "
       "add chain inet faultline_doctor input { type filter hook input priority 0; policy accept; }; "
       "add rule inet faultline_doctor input ip saddr " +
           std::string(kBlockedSource) + " udp dport " + port_text() + " drop"},
      {.timeout = timeout});
  if (r.timed_out) return fail("nft did not finish adding a drop rule within " + std::to_string(timeout.count()) + " ms");
  if (!r.succeeded()) return fail("nft could not add a drop rule (kernel nf_tables missing?): " + r.describe());
  return check_dropped("an nftables drop rule (nft, table inet)");
}

ChildOutcome iptables_work(std::chrono::milliseconds timeout) {
  std::optional<std::string> iptables = find_program("iptables");
  if (!iptables) return fail("iptables binary not found (install the iptables package)");
  if (ChildOutcome ready = prepare_loopback(); !ready.ok) return ready;
  const std::string wait_seconds = std::to_string(std::max<long long>(1, timeout.count() / 1000));
  CommandResult r = run_command({*iptables, "-w", wait_seconds, "-A", "INPUT", "-s", kBlockedSource, "-p", "udp",
                                 "--dport", port_text(), "-j", "DROP"},
                                {.timeout = timeout});
  if (r.timed_out) {
    return fail("iptables did not finish adding a drop rule within " + std::to_string(timeout.count()) + " ms");
  }
  if (!r.succeeded()) return fail("iptables could not add a drop rule: " + r.describe());
  return check_dropped("an iptables drop rule (" + iptables_variant(*iptables, timeout) + ")");
}

ChildOutcome nfqueue_work(std::chrono::milliseconds timeout) {
  RouteSocket sock;
  if (Status st = bring_up_loopback(sock); !st) return fail(st.error);
  NfQueue queue;
  if (Status st = queue.open(kQueueNumber); !st) {
    return fail("cannot bind a netfilter queue through libnl-nf (kernel nfnetlink_queue missing?): " + st.error);
  }
  // Queue outgoing test datagrams: iptables where present, else nft.
  std::string rule_by;
  if (std::optional<std::string> iptables = find_program("iptables")) {
    const std::string wait_seconds = std::to_string(std::max<long long>(1, timeout.count() / 1000));
    CommandResult r = run_command({*iptables, "-w", wait_seconds, "-A", "OUTPUT", "-o", "lo", "-p", "udp", "--dport",
                                   port_text(), "-j", "NFQUEUE", "--queue-num", std::to_string(kQueueNumber)},
                                  {.timeout = timeout});
    if (r.succeeded()) rule_by = "an iptables NFQUEUE rule";
    else if (!find_program("nft")) return fail("iptables could not add an NFQUEUE rule: " + r.describe());
  }
  if (rule_by.empty()) {
    std::optional<std::string> nft = find_program("nft");
    if (!nft) return fail("neither iptables nor nft is installed to add an NFQUEUE rule");
    CommandResult r = run_command(
        {*nft,
         "add table inet faultline_doctor; "
         "add chain inet faultline_doctor output { type filter hook output priority 0; policy accept; }; "
         "add rule inet faultline_doctor output udp dport " +
             port_text() + " queue num " + std::to_string(kQueueNumber)},
        {.timeout = timeout});
    if (!r.succeeded()) return fail("nft could not add a queue rule: " + r.describe());
    rule_by = "an nft queue rule";
  }

  UdpProbe udp;
  if (Status st = udp.open("127.0.0.1"); !st) return fail(st.error);
  const std::string payload = "faultline-doctor-nfqueue";
  if (Status st = udp.send(payload); !st) return fail(st.error);

  const auto deadline = std::chrono::steady_clock::now() + 1000ms;
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    Status st;
    for (const QueuedPacket& packet : queue.receive(100ms, &st)) {
      bool ours = packet.payload.find(payload) != std::string::npos;
      if (Status v = queue.verdict(packet, Verdict::accept); !v) return fail(v.error);
      seen = seen || ours;
    }
    if (!st) return fail(st.error);
  }
  if (!seen) return fail(rule_by + " was accepted, but no packet reached the userspace queue within 1 s");
  if (!udp.arrives(payload, 500ms)) return fail("a queued datagram was accepted from userspace but never arrived");
  return pass(rule_by + " handed a test datagram to a libnl-nf queue in a scratch namespace; "
              "it arrived after the userspace verdict");
}

}  // namespace faultline::nemesis::detail
