// Real faultline-node processes on loopback with the SWIM and central
// detectors: a SIGKILLed node is declared dead by every other node; a node
// SIGSTOPped for less than the minimum suspicion timeout is not; a
// push-pull view past one datagram syncs over TCP.
#include <chrono>
#include <fstream>
#include <thread>

#include <algorithm>

#include <gtest/gtest.h>

#include "swim/swim_stream.h"
#include "swim/swim_wire.h"
#include "faultline/testing/node_cluster.h"

namespace faultline::node::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string state_seen(Cluster& c, int observer, const std::string& member) {
  const Json s = c.call(observer, {{"op", "status"}}, 1000);
  if (!s.value("ok", false)) return "unreachable";
  for (const auto& m : s["members"])
    if (m["id"] == member) return m["state"].get<std::string>();
  return "missing";
}

// Waits until every listed observer sees `member` in `state`; returns the seconds it took, or -1.
double wait_all(Cluster& c, const std::vector<int>& observers, const std::string& member, const std::string& state,
                double limit_s) {
  const auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < limit_s) {
    bool all = true;
    for (int o : observers) all = all && state_seen(c, o, member) == state;
    if (all) return std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

TEST(MembershipCluster, SwimDeclaresAKilledNodeDeadEverywhere) {
  // Issue 7's setting: 10 nodes on loopback, default settings, one killed.
  Cluster c(10, {{"membership", "swim"}});
  const std::vector<int> others = {0, 1, 2, 3, 5, 6, 7, 8, 9};
  ASSERT_GE(wait_all(c, others, "n5", "alive", 5), 0);
  c.kill9(4);
  const double took = wait_all(c, others, "n5", "dead", 15);
  std::printf("SIGKILLed n5 dead at all 9 others after %.2f s\n", took);
  ASSERT_GE(took, 0) << "n5 not declared dead by all others within 15 s";
  // The status carries the detector's view and counters; the log a line per change.
  const Json s = c.call(0, {{"op", "status"}});
  EXPECT_EQ(s["membership"]["mode"], "swim");
  EXPECT_GT(s["membership"]["counters"]["sent"]["ping"].get<int>(), 0);
  std::ifstream log(c.log_of(0));
  std::string line;
  bool logged = false;
  while (std::getline(log, line))
    logged = logged || (line.find("member_change") != std::string::npos && line.find("\"n5\"") != std::string::npos &&
                        line.find("\"dead\"") != std::string::npos);
  EXPECT_TRUE(logged) << "no member_change line for n5 dead in " << c.log_of(0);
}

TEST(MembershipCluster, SwimDoesNotDeclareABrieflyPausedNodeDead) {
  Cluster c(5, {{"membership", "swim"}});
  // n = 5: min suspicion = 2 * max(1, log10 5) * 1 s = 2 s. Pause for 1.2 s.
  c.pause(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  c.resume(2);
  // Watch past the longest suspicion timeout (3 * min = 6 s).
  const auto until = Clock::now() + std::chrono::seconds(7);
  while (Clock::now() < until) {
    for (int o : {0, 1, 3, 4}) ASSERT_NE(state_seen(c, o, "n3"), "dead") << "n" << o + 1 << " declared paused n3 dead";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (int o : {0, 1, 3, 4}) EXPECT_EQ(state_seen(c, o, "n3"), "alive");
}

TEST(MembershipCluster, SwimRestartedNodeRejoinsAfterBeingDeclaredDead) {
  Cluster c(4, {{"membership", "swim"}});
  c.kill9(3);
  ASSERT_GE(wait_all(c, {0, 1, 2}, "n4", "dead", 12), 0);
  // It comes back at incarnation 0; the others tell it it is dead, it
  // refutes with a higher incarnation, and they take it back.
  c.start(3);
  c.wait_ready(3);
  const double took = wait_all(c, {0, 1, 2}, "n4", "alive", 8);
  std::printf("restarted n4 alive again at all 3 others after %.2f s\n", took);
  ASSERT_GE(took, 0);
  const Json s = c.call(0, {{"op", "status"}});
  for (const auto& m : s["members"])
    if (m["id"] == "n4") {
      EXPECT_GE(m["incarnation"].get<int>(), 1);
    }
}

TEST(MembershipCluster, CentralMonitorDeclaresAKilledNodeDeadEverywhere) {
  Cluster c(4, {{"membership", "central"}});
  c.kill9(3);
  const double took = wait_all(c, {0, 1, 2}, "n4", "dead", 12);
  std::printf("central: SIGKILLed n4 dead at all 3 others after %.2f s\n", took);
  ASSERT_GE(took, 0);
  EXPECT_EQ(c.call(0, {{"op", "status"}})["membership"]["mode"], "central");
}

// Issue 7's 50-node target; ~80 s, so disabled by default. Run with
//   node_membership_itest --gtest_also_run_disabled_tests --gtest_filter='*Fifty*'
TEST(MembershipCluster, SwimDownTimeStopsHintsPastTheHintWindow) {
  // The hint window counts from when SWIM last saw the owner alive: once it
  // is dead for longer, the coordinator writes no hint for it.
  Cluster c(4, {{"membership", "swim"}, {"hint_window_ms", 1500}});
  const int coord = 0, victim = 3;
  std::string key;
  for (int k = 0; key.empty() && k < 100000; ++k) {
    const auto reps = c.ring().replicas("swim-window-" + std::to_string(k), 3);
    const bool has_victim = std::find(reps.begin(), reps.end(), c.ids()[victim]) != reps.end();
    const bool has_coord = std::find(reps.begin(), reps.end(), c.ids()[coord]) != reps.end();
    if (has_victim && !has_coord) key = "swim-window-" + std::to_string(k);
  }
  ASSERT_FALSE(key.empty());
  ASSERT_GE(wait_all(c, {coord}, c.ids()[victim], "alive", 5), 0);
  c.kill9(victim);
  ASSERT_GE(wait_all(c, {coord}, c.ids()[victim], "dead", 15), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  const Json r = c.call(coord, {{"op", "put"}, {"key", key}, {"value", "v"}});
  ASSERT_TRUE(r["ok"]) << r.dump();
  EXPECT_EQ(r["hinted"], 0) << r.dump();
  const Json counters = c.call(coord, {{"op", "status"}})["counters"];
  EXPECT_EQ(counters["hints_skipped_window"], 1) << counters.dump();
  EXPECT_EQ(counters["hints_written"], 0) << counters.dump();
}

TEST(MembershipCluster, DISABLED_FiftyNodesConvergeAndStayFreeOfSuspicionIdle) {
  const int n = 50;
  Cluster c(n, {{"membership", "swim"}, {"io_threads", 1}, {"log_level", "info"}});
  // Converged: every node's view has every member alive (they start from
  // the configured list; this checks the protocol keeps it so once all run).
  const auto start = Clock::now();
  auto all_alive = [&] {
    for (int o = 0; o < n; ++o) {
      const Json s = c.call(o, {{"op", "status"}}, 2000);
      if (!s.value("ok", false)) return false;
      for (const auto& m : s["members"])
        if (m["state"] != "alive") return false;
    }
    return true;
  };
  while (!all_alive()) ASSERT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 10.0);
  std::printf("50 nodes: all views all-alive %.2f s after the cluster was up\n",
              std::chrono::duration<double>(Clock::now() - start).count());
  // Count over the idle minute only: while the cluster was being started
  // one process at a time, early nodes rightly suspected unstarted ones.
  auto totals = [&](std::uint64_t& suspicions, std::uint64_t& deaths) {
    suspicions = deaths = 0;
    for (int o = 0; o < n; ++o) {
      const Json s = c.call(o, {{"op", "status"}}, 2000);
      ASSERT_TRUE(s.value("ok", false));
      suspicions += s["membership"]["counters"]["suspicions_raised"].get<std::uint64_t>();
      deaths += s["membership"]["counters"]["deaths_declared"].get<std::uint64_t>();
    }
  };
  std::uint64_t s0 = 0, d0 = 0, s1 = 0, d1 = 0;
  totals(s0, d0);
  std::this_thread::sleep_for(std::chrono::seconds(60));
  totals(s1, d1);
  const std::uint64_t suspicions = s1 - s0, deaths = d1 - d0;
  std::printf("50 nodes idle 60 s: %llu suspicions raised, %llu deaths declared\n",
              static_cast<unsigned long long>(suspicions), static_cast<unsigned long long>(deaths));
  EXPECT_EQ(suspicions, 0u);
  EXPECT_EQ(deaths, 0u);
}

std::size_t view_size(Cluster& c, int i) {
  const Json s = c.call(i, {{"op", "status"}}, 2000);
  return s.value("ok", false) ? s["membership"]["view"].size() : 0;
}

TEST(MembershipCluster, SwimPushPullOverTcpSyncsAViewPastOneDatagram) {
  Cluster c(3, {{"membership", "swim"}});
  // An outsider pushes a 3,000-member view to n1 (members at the discard
  // port: they will be suspected, which is fine; what matters is the sync).
  swim::Names names;
  swim::Packet p{swim::MsgType::kPushPull, 0, 0, std::nullopt, 0, {}};
  for (int i = 0; i < 3000; ++i) {
    const auto m = names.intern("far-" + std::to_string(i));
    names.set_addr(m, "127.0.0.1:9");
    p.updates.push_back({swim::Status::kAlive, m, 0, 0});
  }
  const std::string packet = swim::encode(names, p);
  ASSERT_GT(packet.size(), 65536u);
  const auto sent_at = Clock::now();
  const Json reply = c.call(0, swim::make_push_pull_message("far-0", packet), 5000);
  std::printf("%zu-byte push-pull answered in %.1f ms\n", packet.size(),
              std::chrono::duration<double, std::milli>(Clock::now() - sent_at).count());
  ASSERT_TRUE(reply.value("ok", false)) << reply.dump().substr(0, 300);
  // The pull half: n1 answers on the same connection with its whole view, ours included.
  const auto answer = swim::push_pull_view(reply);
  ASSERT_TRUE(answer.packet) << answer.error;
  swim::Names back;
  const auto q = swim::decode(back, *answer.packet);
  ASSERT_TRUE(q);
  EXPECT_GE(q->updates.size(), 3003u);

  // A restarted n2 joins through its seeds with a push-pull; n1 answers
  // with the 3,003-member view, far past a datagram, on the TCP connection.
  c.kill9(1);
  c.start(1);
  c.wait_ready(1);
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds(8) && view_size(c, 1) < 3003)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::printf("restarted n2 holds the 3,003-member view after %.2f s\n",
              std::chrono::duration<double>(Clock::now() - start).count());
  EXPECT_GE(view_size(c, 1), 3003u);
  for (int i : {0, 1}) {
    const Json k = c.call(i, {{"op", "status"}})["membership"]["counters"];
    const Json& tcp = k["push_pull_tcp"];
    std::printf("n%d push_pull_tcp %s\n", i + 1, tcp.dump().c_str());
    EXPECT_GT(tcp["max_bytes"].get<std::uint64_t>(), 65536u) << "n" << i + 1;
    EXPECT_EQ(tcp["bad"], 0) << "n" << i + 1;
    EXPECT_EQ(k["push_pull_too_large"], 0) << "n" << i + 1;
  }
  const Json k2 = c.call(1, {{"op", "status"}})["membership"]["counters"]["push_pull_tcp"];
  EXPECT_GE(k2["answered"].get<std::uint64_t>(), 1u);

  // Bad input: an error reply naming the field, counted, and the node lives on.
  const Json bad = c.call(0, {{"op", swim::kPushPullOp}, {"from", "x"}, {"view", "@@@@"}});
  EXPECT_EQ(bad.value("error", ""), "bad_request");
  EXPECT_NE(bad.value("message", "").find("base64"), std::string::npos) << bad.dump();
  const Json nofrom = c.call(0, {{"op", swim::kPushPullOp}, {"view", swim::base64_encode(packet)}});
  EXPECT_EQ(nofrom.value("error", ""), "bad_request");
  const Json longfrom =
      c.call(0, {{"op", swim::kPushPullOp}, {"from", std::string(300, 'x')}, {"view", swim::base64_encode(packet)}});
  EXPECT_NE(longfrom.value("message", "").find("from"), std::string::npos) << longfrom.dump();
  EXPECT_TRUE(c.call(0, {{"op", "ping"}}).value("ok", false));
  EXPECT_EQ(c.call(0, {{"op", "status"}})["membership"]["counters"]["push_pull_tcp"]["bad"], 3);
}

}  // namespace
}  // namespace faultline::node::testing
