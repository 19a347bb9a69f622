// Links, qdiscs, filters and NFQUEUE through libnl, each test inside its own
// scratch network namespace (a forked child), checked against iproute2 where
// it can be. Needs root.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "faultline/testing/require_root.h"
#include "faultline/process/command.h"
#include "faultline/process/forked.h"
#include "packet/netlink.h"
#include "packet/nfqueue.h"
#include "packet/qdisc.h"

namespace faultline::nemesis {
using process::ChildOutcome;
using process::CommandResult;
using process::Status;
using process::run_command;
using process::run_forked;
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kPort = 47123;

// Runs `work` in a scratch namespace; its message explains any failure.
void in_scratch_netns(std::function<ChildOutcome()> work) {
  ChildOutcome r = run_forked(std::move(work), {.new_netns = true, .timeout = 10s});
  EXPECT_TRUE(r.ok) << r.message;
}

#define CHECK_OR_RETURN(cond, msg)                                 \
  do {                                                             \
    if (!(cond)) return ChildOutcome{false, std::string(msg), false}; \
  } while (0)

struct Udp {
  int rx = -1, tx = -1;
  Udp() {
    rx = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    tx = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kPort);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(rx, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ~Udp() {
    ::close(rx);
    ::close(tx);
  }
  void send(const std::string& s) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kPort);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(tx, s.data(), s.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  bool received(std::chrono::milliseconds wait) {
    pollfd p{rx, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
    char buf[256];
    return ::recv(rx, buf, sizeof buf, 0) > 0;
  }
};

Status lo_up(RouteSocket& sock) {
  if (Status st = sock.connect(); !st) return st;
  return sock.set_up("lo");
}

class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override { FAULTLINE_REQUIRE_ROOT(); }
};

TEST_F(NetlinkTest, VethBridgeAndDelete) {
  in_scratch_netns([] {
    RouteSocket sock;
    CHECK_OR_RETURN(sock.connect(), "connect");
    Status st = sock.add_veth_pair("t-va", "t-vb");
    CHECK_OR_RETURN(st, st.error);
    st = sock.add_bridge("t-br");
    CHECK_OR_RETURN(st, st.error);
    st = sock.set_master("t-va", "t-br");
    CHECK_OR_RETURN(st, st.error);
    for (const char* name : {"t-va", "t-vb", "t-br"}) {
      st = sock.set_up(name);
      CHECK_OR_RETURN(st, st.error);
    }
    CommandResult shown = run_command({"ip", "-o", "link", "show", "t-va"});
    CHECK_OR_RETURN(shown.output.find("master t-br") != std::string::npos, "ip does not show t-va in t-br: " + shown.output);
    CHECK_OR_RETURN(!sock.add_veth_pair("t-va", "t-vc"), "adding an existing link must fail");
    st = sock.delete_link("t-va");
    CHECK_OR_RETURN(st, st.error);
    CHECK_OR_RETURN(sock.link_index("t-va") == 0 && sock.link_index("t-vb") == 0, "veth pair not gone");
    CHECK_OR_RETURN(sock.link_index("t-br") != 0, "bridge vanished");
    CHECK_OR_RETURN(!sock.set_up("t-nonexistent"), "set_up of a missing link must fail");
    return ChildOutcome{true, "", false};
  });
}

TEST_F(NetlinkTest, LinksDieWithTheScratchNamespace) {
  in_scratch_netns([] {
    RouteSocket sock;
    CHECK_OR_RETURN(sock.connect(), "connect");
    Status st = sock.add_veth_pair("t-gone-a", "t-gone-b");
    return ChildOutcome{st.ok, st.error, false};
  });
  CommandResult links = run_command({"ip", "-o", "link"});
  ASSERT_TRUE(links.succeeded()) << links.describe();
  EXPECT_EQ(links.output.find("t-gone"), std::string::npos) << links.output;
}

TEST_F(NetlinkTest, PerDestinationTreeMatchesWhatTcShows) {
  in_scratch_netns([] {
    RouteSocket sock;
    Status st = lo_up(sock);
    CHECK_OR_RETURN(st, st.error);
    int lo = sock.link_index("lo");
    st = add_prio(sock, lo, kTcRoot, tc_handle(1, 0), 4);
    std::string parent = "prio";
    if (!st && st.unsupported) {
      st = add_htb(sock, lo, kTcRoot, tc_handle(1, 0), 0);
      parent = "htb";
    }
    CHECK_OR_RETURN(st, st.error);
    st = add_u32_destination_filter(sock, lo, tc_handle(1, 0), 1, "10.254.0.2/32", tc_handle(1, 4));
    CHECK_OR_RETURN(st, st.error);
    st = add_u32_destination_filter(sock, lo, tc_handle(1, 0), 2, "10.254.1.0/24", tc_handle(1, 4));
    CHECK_OR_RETURN(st, st.error);
    CHECK_OR_RETURN(!add_u32_destination_filter(sock, lo, tc_handle(1, 0), 3, "not-an-ip", tc_handle(1, 4)),
                    "a bad address must be refused");

    CommandResult qdiscs = run_command({"tc", "qdisc", "show", "dev", "lo"});
    CHECK_OR_RETURN(qdiscs.output.find("qdisc " + parent + " 1: root") != std::string::npos,
                    "tc does not show the " + parent + " root: " + qdiscs.output);
    CommandResult filters = run_command({"tc", "filter", "show", "dev", "lo"});
    CHECK_OR_RETURN(filters.output.find("match 0afe0002/ffffffff at 16") != std::string::npos,
                    "tc does not show the /32 destination match: " + filters.output);
    CHECK_OR_RETURN(filters.output.find("match 0afe0100/ffffff00 at 16") != std::string::npos,
                    "tc does not show the /24 destination match: " + filters.output);
    CHECK_OR_RETURN(filters.output.find("flowid 1:4") != std::string::npos, "filters do not target 1:4: " + filters.output);

    st = delete_qdisc(sock, lo, kTcRoot);
    CHECK_OR_RETURN(st, st.error);
    qdiscs = run_command({"tc", "qdisc", "show", "dev", "lo"});
    CHECK_OR_RETURN(qdiscs.output.find("1: root") == std::string::npos, "root qdisc not removed: " + qdiscs.output);
    return ChildOutcome{true, "", false};
  });
}

TEST_F(NetlinkTest, TbfAddsAndShows) {
  in_scratch_netns([] {
    RouteSocket sock;
    Status st = lo_up(sock);
    CHECK_OR_RETURN(st, st.error);
    st = add_tbf(sock, sock.link_index("lo"), kTcRoot, tc_handle(1, 0), 125'000, 32 * 1024, 50'000);
    if (!st && st.unsupported) return ChildOutcome{true, "tbf not in this kernel", false};
    CHECK_OR_RETURN(st, st.error);
    CommandResult qdiscs = run_command({"tc", "qdisc", "show", "dev", "lo"});
    CHECK_OR_RETURN(qdiscs.output.find("tbf 1: root") != std::string::npos && qdiscs.output.find("1Mbit") != std::string::npos,
                    "tc shows: " + qdiscs.output);
    return ChildOutcome{true, "", false};
  });
}

// The libnl netem path and iproute2 must agree on whether this kernel has
// netem; where it does, the delay must be real.
TEST_F(NetlinkTest, NetemAgreesWithTcAndDelaysWhereAvailable) {
  in_scratch_netns([] {
    RouteSocket sock;
    Status st = lo_up(sock);
    CHECK_OR_RETURN(st, st.error);
    int lo = sock.link_index("lo");
    CommandResult tc = run_command({"tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "10ms"});
    if (tc.succeeded()) run_command({"tc", "qdisc", "del", "dev", "lo", "root"});
    NetemParams params;
    params.delay_us = 40'000;
    params.loss = 0;
    st = add_netem(sock, lo, kTcRoot, tc_handle(1, 0), params);
    CHECK_OR_RETURN(st.ok == tc.succeeded(), "libnl says " + std::string(st.ok ? "ok" : st.error) + ", tc says " +
                                                 tc.describe());
    if (!st.ok) {
      CHECK_OR_RETURN(st.unsupported, "netem failure not classified as unsupported: " + st.error);
      return ChildOutcome{true, "", false};
    }
    Udp udp;
    auto start = Clock::now();
    udp.send("x");
    CHECK_OR_RETURN(udp.received(2s), "datagram lost under a pure delay");
    CHECK_OR_RETURN(Clock::now() - start >= 35ms, "netem did not delay");
    return ChildOutcome{true, "", false};
  });
}

// The userspace shaper's building block: hold a queued packet, then accept
// it (delay) or drop it (loss).
TEST_F(NetlinkTest, NfqueueVerdictsDelayAndDrop) {
  in_scratch_netns([] {
    RouteSocket sock;
    Status st = lo_up(sock);
    CHECK_OR_RETURN(st, st.error);
    NfQueue queue;
    st = queue.open(11);
    CHECK_OR_RETURN(st, st.error);
    CommandResult rule = run_command({"iptables", "-w", "2", "-A", "OUTPUT", "-o", "lo", "-p", "udp", "--dport",
                                      std::to_string(kPort), "-j", "NFQUEUE", "--queue-num", "11"});
    CHECK_OR_RETURN(rule.succeeded(), "iptables NFQUEUE rule: " + rule.describe());
    Udp udp;

    auto start = Clock::now();
    udp.send("delayed");
    std::vector<QueuedPacket> got = queue.receive(1s);
    CHECK_OR_RETURN(got.size() == 1, "expected one queued packet, got " + std::to_string(got.size()));
    CHECK_OR_RETURN(got[0].payload.find("delayed") != std::string::npos, "payload not copied");
    CHECK_OR_RETURN(got[0].queue == 11 && got[0].family == AF_INET, "wrong queue/family");
    CHECK_OR_RETURN(!udp.received(50ms), "packet arrived before its verdict");
    std::this_thread::sleep_for(30ms);
    st = queue.verdict(got[0], Verdict::accept);
    CHECK_OR_RETURN(st, st.error);
    CHECK_OR_RETURN(udp.received(1s), "accepted packet never arrived");
    CHECK_OR_RETURN(Clock::now() - start >= 80ms, "packet was not held back");

    udp.send("dropped");
    got = queue.receive(1s);
    CHECK_OR_RETURN(got.size() == 1, "second packet not queued");
    st = queue.verdict(got[0], Verdict::drop);
    CHECK_OR_RETURN(st, st.error);
    CHECK_OR_RETURN(!udp.received(200ms), "dropped packet arrived");
    return ChildOutcome{true, "", false};
  });
}

TEST(NetlinkErrors, UnconnectedSocketFailsCleanly) {
  RouteSocket sock;
  EXPECT_FALSE(sock.add_bridge("x"));
  EXPECT_EQ(sock.link_index("lo"), 0);
  NfQueue queue;
  EXPECT_FALSE(queue.verdict(QueuedPacket{}, Verdict::accept));
  Status st;
  EXPECT_TRUE(queue.receive(1ms, &st).empty());
  EXPECT_FALSE(st);
}

}  // namespace
}  // namespace faultline::nemesis
