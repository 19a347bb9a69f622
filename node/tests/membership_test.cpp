#include "swim/membership.h"

#include <gtest/gtest.h>

#include <thread>

namespace faultline::node {
namespace {

std::vector<Member> three() {
  return {{"n1", "127.0.0.1", 1}, {"n2", "127.0.0.1", 2}, {"n3", "127.0.0.1", 3}};
}

TEST(StaticMembership, FailuresMakeAPeerSuspectThenDead) {
  StaticMembership m(three(), "n1", 2);
  std::vector<std::pair<std::string, Liveness>> seen;
  m.subscribe([&](const std::string& id, Liveness l) { seen.emplace_back(id, l); });
  EXPECT_EQ(m.state("n2"), Liveness::kAlive);
  m.report_failure("n2");
  EXPECT_EQ(m.state("n2"), Liveness::kSuspect);
  EXPECT_TRUE(m.usable("n2"));
  m.report_failure("n2");
  EXPECT_EQ(m.state("n2"), Liveness::kDead);
  EXPECT_FALSE(m.usable("n2"));
  m.report_failure("n2");  // no change, no notification
  m.report_success("n2");
  EXPECT_EQ(m.state("n2"), Liveness::kAlive);
  const std::vector<std::pair<std::string, Liveness>> want = {
      {"n2", Liveness::kSuspect}, {"n2", Liveness::kDead}, {"n2", Liveness::kAlive}};
  EXPECT_EQ(seen, want);
}

TEST(StaticMembership, SuccessResetsTheFailureCount) {
  StaticMembership m(three(), "n1", 2);
  m.report_failure("n3");
  m.report_success("n3");
  m.report_failure("n3");
  EXPECT_EQ(m.state("n3"), Liveness::kSuspect);
}

TEST(StaticMembership, DownForCountsFromTheFirstFailureUntilASuccess) {
  // The hint window's clock: since the first failed call of the current run.
  StaticMembership m(three(), "n1", 2);
  EXPECT_EQ(m.down_for("n2"), std::nullopt);
  m.report_failure("n2");
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  m.report_failure("n2");  // dead now; still counted from the first failure
  ASSERT_TRUE(m.down_for("n2").has_value());
  EXPECT_GE(m.down_for("n2")->count(), 30);
  EXPECT_EQ(m.down_for("n3"), std::nullopt);
  m.report_success("n2");
  EXPECT_EQ(m.down_for("n2"), std::nullopt);
  m.report_failure("n2");
  EXPECT_LT(m.down_for("n2")->count(), 30);  // a new run starts afresh
}

TEST(StaticMembership, SelfNeverDiesAndStrangersAreDead) {
  StaticMembership m(three(), "n1", 1);
  m.report_failure("n1");
  EXPECT_EQ(m.state("n1"), Liveness::kAlive);
  EXPECT_EQ(m.state("n9"), Liveness::kDead);
  EXPECT_EQ(m.members().size(), 3u);
}

}  // namespace
}  // namespace faultline::node
