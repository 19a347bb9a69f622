// The check pipeline shared by `faultline run` and `faultline check`: model
// and expectation from the history's meta unless given, the judge's verdict,
// and --expect deciding the exit code when asked.
#include "faultline/checker/pipeline.h"

#include <gtest/gtest.h>

#include "scripted_history.h"

namespace faultline::check {
namespace {

// A register history with one stale read: write 2 ended before the read of 1 began.
history::History stale_register() {
  testing::Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(0, "write", 2);
  s.ok(0);
  s.invoke(1, "read");
  s.ok(1, 1);
  return s.history();
}

history::History clean_register() {
  testing::Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(1, "read");
  s.ok(1, 1);
  return s.history();
}

TEST(Pipeline, ModelAndExpectationComeFromTheMetaAHarnessRunWrote) {
  history::History h = stale_register();
  h.meta = {{"model", "register"},
            {"store_preset", "r1w1"},
            {"check", {{"expected_anomalies", {"stale-read", "nonlinearizable"}}}}};
  const CheckOutcome c = check_and_judge(h, {});
  EXPECT_EQ(c.model, "register");
  EXPECT_EQ(c.expectation.label, "r1w1");
  EXPECT_EQ(c.expectation.kinds, (std::vector<std::string>{"stale-read", "nonlinearizable"}));
  EXPECT_EQ(c.judgement.valid, Validity::kInvalid);
  EXPECT_TRUE(c.judgement.expected);  // invalid, labelled, never valid
  EXPECT_GT(c.judgement.counts.at("stale-read"), 0);
  EXPECT_FALSE(c.expect_given);
  EXPECT_EQ(c.exit_code(), 1);
}

TEST(Pipeline, AGivenModelAndExpectationWinOverTheMeta) {
  history::History h = stale_register();
  h.meta = {{"model", "set"}, {"check", {{"expected_anomalies", {"stale-read"}}}}};
  const CheckOutcome c = check_and_judge(h, {"register", {}, Expectation{"safe", {}}, {}});
  EXPECT_EQ(c.model, "register");
  EXPECT_EQ(c.expectation.label, "safe");
  EXPECT_TRUE(c.expectation.kinds.empty());
  EXPECT_EQ(c.judgement.valid, Validity::kInvalid);
  EXPECT_FALSE(c.judgement.expected);
}

TEST(Pipeline, ExpectDecidesTheExitCodeWhenAsked) {
  history::History h = stale_register();
  CheckOutcome met = check_and_judge(h, {"register", {}, std::nullopt, {"stale-read", "nonlinearizable"}});
  EXPECT_TRUE(met.expect_given);
  EXPECT_EQ(met.expect_unmet, "");
  EXPECT_EQ(met.exit_code(), 0);  // invalid, as expected: the run caught what it should
  CheckOutcome unmet = check_and_judge(clean_register(), {"register", {}, std::nullopt, {"stale-read"}});
  EXPECT_EQ(unmet.judgement.valid, Validity::kValid);
  EXPECT_NE(unmet.expect_unmet, "");
  EXPECT_EQ(unmet.exit_code(), 1);  // nothing caught is not what was expected
  EXPECT_EQ(check_and_judge(clean_register(), {"register", {}, std::nullopt, {}}).exit_code(), 0);
}

TEST(Pipeline, NoModelAndUnknownModelAreErrorsNamingTheWayOut) {
  try {
    check_and_judge(clean_register(), {});
    FAIL() << "no model was accepted";
  } catch (const NoModelError& e) {
    EXPECT_NE(std::string(e.what()).find("pass --model (one of set register"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_and_judge(clean_register(), {"registers", {}, std::nullopt, {}}), std::invalid_argument);
}

TEST(Pipeline, StrictStaleFromTheMetaRaisesTheOptions) {
  // A set history: add 1 acknowledged, then a read that misses it is stale;
  // under strict_stale it makes the history invalid.
  testing::Script s;
  s.invoke(0, "add", 1);
  s.ok(0);
  s.invoke(1, "read");
  s.ok(1, Json::array());
  s.invoke(1, "read");
  s.ok(1, Json::array({1}));
  history::History h = s.history();
  h.meta = {{"model", "set"}};
  const Validity lenient = check_and_judge(h, {}).judgement.valid;
  h.meta["check"] = {{"strict_stale", true}};
  const Validity strict = check_and_judge(h, {}).judgement.valid;
  EXPECT_EQ(lenient, Validity::kValid);
  EXPECT_EQ(strict, Validity::kInvalid);
}

TEST(Pipeline, FirstAnomalyIsWhenItsLastWitnessEventHappened) {
  // The stale read completes at 5 ms (events 1 ms apart from 0): its witness
  // (write 2's completion and the read) is complete then, not before.
  const CheckOutcome stale = check_and_judge(stale_register(), {"register", {}, std::nullopt, {}});
  ASSERT_TRUE(stale.first_anomaly_ns.has_value());
  EXPECT_EQ(*stale.first_anomaly_ns, 5'000'000);
  EXPECT_FALSE(check_and_judge(clean_register(), {"register", {}, std::nullopt, {}}).first_anomaly_ns.has_value());
}

}  // namespace
}  // namespace faultline::check
