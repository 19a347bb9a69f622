// The judge: the verdict is the model's, expected anomalies are labelled and
// never turn invalid into valid, counts are the checkers' true counts, and
// --expect is met only by a non-empty set of expected kinds.
#include "faultline/checker/judge.h"

#include <gtest/gtest.h>

namespace faultline::check {
namespace {

Result result(const std::string& checker, Validity v, std::map<std::string, std::int64_t> counts,
              std::size_t listed = 1) {
  Result r;
  r.checker = checker;
  r.valid = v;
  // As the checkers do: every anomaly counted, `listed` of each kind listed.
  for (const auto& [kind, n] : counts) {
    r.count(kind, n);
    for (std::int64_t i = 0; i < n && static_cast<std::size_t>(i) < listed; ++i)
      r.anomalies.push_back(Anomaly{kind, kind + " #" + std::to_string(i), {}, {}});
  }
  return r;
}

Report report(std::vector<Result> results) {
  Report rep;
  rep.results = std::move(results);
  return rep;
}

TEST(Judge, ExpectedAnomaliesStayInvalidWithTheirLabel) {
  const Judgement j = judge(report({result("register-stale-read", Validity::kInvalid, {{"stale-read", 1494}}),
                                    result("linearizable", Validity::kInvalid, {{"nonlinearizable", 57}})}),
                            {"r1w1", {"stale-read", "nonlinearizable"}});
  EXPECT_EQ(j.valid, Validity::kInvalid);
  EXPECT_TRUE(j.expected);
  EXPECT_EQ(j.expected_for, "r1w1");
  EXPECT_EQ(j.counts.at("stale-read"), 1494);  // true counts, not the one listed
  EXPECT_EQ(j.counts.at("nonlinearizable"), 57);
  EXPECT_EQ(j.anomaly_count, 1494 + 57);
  EXPECT_EQ(j.headline(), "INVALID \u2014 expected for r1w1: nonlinearizable, stale reads");
  EXPECT_EQ(exit_code(j.valid), 1);
  EXPECT_EQ(j.results[0]["anomalies"].size(), 1u);
  EXPECT_EQ(j.results[0]["anomalies"][0]["expected"], true);
  EXPECT_EQ(j.results[0]["counts"]["stale-read"], 1494);
  EXPECT_EQ(j.summary()["expected"], true);
}

TEST(Judge, AnyUnexpectedKindDropsTheLabel) {
  const Judgement j = judge(report({result("register-stale-read", Validity::kInvalid,
                                           {{"stale-read", 3}, {"impossible-read", 1}})}),
                            {"r1w1", {"stale-read", "nonlinearizable"}});
  EXPECT_EQ(j.valid, Validity::kInvalid);
  EXPECT_FALSE(j.expected);
  EXPECT_EQ(j.headline(), "INVALID");
  EXPECT_EQ(j.results[0]["anomalies"][0]["expected"], false);  // impossible-read sorts first in the map
}

TEST(Judge, ValidAndUnknownAreNotLabelled) {
  EXPECT_EQ(judge(report({result("linearizable", Validity::kValid, {})}), {"r1w1", {"stale-read"}}).headline(), "valid");
  const Judgement u = judge(report({result("linearizable", Validity::kValid, {}),
                                    result("final-reads", Validity::kUnknown, {})}));
  EXPECT_EQ(u.valid, Validity::kUnknown);
  EXPECT_EQ(u.headline(), "unknown");
  EXPECT_EQ(judge(report({})).valid, Validity::kUnknown);
}

TEST(Judge, ACheckerThatOnlyListsStillCounts) {
  Result r;
  r.checker = "legacy";
  r.valid = Validity::kInvalid;
  r.anomalies.push_back(Anomaly{"lost", "", {}, {}});
  r.anomalies.push_back(Anomaly{"lost", "", {}, {}});
  EXPECT_EQ(judge(report({r})).counts.at("lost"), 2);
}

TEST(Judge, ExpectIsMetByAtLeastOneAnomalyAllOfExpectedKinds) {
  const Judgement caught = judge(report({result("register-stale-read", Validity::kInvalid, {{"stale-read", 2}}),
                                         result("linearizable", Validity::kInvalid, {{"nonlinearizable", 1}})}));
  EXPECT_EQ(expectation_unmet(caught, {"stale-read", "nonlinearizable"}), "");
  EXPECT_NE(expectation_unmet(caught, {"stale-read"}).find("not expected: nonlinearizable"), std::string::npos);
  const Judgement clean = judge(report({result("linearizable", Validity::kValid, {})}));
  EXPECT_NE(expectation_unmet(clean, {"stale-read"}).find("found no anomaly"), std::string::npos);
}

TEST(Judge, FindingsSayWhatEachCheckerConcluded) {
  EXPECT_EQ(judge(report({result("register-stale-read", Validity::kValid, {}),
                          result("linearizable", Validity::kValid, {})}))
                .findings(),
            "no stale read, linearizable");
  EXPECT_EQ(judge(report({result("register-stale-read", Validity::kInvalid, {{"stale-read", 12}, {"impossible-read", 1}}),
                          result("linearizable", Validity::kInvalid, {{"nonlinearizable", 1}})}))
                .findings(),
            "1 impossible read, 12 stale reads, not linearizable (1 key)");
  EXPECT_EQ(judge(report({result("set-full", Validity::kInvalid, {{"lost", 3}}),
                          result("final-reads", Validity::kUnknown, {})}))
                .findings(),
            "3 lost writes, lost writes unknown (keys not read back)");
  EXPECT_EQ(judge(report({result("linearizable", Validity::kUnknown, {})})).findings(), "linearizability unknown");
  EXPECT_EQ(judge(report({})).findings(), "nothing checked");
}

TEST(Result, ToJsonCarriesTheTrueCountsBesideTheListedAnomalies) {
  const Result r = result("linearizable", Validity::kInvalid, {{"a", 7}, {"b", 3}}, 2);
  EXPECT_EQ(r.anomalies.size(), 4u);
  EXPECT_EQ(r.counts.at("a"), 7);
  EXPECT_EQ(to_json(r)["counts"]["a"], 7);
  EXPECT_EQ(to_json(r)["counts"]["b"], 3);
  EXPECT_EQ(to_json(r)["anomalies"].size(), 4u);
}

}  // namespace
}  // namespace faultline::check
