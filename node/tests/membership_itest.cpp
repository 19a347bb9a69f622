// Real faultline-node processes on loopback with the SWIM and central
// detectors: a SIGKILLed node is declared dead by every other node; a node
// SIGSTOPped for less than the minimum suspicion timeout is not.
#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

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
  Cluster c(5, {{"membership", "swim"}});
  for (int o = 0; o < 4; ++o) ASSERT_EQ(state_seen(c, o, "n5"), "alive");
  c.kill9(4);
  const double took = wait_all(c, {0, 1, 2, 3}, "n5", "dead", 15);
  std::printf("SIGKILLed n5 dead at all 4 others after %.2f s\n", took);
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

TEST(MembershipCluster, CentralMonitorDeclaresAKilledNodeDeadEverywhere) {
  Cluster c(4, {{"membership", "central"}});
  c.kill9(3);
  const double took = wait_all(c, {0, 1, 2}, "n4", "dead", 12);
  std::printf("central: SIGKILLed n4 dead at all 3 others after %.2f s\n", took);
  ASSERT_GE(took, 0);
  EXPECT_EQ(c.call(0, {{"op", "status"}})["membership"]["mode"], "central");
}

}  // namespace
}  // namespace faultline::node::testing
