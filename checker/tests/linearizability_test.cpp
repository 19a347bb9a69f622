// Hand-written edge cases for the linearizability checker.
#include "linearizability/linearizability.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "lin_history_builder.h"

namespace faultline::check {
namespace {

using history::Json;
using testing::HistoryBuilder;

LinearizabilityOptions opts(LinModel model) {
  LinearizabilityOptions o;
  o.model = model;
  o.time_budget_seconds = 30;
  return o;
}

Result run(const HistoryBuilder& b, LinModel model = LinModel::kCasRegister) {
  return check_linearizability(b.history(), opts(model));
}

TEST(Linearizability, EmptyHistoryIsValid) {
  HistoryBuilder b;
  for (LinModel m : {LinModel::kRegister, LinModel::kCasRegister, LinModel::kKv, LinModel::kKvMap}) {
    EXPECT_EQ(run(b, m).valid, Validity::kValid) << to_string(m);
  }
}

TEST(Linearizability, OnlyInvokesIsValid) {
  HistoryBuilder b;
  b.invoke(0, "write", 1).invoke(1, "read").invoke(2, "cas", Json::array({1, 2}));
  EXPECT_EQ(run(b).valid, Validity::kValid);
}

TEST(Linearizability, ReadsOfInitialNil) {
  HistoryBuilder b;
  b.invoke(0, "read").ok(0, "read", nullptr).invoke(1, "write", 1).ok(1, "write", 1);
  b.invoke(0, "read").ok(0, "read", 1);
  EXPECT_EQ(run(b).valid, Validity::kValid);

  HistoryBuilder late;  // nil after a completed write is stale
  late.invoke(1, "write", 1).ok(1, "write", 1).invoke(0, "read").ok(0, "read", nullptr);
  EXPECT_EQ(run(late).valid, Validity::kInvalid);
}

TEST(Linearizability, AWriteOfNilIsADelete) {
  // register: writing nil returns the register to its initial value, so a
  // read of nil after it is fine and the deleted value coming back is not.
  for (LinModel m : {LinModel::kRegister, LinModel::kCasRegister}) {
    HistoryBuilder b;
    b.invoke(0, "write", 1).ok(0, "write", 1).invoke(0, "write", nullptr).ok(0, "write", nullptr);
    b.invoke(1, "read").ok(1, "read", nullptr);
    EXPECT_EQ(run(b, m).valid, Validity::kValid) << to_string(m);
    b.invoke(1, "read").ok(1, "read", 1);  // resurrected
    EXPECT_EQ(run(b, m).valid, Validity::kInvalid) << to_string(m);
  }
}

TEST(Linearizability, ReadOfNeverWrittenValueIsInvalid) {
  HistoryBuilder b;
  b.invoke(0, "write", 1).ok(0, "write", 1).invoke(1, "read").ok(1, "read", 7);
  const Result r = run(b);
  ASSERT_EQ(r.valid, Validity::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].kind, "nonlinearizable");
  EXPECT_EQ(r.anomalies[0].details["op"]["index"], 2);
}

TEST(Linearizability, StaleReadWitnessIsTheThreeOps) {
  HistoryBuilder b;
  b.invoke(0, "write", 1).ok(0, "write", 1);    // 0 1
  b.invoke(3, "read").ok(3, "read", 1);         // 2 3 (fine)
  b.invoke(0, "write", 2).ok(0, "write", 2);    // 4 5
  b.invoke(4, "write", 9).info(4, "write", 9);  // 6 7: may land any time later
  b.invoke(1, "read").ok(1, "read", 2);         // 8 9 (fine)
  b.invoke(2, "read").ok(2, "read", 1);         // 10 11 stale
  const Result r = run(b);
  ASSERT_EQ(r.valid, Validity::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].witness, (std::vector<std::int64_t>{0, 1, 4, 5, 8, 9, 10, 11}));
  EXPECT_EQ(r.anomalies[0].details["witness"], "minimal");
  EXPECT_EQ(r.anomalies[0].details["linearizable_prefix"]["before_index"], 11);
}

TEST(Linearizability, FailThatWouldBeTheOnlyExplanationIsInvalid) {
  HistoryBuilder b;
  b.invoke(0, "write", 1).fail(0, "write", 1).invoke(1, "read").ok(1, "read", 1);
  EXPECT_EQ(run(b).valid, Validity::kInvalid);
  // The same with the write concurrent to the read: a fail never happened.
  HistoryBuilder c;
  c.invoke(0, "write", 1).invoke(1, "read").ok(1, "read", 1).fail(0, "write", 1);
  EXPECT_EQ(run(c).valid, Validity::kInvalid);
}

TEST(Linearizability, ReadOfAnInfoWriteIsValid) {
  HistoryBuilder b;
  b.invoke(0, "write", 1).info(0, "write", 1).invoke(1, "read").ok(1, "read", 1);
  EXPECT_EQ(run(b).valid, Validity::kValid);
  // Even long after, and after another process's write: it may land late.
  HistoryBuilder late;
  late.invoke(0, "write", 1).info(0, "write", 1);
  late.invoke(1, "write", 2).ok(1, "write", 2).invoke(1, "read").ok(1, "read", 2);
  late.invoke(1, "read").ok(1, "read", 1).invoke(1, "read").ok(1, "read", 1);
  EXPECT_EQ(run(late).valid, Validity::kValid);
  // But it cannot land before it was invoked, nor twice.
  HistoryBuilder early;
  early.invoke(1, "read").ok(1, "read", 1).invoke(0, "write", 1).info(0, "write", 1);
  EXPECT_EQ(run(early).valid, Validity::kInvalid);
  HistoryBuilder twice = late;
  twice.invoke(1, "write", 2).ok(1, "write", 2).invoke(1, "read").ok(1, "read", 1);
  EXPECT_EQ(run(twice).valid, Validity::kInvalid);
}

TEST(Linearizability, InfoWriteThatNeverHappened) {
  HistoryBuilder b;
  b.invoke(0, "write", 1).info(0, "write", 1).invoke(1, "read").ok(1, "read", nullptr);
  b.invoke(1, "read").ok(1, "read", nullptr);
  EXPECT_EQ(run(b).valid, Validity::kValid);
}

TEST(Linearizability, UncompletedInvokeIsLikeInfo) {
  HistoryBuilder b;
  b.invoke(0, "write", 1).invoke(1, "read").ok(1, "read", 1);
  EXPECT_EQ(run(b).valid, Validity::kValid);
}

TEST(Linearizability, CasSemantics) {
  HistoryBuilder b;
  b.invoke(0, "write", 1).ok(0, "write", 1);
  b.invoke(0, "cas", Json::array({1, 2})).ok(0, "cas", Json::array({1, 2}));
  b.invoke(0, "read").ok(0, "read", 2);
  b.invoke(0, "cas", Json::array({1, 3})).fail(0, "cas", Json::array({1, 3}));  // 2 != 1: right to fail
  b.invoke(0, "read").ok(0, "read", 2);
  EXPECT_EQ(run(b).valid, Validity::kValid);

  // Jepsen's contract: a failed cas did not happen and constrains nothing,
  // even when the register surely held `from`.
  HistoryBuilder wrong;
  wrong.invoke(0, "write", 1).ok(0, "write", 1);
  wrong.invoke(0, "cas", Json::array({1, 2})).fail(0, "cas", Json::array({1, 2}));
  EXPECT_EQ(run(wrong).valid, Validity::kValid);
  // ...unless the source's fail is a compare that lost, mapped into the
  // explicit observation when it is loaded.
  history::History observed = wrong.history();
  EXPECT_EQ(history::observe_failed_cas(observed), 1u);
  EXPECT_EQ(check_linearizability(observed, opts(LinModel::kCasRegister)).valid, Validity::kInvalid);
  // ...where a failure with an error still never ran.
  HistoryBuilder unavailable;
  unavailable.invoke(0, "write", 1).ok(0, "write", 1);
  unavailable.invoke(0, "cas", Json::array({1, 2})).fail(0, "cas", Json::array({1, 2}), std::nullopt, "unavailable");
  EXPECT_EQ(run(unavailable).valid, Validity::kValid);
  history::History still = unavailable.history();
  EXPECT_EQ(history::observe_failed_cas(still), 0u);

  // The observation made explicit: an ok cas with result {"ok": false}
  // compared and found another value, under either setting.
  HistoryBuilder explicit_wrong;
  explicit_wrong.invoke(0, "write", 1).ok(0, "write", 1);
  explicit_wrong.invoke(0, "cas", Json::array({1, 2})).ok(0, "cas", Json{{"ok", false}});
  const Result r = run(explicit_wrong);
  ASSERT_EQ(r.valid, Validity::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_NE(r.anomalies[0].description.find("found another value"), std::string::npos) << r.anomalies[0].description;
  HistoryBuilder explicit_right;
  explicit_right.invoke(0, "write", 3).ok(0, "write", 3);
  explicit_right.invoke(0, "cas", Json::array({1, 2})).ok(0, "cas", Json{{"ok", false}});
  explicit_right.invoke(0, "read").ok(0, "read", 3);  // and it wrote nothing
  EXPECT_EQ(run(explicit_right).valid, Validity::kValid);

  // An info cas may have applied, but only if its comparison held.
  HistoryBuilder info_cas;
  info_cas.invoke(0, "write", 1).ok(0, "write", 1);
  info_cas.invoke(1, "cas", Json::array({1, 5})).info(1, "cas", nullptr);
  info_cas.invoke(0, "read").ok(0, "read", 5);
  EXPECT_EQ(run(info_cas).valid, Validity::kValid);
  HistoryBuilder info_cas_bad;
  info_cas_bad.invoke(0, "write", 3).ok(0, "write", 3);
  info_cas_bad.invoke(1, "cas", Json::array({1, 5})).info(1, "cas", nullptr);
  info_cas_bad.invoke(0, "read").ok(0, "read", 5);
  EXPECT_EQ(run(info_cas_bad).valid, Validity::kInvalid);
}

TEST(Linearizability, RegisterModelRejectsCas) {
  HistoryBuilder b;
  b.invoke(0, "cas", Json::array({1, 2})).ok(0, "cas", Json::array({1, 2}));
  const Result r = run(b, LinModel::kRegister);
  EXPECT_EQ(r.valid, Validity::kUnknown);
  EXPECT_NE(r.details["error"].get<std::string>().find("cas-register"), std::string::npos);
}

TEST(Linearizability, MalformedInputIsUnknownWithAnError) {
  HistoryBuilder b;
  b.invoke(0, "cas", 3).ok(0, "cas", 3);
  EXPECT_EQ(run(b).valid, Validity::kUnknown);
  HistoryBuilder unpaired;
  unpaired.ok(0, "read", 1);
  EXPECT_TRUE(run(unpaired).details.contains("error"));
}

TEST(Linearizability, KeysAreCheckedIndependently) {
  HistoryBuilder b;
  for (int k = 0; k < 50; ++k) {
    const std::string key = "k" + std::to_string(k);
    b.invoke(k, "write", k, key).ok(k, "write", k, key);
  }
  for (int k = 0; k < 50; ++k) {
    const std::string key = "k" + std::to_string(k);
    b.invoke(k, "read", nullptr, key).ok(k, "read", k == 17 ? 18 : k, key);
  }
  LinearizabilityOptions o = opts(LinModel::kCasRegister);
  o.threads = 2;
  const Result r = check_linearizability(b.history(), o);
  ASSERT_EQ(r.valid, Validity::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.counts.at("nonlinearizable"), 1);
  EXPECT_EQ(r.anomalies[0].details["key"], "k17");
  EXPECT_EQ(r.details["independent_subhistories"], 50);
  EXPECT_EQ(r.details["invalid_subhistories"], 1);
}

TEST(Linearizability, KvGetPutAppend) {
  HistoryBuilder b;
  b.invoke(0, "get", nullptr, "a").ok(0, "get", "", "a");  // missing key reads ""
  b.invoke(0, "append", "x", "a").ok(0, "append", "x", "a");
  b.invoke(1, "append", "y", "a").invoke(0, "append", "z", "b").ok(0, "append", "z", "b");
  b.invoke(0, "get", nullptr, "a").ok(0, "get", "xy", "a").ok(1, "append", "y", "a");
  b.invoke(0, "put", "q", "b").ok(0, "put", "q", "b");
  b.invoke(0, "get", nullptr, "b").ok(0, "get", "q", "b");
  EXPECT_EQ(run(b, LinModel::kKv).valid, Validity::kValid);
  EXPECT_EQ(run(b, LinModel::kKvMap).valid, Validity::kValid);

  HistoryBuilder bad = b;  // "yx" would need the appends in the other order
  bad.invoke(0, "get", nullptr, "a").ok(0, "get", "yx", "a");
  EXPECT_EQ(run(bad, LinModel::kKv).valid, Validity::kInvalid);
  const Result map = run(bad, LinModel::kKvMap);
  EXPECT_EQ(map.valid, Validity::kInvalid);
  EXPECT_EQ(map.details["independent_subhistories"], 1);
}

TEST(Linearizability, KvSameTextByDifferentRoutes) {
  // "ab" arrives by appends, by a put and is read back: all one state.
  HistoryBuilder b;
  b.invoke(0, "append", "a", "k").ok(0, "append", "a", "k");
  b.invoke(0, "append", "b", "k").ok(0, "append", "b", "k");
  b.invoke(1, "get", nullptr, "k").ok(1, "get", "ab", "k");
  b.invoke(0, "put", "ab", "k").ok(0, "put", "ab", "k");
  b.invoke(0, "append", "", "k").ok(0, "append", "", "k");
  b.invoke(1, "get", nullptr, "k").ok(1, "get", "ab", "k");
  b.invoke(0, "put", "a", "k").ok(0, "put", "a", "k");
  b.invoke(0, "append", "b", "k").ok(0, "append", "b", "k");
  b.invoke(1, "get", nullptr, "k").ok(1, "get", "ab", "k");
  EXPECT_EQ(run(b, LinModel::kKv).valid, Validity::kValid);
  EXPECT_EQ(run(b, LinModel::kKvMap).valid, Validity::kValid);
}

// A write of -1, then many concurrent info writes, each read once in turn,
// then a read of -1 again, which the writes in between rule out. Every
// subset of the info writes may have landed (and been overwritten) by the
// time of any read, so the search meets ~2^writers configurations before it
// can conclude: a small budget must end in unknown.
HistoryBuilder hard_history(int writers) {
  HistoryBuilder b;
  b.invoke(999, "write", -1).ok(999, "write", -1);
  for (int p = 0; p < writers; ++p) b.invoke(p, "write", p);
  for (int p = 0; p < writers; ++p) b.info(p, "write", p);
  for (int i = 0; i < writers; ++i) b.invoke(1000, "read").ok(1000, "read", i);
  b.invoke(1000, "read").ok(1000, "read", -1);
  return b;
}

TEST(Linearizability, MemoryBudgetEndsInUnknown) {
  LinearizabilityOptions o = opts(LinModel::kCasRegister);
  o.memory_budget_bytes = 1 << 20;
  const Result r = check_linearizability(hard_history(40).history(), o);
  EXPECT_EQ(r.valid, Validity::kUnknown);
  ASSERT_TRUE(r.details.contains("unknown"));
  EXPECT_EQ(r.details["unknown"][0]["reason"], "memory budget spent");
}

TEST(Linearizability, TimeBudgetEndsInUnknown) {
  LinearizabilityOptions o = opts(LinModel::kCasRegister);
  o.time_budget_seconds = 0.2;
  const Result r = check_linearizability(hard_history(60).history(), o);
  EXPECT_EQ(r.valid, Validity::kUnknown);
  EXPECT_LT(r.details["seconds"].get<double>(), 5.0);
}

TEST(Linearizability, CheckerInterface) {
  LinearizabilityChecker checker(opts(LinModel::kRegister));
  EXPECT_EQ(checker.name(), "linearizable");
  HistoryBuilder b;
  b.invoke(0, "write", "x").ok(0, "write", "x").invoke(0, "read").ok(0, "read", "x");
  const Result r = checker.check(b.history());
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(to_json(r)["valid"], true);
}

TEST(Linearizability, ModelNames) {
  for (LinModel m : {LinModel::kRegister, LinModel::kCasRegister, LinModel::kKv, LinModel::kKvMap}) {
    EXPECT_EQ(parse_lin_model(to_string(m)), m);
  }
  EXPECT_FALSE(parse_lin_model("set").has_value());
}

TEST(Linearizability, EveryInvalidKeyIsCountedButOnlyTheCapListed) {
  HistoryBuilder b;
  for (int k = 0; k < 60; ++k) {
    const std::string key = "k" + std::to_string(k);
    b.invoke(k, "write", k, key).ok(k, "write", k, key);
  }
  for (int k = 0; k < 60; ++k) {
    const std::string key = "k" + std::to_string(k);
    b.invoke(k, "read", nullptr, key).ok(k, "read", k % 2 == 0 ? k + 1000 : k, key);  // 30 keys read a never-written value
  }
  LinearizabilityOptions o = opts(LinModel::kCasRegister);
  o.max_reported = 4;
  const Result r = check_linearizability(b.history(), o);
  ASSERT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.counts.at("nonlinearizable"), 30);
  EXPECT_EQ(r.anomalies.size(), 4u);
  EXPECT_EQ(r.details["invalid_subhistories"], 30);
  EXPECT_EQ(to_json(r)["counts"]["nonlinearizable"], 30);
}

}  // namespace
}  // namespace faultline::check
