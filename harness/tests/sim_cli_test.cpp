// `faultline sim membership`: one JSON object with issue 7's keys, the same
// for the same seed; bad flags exit 254 naming the flag.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "faultline/testing/run_binary.h"

namespace faultline::testing {
namespace {

TEST(SimCli, MembershipPrintsTheIssueKeysSameSeedSameOutput) {
  const std::vector<std::string> args = {"sim", "membership", "--nodes", "20", "--crash", "2", "--pause", "1@10",
                                         "--duration", "40", "--seed", "3"};
  RunResult a = run_faultline(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  RunResult b = run_faultline(args);
  EXPECT_EQ(a.out, b.out);
  const auto j = nlohmann::json::parse(a.out);
  for (const char* key : {"first_suspicion_s", "dead_declared_s", "dead_known_by_all_s", "dissemination_rounds",
                          "log2_n", "false_dead", "msgs_per_member_per_s", "bytes_per_member_per_s", "rate_timeline"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["crashed"], 2);
  EXPECT_TRUE(j["first_suspicion_s"].contains("median"));
  EXPECT_TRUE(j["first_suspicion_s"].contains("p99"));
  EXPECT_TRUE(j["msgs_per_member_per_s"].contains("mean"));
  EXPECT_TRUE(j["msgs_per_member_per_s"].contains("max"));
  RunResult c = run_faultline({"sim", "membership", "--nodes", "20", "--mode", "central", "--duration", "20"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_GT(nlohmann::json::parse(c.out)["monitor_msgs_per_s"].get<double>(), 0);
}

TEST(SimCli, MembershipBadFlagsExit254NamingThem) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{{{"--pause", "3x"}, "--pause '3x' is not SECONDS@AT"},
                                         {{"--mode", "ring"}, "--mode must be swim or central"},
                                         {{"--loss", "1.5"}, "--loss"},
                                         {{"--nodes", "1"}, "--nodes"},
                                         {{"--partition", "10@500"}, "--partition"}}) {
    std::vector<std::string> args = {"sim", "membership"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    RunResult r = run_faultline(args);
    EXPECT_EQ(r.exit_code, 254) << c.says;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace faultline::testing
