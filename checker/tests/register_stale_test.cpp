// Register stale-read checker: hand-built cases. Randomized histories
// (a simulated linearizable register, injected stale reads, agreement with
// brute force and with the linearizability checker) are in
// register_stale_random_test.cpp.
#include "register_stale.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "linearizability/linearizability.h"
#include "lin_brute_force.h"
#include "scripted_history.h"

namespace faultline::check {
namespace {

using faultline::testing::Json;
using faultline::testing::Script;
using history::History;
using history::Op;
using history::OpType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::size_t count(const Result& r, const char* name) { return r.details.at(name).get<std::size_t>(); }

TEST(RegisterStale, ReadOfAValueOverwrittenInRealTimeIsStale) {
  Script s;
  const auto w1 = s.invoke(0, "write", 1);
  const auto w1_ok = s.ok(0);
  const auto w2 = s.invoke(0, "write", 2);  // began after w1 ended
  const auto w2_ok = s.ok(0);               // ended before the read began
  const auto r = s.at(10'000'000).invoke(1, "read");
  const auto r_ok = s.ok(1, 1);
  const Result res = check_register_stale(s.history());
  EXPECT_EQ(res.checker, "register-stale-read");
  EXPECT_EQ(res.valid, Validity::kInvalid);
  EXPECT_EQ(count(res, "stale_read_count"), 1u);
  ASSERT_EQ(res.anomalies.size(), 1u);
  const Anomaly& a = res.anomalies[0];
  EXPECT_EQ(a.kind, "stale-read");
  EXPECT_THAT(a.witness, ElementsAre(w1, w1_ok, w2, w2_ok, r, r_ok));
  EXPECT_EQ(a.details["missed_write"]["invoke"], w2);
  EXPECT_EQ(a.details["missed_value"], 2);
  EXPECT_EQ(a.details["write"]["invoke"], w1);
  EXPECT_DOUBLE_EQ(a.details["stale_ms"].get<double>(), 7.0);  // w2 ended at 3 ms, read began at 10 ms
  EXPECT_THAT(a.description, HasSubstr("the read that began at 10.000 ms returned 1, written by the write that ended at 1.000 ms"));
  EXPECT_THAT(a.description, HasSubstr("the write of 2 (began 2.000 ms) had already overwritten it"));
  EXPECT_DOUBLE_EQ(res.details["stale_ms"]["1"].get<double>(), 7.0);
}

TEST(RegisterStale, TheMissedWriteReportedIsTheFirstToFinish) {
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(1, "write", 2);
  s.invoke(2, "write", 3);
  const auto w3_ok = s.ok(2);  // 3 finished first
  s.ok(1);
  s.invoke(3, "read");
  s.ok(3, 1);
  const Result res = check_register_stale(s.history());
  ASSERT_EQ(res.anomalies.size(), 1u);
  EXPECT_EQ(res.anomalies[0].details["missed_write"]["complete"], w3_ok);
}

TEST(RegisterStale, ValueNobodyWroteIsImpossible) {
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  const auto r = s.invoke(1, "read");
  const auto r_ok = s.ok(1, 99);
  const Result res = check_register_stale(s.history());
  EXPECT_EQ(res.valid, Validity::kInvalid);
  EXPECT_EQ(count(res, "impossible_read_count"), 1u);
  ASSERT_EQ(res.anomalies.size(), 1u);
  EXPECT_EQ(res.anomalies[0].kind, "impossible-read");
  EXPECT_EQ(res.anomalies[0].details["reason"], "never-written");
  EXPECT_THAT(res.anomalies[0].witness, ElementsAre(r, r_ok));
  EXPECT_THAT(res.anomalies[0].description, HasSubstr("returned 99, a value no operation ever wrote"));
}

TEST(RegisterStale, ValueOfAFailedOrLaterWriteIsImpossible) {
  Script s;
  const auto failed = s.invoke(0, "write", 1);
  s.fail(0);
  s.invoke(1, "read");
  s.ok(1, 1);
  s.invoke(1, "read");
  s.ok(1, 2);
  const auto later = s.invoke(0, "write", 2);  // began after that read ended
  s.ok(0);
  const Result res = check_register_stale(s.history());
  EXPECT_EQ(count(res, "impossible_read_count"), 2u);
  std::set<std::string> reasons;
  for (const auto& a : res.anomalies) {
    reasons.insert(a.details["reason"].get<std::string>());
    if (a.details["reason"] == "failed-write") {
      EXPECT_EQ(a.witness.front(), failed);
    }
    if (a.details["reason"] == "future-write") {
      EXPECT_THAT(a.witness, ::testing::Contains(later));
    }
  }
  EXPECT_EQ(reasons, (std::set<std::string>{"failed-write", "future-write"}));
}

TEST(RegisterStale, ConcurrentWritesAreNotStale) {
  Script s;
  s.invoke(0, "write", 1);
  s.invoke(1, "write", 2);  // overlaps write 1: either order is possible
  s.ok(0);
  s.ok(1);
  s.invoke(2, "read");
  s.ok(2, 1);
  s.invoke(2, "read");  // and a read concurrent with a later write
  s.invoke(0, "write", 3);
  s.ok(2, 2);
  s.ok(0);
  const Result res = check_register_stale(s.history());
  EXPECT_EQ(res.valid, Validity::kValid);
  EXPECT_EQ(count(res, "read_count"), 2u);
  EXPECT_TRUE(res.anomalies.empty());
}

TEST(RegisterStale, InfoWriteMayLandAnyTimeLater) {
  Script s;
  s.invoke(0, "write", 1);
  s.info(0);                // may take effect long after this
  s.invoke(1, "write", 2);
  s.ok(1);
  s.invoke(2, "read");
  s.ok(2, 1);               // 1 landed after 2: fine
  s.invoke(2, "write", 3);  // never completes
  s.invoke(3, "read");
  s.ok(3, 2);               // 3 may not have happened: fine
  const Result res = check_register_stale(s.history());
  EXPECT_EQ(res.valid, Validity::kValid);
  EXPECT_TRUE(res.anomalies.empty());
}

TEST(RegisterStale, InfoWriteDoesNotOverwriteForCertain) {
  // Reading 1 after an info write of 2 is fine; after an ok one it is not.
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(0, "write", 2);
  s.info(0);
  s.invoke(1, "read");
  s.ok(1, 1);
  EXPECT_EQ(check_register_stale(s.history()).valid, Validity::kValid);
}

TEST(RegisterStale, InitialValueAfterACompletedWriteIsStale) {
  Script s;
  s.invoke(1, "read");
  s.ok(1, nullptr);  // fine: nothing written yet
  const auto w = s.invoke(0, "write", 1);
  s.ok(0);
  const auto r = s.invoke(1, "read");
  s.ok(1, nullptr);
  const Result res = check_register_stale(s.history());
  EXPECT_EQ(count(res, "initial_read_count"), 2u);
  ASSERT_EQ(res.anomalies.size(), 1u);
  EXPECT_TRUE(res.anomalies[0].details["write"].is_null());
  EXPECT_EQ(res.anomalies[0].witness.front(), w);
  EXPECT_EQ(res.anomalies[0].details["read"]["invoke"], r);
  EXPECT_THAT(res.anomalies[0].description, HasSubstr("the initial value"));
}

TEST(RegisterStale, AValueReadAfterItsDeleteCompletedIsStaleNamingTheDelete) {
  // What a resurrected delete looks like: the value comes back after the
  // delete of it was acknowledged.
  Script s;
  const auto w = s.invoke(0, "write", 7);
  s.ok(0);
  const auto d = s.invoke(0, "write", nullptr);
  s.ok(0);
  const auto r = s.at(5'000'000).invoke(1, "read");
  s.ok(1, 7);
  const Result res = check_register_stale(s.history());
  ASSERT_EQ(res.valid, Validity::kInvalid);
  ASSERT_EQ(res.anomalies.size(), 1u);
  const Anomaly& a = res.anomalies[0];
  EXPECT_EQ(a.kind, "stale-read");
  EXPECT_EQ(a.details["write"]["invoke"], w);
  EXPECT_EQ(a.details["missed_write"]["invoke"], d);
  EXPECT_EQ(a.details["read"]["invoke"], r);
  EXPECT_TRUE(a.details["missed_delete"].get<bool>());
  EXPECT_THAT(a.description, HasSubstr("but the delete (began 2.000 ms) had already removed it"));
}

TEST(RegisterStale, MissedDeleteIsSetWhenTheFirstOverwriteWasAWrite) {
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  const auto w2 = s.invoke(0, "write", 2);
  s.ok(0);
  s.invoke(0, "write", nullptr);
  s.ok(0);
  s.invoke(1, "read");
  s.ok(1, 1);  // 1 is back after 2 overwrote it and the key was deleted
  const Result res = check_register_stale(s.history());
  ASSERT_EQ(res.anomalies.size(), 1u);
  EXPECT_EQ(res.anomalies[0].details["missed_write"]["invoke"], w2);  // the first overwrite
  EXPECT_TRUE(res.anomalies[0].details["missed_delete"].get<bool>());
}

TEST(RegisterStale, ACasToNullIsADeleteButIsNamedACas) {
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(0, "cas", Json::array({1, nullptr}));
  s.ok(0);
  s.invoke(1, "read");
  s.ok(1, nullptr);  // fine: the cas left null
  s.invoke(1, "read");
  s.ok(1, 1);
  const Result res = check_register_stale(s.history());
  ASSERT_EQ(res.anomalies.size(), 1u) << to_json(res).dump();
  EXPECT_TRUE(res.anomalies[0].details["missed_delete"].get<bool>());
  EXPECT_THAT(res.anomalies[0].description, HasSubstr("but the cas to null (began"));
}

TEST(RegisterStale, NullAfterAnyNumberOfDeletesIsFineUntilOverwritten) {
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(0, "write", nullptr);
  s.ok(0);
  s.invoke(0, "write", 2);
  s.ok(0);
  const auto d2 = s.invoke(0, "write", nullptr);
  s.ok(0);
  s.invoke(1, "read");
  s.ok(1, nullptr);  // the second delete's null: fine, though deletes repeat a value
  Result res = check_register_stale(s.history());
  EXPECT_EQ(res.valid, Validity::kValid) << to_json(res).dump();
  EXPECT_EQ(count(res, "repeated_value_read_count"), 1u);  // two deletes could have left it
  // Once a write follows the last delete, null is stale; the report names
  // the delete it came from and the write that overwrote it.
  const auto w3 = s.invoke(0, "write", 3);
  s.ok(0);
  s.invoke(1, "read");
  s.ok(1, nullptr);
  res = check_register_stale(s.history());
  ASSERT_EQ(res.valid, Validity::kInvalid);
  ASSERT_EQ(res.anomalies.size(), 1u);
  EXPECT_EQ(res.anomalies[0].details["write"]["invoke"], d2);
  EXPECT_EQ(res.anomalies[0].details["missed_write"]["invoke"], w3);
  EXPECT_FALSE(res.anomalies[0].details["missed_delete"].get<bool>());
  EXPECT_THAT(res.anomalies[0].description, HasSubstr("left by the delete that ended at"));
}

TEST(RegisterStale, AnIndeterminateDeleteMayAlwaysBeRead) {
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(0, "write", nullptr);
  s.info(0);  // may land at any later moment
  s.invoke(1, "write", 2);
  s.ok(1);
  s.invoke(2, "read");
  s.ok(2, nullptr);
  EXPECT_EQ(check_register_stale(s.history()).valid, Validity::kValid);
}

TEST(RegisterStale, CasWritesItsTargetAndReadsItsSource) {
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  const auto cas = s.invoke(0, "cas", Json::array({1, 2}));
  s.ok(0);
  s.invoke(1, "read");
  s.ok(1, 2);                                 // fine: the cas wrote 2
  s.invoke(1, "read");
  const auto stale_ok = s.ok(1, 1);           // stale: the cas overwrote 1
  s.invoke(0, "cas", Json::array({5, 6}));
  s.fail(0);                                  // a failed cas writes nothing
  s.invoke(0, "cas", Json::array({1, 3}));    // stale: reads 1 after the cas overwrote it
  const auto cas2_ok = s.ok(0);
  s.invoke(1, "read");
  s.ok(1, 6);                                 // impossible: the cas of 6 failed
  const Result res = check_register_stale(s.history());
  EXPECT_EQ(res.valid, Validity::kInvalid);
  EXPECT_EQ(count(res, "stale_read_count"), 2u);
  EXPECT_EQ(count(res, "impossible_read_count"), 1u);
  EXPECT_EQ(count(res, "cas_read_count"), 2u);
  int via_cas = 0;
  for (const auto& a : res.anomalies) {
    if (a.kind != "stale-read") continue;
    EXPECT_EQ(a.details["missed_write"]["invoke"], cas);
    if (a.details["via"] == "cas") {
      ++via_cas;
      EXPECT_EQ(a.details["read"]["complete"], cas2_ok);
      EXPECT_THAT(a.description, HasSubstr("succeeded, so it read 1 (swapping it for 3)"));
    } else {
      EXPECT_EQ(a.details["read"]["complete"], stale_ok);
    }
  }
  EXPECT_EQ(via_cas, 1);
}

TEST(RegisterStale, KeysAreIndependentRegisters) {
  Script s;
  s.invoke(0, "write", 1, "a");
  s.ok(0);
  s.invoke(0, "write", 1, "b");  // same value, other key
  s.ok(0);
  s.invoke(0, "write", 2, "a");
  s.ok(0);
  s.invoke(1, "read", nullptr, "b");
  s.ok(1, 1);  // fine on b
  s.invoke(1, "read", nullptr, "a");
  s.ok(1, 1);  // stale on a
  const Result res = check_register_stale(s.history());
  EXPECT_EQ(count(res, "key_count"), 2u);
  ASSERT_EQ(res.anomalies.size(), 1u);
  EXPECT_EQ(res.anomalies[0].details["key"], "a");
  EXPECT_THAT(res.anomalies[0].description, HasSubstr("the read of key \"a\""));
}

TEST(RegisterStale, RepeatedValuesAreJudgedAgainstEveryWriteOfThem) {
  // 1, 2, 1 in sequence: a read of 1 after all three is fine (the second 1).
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(0, "write", 2);
  s.ok(0);
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(1, "read");
  s.ok(1, 1);
  Result res = check_register_stale(s.history());
  EXPECT_EQ(res.valid, Validity::kValid);
  EXPECT_EQ(count(res, "repeated_value_read_count"), 1u);
  // Once 3 overwrites the second 1 too, reading 1 is stale; the report
  // names the latest write of 1 and the write of 3 that overwrote it.
  Script t;
  t.invoke(0, "write", 1);
  t.ok(0);
  t.invoke(0, "write", 2);
  t.ok(0);
  const auto w1b = t.invoke(0, "write", 1);
  t.ok(0);
  const auto w3 = t.invoke(0, "write", 3);
  t.ok(0);
  t.invoke(1, "read");
  t.ok(1, 1);
  res = check_register_stale(t.history());
  ASSERT_EQ(res.valid, Validity::kInvalid);
  ASSERT_EQ(res.anomalies.size(), 1u);
  EXPECT_EQ(res.anomalies[0].details["write"]["invoke"], w1b);
  EXPECT_EQ(res.anomalies[0].details["missed_write"]["invoke"], w3);
  // An indeterminate write of the value may land late: never stale.
  Script u;
  u.invoke(0, "write", 1);
  u.ok(0);
  u.invoke(2, "write", 1);
  u.info(2);
  u.invoke(0, "write", 3);
  u.ok(0);
  u.invoke(1, "read");
  u.ok(1, 1);
  EXPECT_EQ(check_register_stale(u.history()).valid, Validity::kValid);
}

TEST(RegisterStale, AComparisonThatFoundAnotherValueNeitherReadsNorWrites) {
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(0, "cas", Json::array({5, 6}));
  s.ok(0, Json{{"ok", false}});  // compared, found 1: wrote nothing
  s.invoke(1, "read");
  s.ok(1, 1);
  const Result res = check_register_stale(s.history());
  EXPECT_EQ(res.valid, Validity::kValid) << to_json(res).dump();
  EXPECT_EQ(count(res, "cas_read_count"), 0u);
}

TEST(RegisterStale, CountsEveryStaleReadButListsOnlyTheCap) {
  Script s;
  s.invoke(0, "write", 1);
  s.ok(0);
  s.invoke(0, "write", 2);
  s.ok(0);
  for (int i = 0; i < 25; ++i) {
    s.invoke(1, "read");
    s.ok(1, 1);
  }
  const Result res = check_register_stale(s.history(), RegisterStaleOptions{.max_reported = 3});
  EXPECT_EQ(res.anomalies.size(), 3u);
  EXPECT_EQ(res.counts.at("stale-read"), 25);
  EXPECT_EQ(count(res, "stale_read_count"), 25u);
}

TEST(RegisterStale, MalformedCasIsUnknown) {
  Script s;
  s.invoke(0, "cas", 3);
  s.ok(0);
  const Result res = check_register_stale(s.history());
  EXPECT_EQ(res.valid, Validity::kUnknown);
  EXPECT_THAT(res.details["error"].get<std::string>(), HasSubstr("cas value must be [from, to]"));
}

}  // namespace
}  // namespace faultline::check
