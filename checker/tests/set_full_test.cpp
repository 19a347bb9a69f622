// Hand-built set histories, one per outcome of the set-full checker.
#include "set_full.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "scripted_history.h"

namespace faultline::check {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using faultline::testing::Json;
using faultline::testing::Script;

const Anomaly* find_kind(const Result& r, const std::string& kind) {
  for (const auto& a : r.anomalies) {
    if (a.kind == kind) return &a;
  }
  return nullptr;
}

std::size_t count(const Result& r, const char* name) { return r.details.at(name).get<std::size_t>(); }

TEST(SetFull, AcknowledgedAndReadIsStable) {
  Script s;
  s.invoke(0, "add", 1);
  s.ok(0, 1);
  s.invoke(1, "read");
  s.ok(1, Json::array({1}));
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.checker, "set-full");
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(count(r, "stable_count"), 1u);
  EXPECT_EQ(count(r, "lost_count"), 0u);
  EXPECT_EQ(count(r, "attempt_count"), 1u);
  EXPECT_TRUE(r.anomalies.empty());
  EXPECT_EQ(r.details["stable_latencies_ms"]["1"], 0.0);
}

TEST(SetFull, AcknowledgedThenNeverSeenIsLost) {
  Script s;
  const auto add = s.invoke(0, "add", 7);
  const auto ack = s.ok(0, 7);
  const auto read = s.invoke(1, "read");
  const auto done = s.ok(1, Json::array());
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(count(r, "lost_count"), 1u);
  EXPECT_EQ(r.details["lost"], "7");
  const Anomaly* a = find_kind(r, "lost");
  ASSERT_NE(a, nullptr);
  EXPECT_THAT(a->witness, ElementsAre(add, ack, read, done));
  EXPECT_EQ(a->details["element"], 7);
  EXPECT_EQ(a->details["missing_reads"], 1);
  EXPECT_TRUE(a->details["last_present_read"].is_null());
  EXPECT_THAT(a->description, HasSubstr("element 7 was acknowledged at 1.000 ms"));
  EXPECT_THAT(a->description, HasSubstr("never returned by any read"));
  EXPECT_THAT(a->description, HasSubstr("missing from the final read"));
  EXPECT_EQ(r.details["lost_latencies_ms"]["0.5"], 0.0);
}

TEST(SetFull, SeenThenVanishingUpToTheFinalReadsIsLost) {
  Script s;
  const auto add = s.invoke(0, "add", 3);
  s.ok(0, 3);
  s.invoke(1, "read");
  s.ok(1, Json::array({3}));
  const auto seen = s.at(10'000'000'000).invoke(1, "read");  // 10 s
  s.ok(1, Json::array({3}));
  const auto gone = s.at(12'000'000'000).invoke(1, "read");
  s.ok(1, Json::array());
  const auto final1 = s.invoke(2, "read");
  s.ok(2, Json::array());
  const auto final2 = s.invoke(1, "read");
  const auto final2_done = s.ok(1, Json::array());
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(count(r, "lost_count"), 1u);
  EXPECT_EQ(count(r, "stable_count"), 0u);
  const Anomaly* a = find_kind(r, "lost");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->details["last_present_read"]["invoke"], seen);
  EXPECT_EQ(a->details["first_missing_read"]["invoke"], gone);
  EXPECT_EQ(a->details["final_read"]["invoke"], final2);
  EXPECT_EQ(a->details["missing_reads"], 3);
  EXPECT_EQ(a->witness.front(), add);
  EXPECT_THAT(a->witness, IsSupersetOf({seen, gone, final2, final2_done}));
  EXPECT_THAT(a->description, HasSubstr("last seen by the read that began at 10.000 s"));
  EXPECT_THAT(a->description, HasSubstr("missing from all 3 reads that began from 12.000 s on"));
  (void)final1;
  // Known at 1 ms, last seen by a read beginning at 10 s.
  EXPECT_NEAR(a->details["lost_latency_ms"].get<double>(), 9999.0, 1e-6);
}

TEST(SetFull, MissingOnceThenSeenIsStaleAndOnlyInvalidWhenStrict) {
  Script s;
  const auto add = s.invoke(0, "add", 5);
  const auto ack = s.ok(0, 5);                            // known at 1 ms
  const auto stale = s.at(4'000'000).invoke(1, "read");   // began 3 ms later
  s.ok(1, Json::array());
  const auto next = s.invoke(1, "read");
  s.ok(1, Json::array({5}));
  s.invoke(2, "read");
  s.ok(2, Json::array({5}));

  const Result lax = check_set_full(s.history());
  EXPECT_EQ(lax.valid, Validity::kValid);
  EXPECT_EQ(count(lax, "stale_count"), 1u);
  EXPECT_EQ(count(lax, "stable_count"), 1u);
  EXPECT_EQ(lax.details["stale"], "5");
  const Anomaly* a = find_kind(lax, "stale");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->details["invalidates"], false);
  EXPECT_EQ(a->details["stale_read"]["invoke"], stale);
  EXPECT_EQ(a->details["next_read"]["invoke"], next);
  EXPECT_THAT(a->witness, IsSupersetOf({add, ack, stale, next}));
  EXPECT_DOUBLE_EQ(a->details["stale_latency_ms"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(lax.details["stale_latencies_ms"]["1"].get<double>(), 3.0);
  EXPECT_THAT(a->description, HasSubstr("yet the read that began at 4.000 ms (3.000 ms later) did not return it"));
  ASSERT_EQ(lax.details["worst_stale"].size(), 1u);

  const Result strict = check_set_full(s.history(), SetFullOptions{.strict = true});
  EXPECT_EQ(strict.valid, Validity::kInvalid);
  EXPECT_EQ(find_kind(strict, "stale")->details["invalidates"], true);
}

TEST(SetFull, ReadBeforeTheAckIsNotStale) {
  // The read began before the add completed: it may linearize first.
  Script s;
  s.invoke(0, "add", 5);
  s.invoke(1, "read");
  s.ok(0, 5);
  s.ok(1, Json::array());
  s.invoke(1, "read");
  s.ok(1, Json::array({5}));
  const Result r = check_set_full(s.history(), SetFullOptions{.strict = true});
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(count(r, "stale_count"), 0u);
  EXPECT_EQ(count(r, "stable_count"), 1u);
}

TEST(SetFull, NoReadAfterTheAddIsNeverRead) {
  Script s;
  s.invoke(0, "add", 1);
  s.ok(0, 1);
  s.invoke(1, "read");
  s.ok(1, Json::array({1}));
  s.invoke(0, "add", 2);  // acknowledged after the last read began
  s.ok(0, 2);
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(count(r, "never_read_count"), 1u);
  EXPECT_EQ(r.details["never_read"], "2");
  EXPECT_EQ(count(r, "lost_count"), 0u);
}

TEST(SetFull, OnlyNeverReadElementsIsUnknown) {
  Script s;
  s.invoke(0, "add", 1);
  s.ok(0, 1);
  EXPECT_EQ(check_set_full(s.history()).valid, Validity::kUnknown);
  EXPECT_EQ(check_set_full(history::History{}).valid, Validity::kUnknown);
}

TEST(SetFull, ReadConcurrentWithTheAddMissingItIsNotLost) {
  // The final read overlaps the add: it may have taken effect before it.
  Script s;
  s.invoke(0, "add", 1);
  s.ok(0, 1);
  s.invoke(1, "read");
  s.ok(1, Json::array({1}));
  s.invoke(0, "add", 2);
  s.invoke(1, "read");
  s.ok(0, 2);
  s.ok(1, Json::array({1}));
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(count(r, "lost_count"), 0u);
  EXPECT_EQ(r.details["never_read"], "2");
}

TEST(SetFull, ReadConcurrentWithTheAddSeeingItMakesItKnownEarly) {
  Script s;
  s.invoke(0, "add", 1);
  const auto read = s.invoke(1, "read");
  const auto seen = s.ok(1, Json::array({1}));  // known here, before the ack
  s.at(50'000'000).invoke(2, "read");           // began before the ack, after it was known
  s.ok(2, Json::array());
  s.at(60'000'000).ok(0, 1);
  s.invoke(2, "read");
  s.ok(2, Json::array({1}));
  const Result r = check_set_full(s.history());
  EXPECT_EQ(count(r, "stale_count"), 1u);
  const Anomaly* a = find_kind(r, "stale");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->details["known_by"], "read");
  EXPECT_EQ(a->details["known_read"]["invoke"], read);
  EXPECT_THAT(a->witness, IsSupersetOf({read, seen}));
  EXPECT_THAT(a->description, HasSubstr("first seen by the read that ended at 2.000 ms"));
}

TEST(SetFull, AddedDuringTheLastReadsIsStableOnlyIfNoReadInFlightMissedIt) {
  // No read began after these adds; only the reads in flight when each add
  // began are evidence.
  Script s;
  s.invoke(1, "read");       // r1
  s.invoke(0, "add", 1);     // 1: r1 in flight
  s.ok(1, Json::array({1})); // r1 saw 1
  s.ok(0, 1);
  s.invoke(1, "read");       // r2
  s.invoke(2, "read");       // r3
  s.invoke(0, "add", 2);     // 2: r2 and r3 in flight
  s.ok(1, Json::array({1, 2})); // r2 saw 2
  s.ok(2, Json::array({1})); // r3 (began later) did not: it may precede the add
  s.ok(0, 2);
  const Result r = check_set_full(s.history(), SetFullOptions{.strict = true});
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(count(r, "stable_count"), 1u);
  EXPECT_EQ(r.details["never_read"], "2");
}

TEST(SetFull, InfoAddsMayOrMayNotHaveHappened) {
  Script s;
  s.invoke(0, "add", 1);
  s.info(0);  // indeterminate, later seen: stable
  s.invoke(1, "add", 2);
  s.info(1);  // indeterminate, never seen: never-read, not lost
  s.invoke(2, "add", 3);  // never completes
  s.invoke(3, "read");
  s.ok(3, Json::array({1}));
  s.invoke(3, "read");
  s.ok(3, Json::array({1, 3}));
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(count(r, "stable_count"), 2u);
  EXPECT_EQ(count(r, "never_read_count"), 1u);
  EXPECT_EQ(r.details["never_read"], "2");
  EXPECT_EQ(count(r, "acknowledged_count"), 0u);
  EXPECT_EQ(count(r, "attempt_count"), 3u);
}

TEST(SetFull, InfoAddSeenThenGoneIsLost) {
  Script s;
  const auto add = s.invoke(0, "add", 1);
  s.info(0);
  s.invoke(3, "read");
  s.ok(3, Json::array({1}));
  s.invoke(3, "read");
  s.ok(3, Json::array());
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  const Anomaly* a = find_kind(r, "lost");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->witness.front(), add);
  EXPECT_EQ(a->details["known_by"], "read");
}

TEST(SetFull, DuplicateInOneReadIsInvalid) {
  Script s;
  s.invoke(0, "add", 4);
  s.ok(0, 4);
  const auto read = s.invoke(1, "read");
  const auto done = s.ok(1, Json::array({4, 4, 4}));
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(count(r, "duplicated_count"), 1u);
  EXPECT_EQ(r.details["duplicated"]["4"], 3);
  EXPECT_EQ(count(r, "stable_count"), 1u);  // still present
  const Anomaly* a = find_kind(r, "duplicated");
  ASSERT_NE(a, nullptr);
  EXPECT_THAT(a->witness, ElementsAre(read, done));
  EXPECT_EQ(a->details["multiplicity"], 3);
  EXPECT_THAT(a->description, HasSubstr("returned element 4 3 times"));
}

TEST(SetFull, ElementsNobodyAddedOrWhoseAddFailedAreUnexpected) {
  Script s;
  const auto failed = s.invoke(0, "add", 1);
  s.fail(0);
  s.invoke(0, "add", 2);
  s.ok(0, 2);
  const auto read = s.invoke(1, "read");
  s.ok(1, Json::array({1, 2, 99}));
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(count(r, "unexpected_count"), 2u);
  EXPECT_EQ(r.details["unexpected"], "1 99");
  int reasons = 0;
  for (const auto& a : r.anomalies) {
    if (a.kind != "unexpected") continue;
    if (a.details["reason"] == "failed-add") {
      ++reasons;
      EXPECT_THAT(a.witness, IsSupersetOf({failed, read}));
    } else if (a.details["reason"] == "never-added") {
      ++reasons;
      EXPECT_EQ(a.details["element"], 99);
      EXPECT_THAT(a.description, HasSubstr("no operation ever tried to add"));
    }
  }
  EXPECT_EQ(reasons, 2);
}

TEST(SetFull, ReadingAnElementBeforeItsAddBeganIsUnexpected) {
  Script s;
  s.invoke(1, "read");
  s.ok(1, Json::array({8}));
  const auto add = s.invoke(0, "add", 8);
  s.ok(0, 8);
  s.invoke(1, "read");
  s.ok(1, Json::array({8}));
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  const Anomaly* a = find_kind(r, "unexpected");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->details["reason"], "read-before-add");
  EXPECT_THAT(a->witness, IsSupersetOf({add}));
  EXPECT_EQ(count(r, "stable_count"), 1u);
}

TEST(SetFull, KeysAreIndependentSets) {
  Script s;
  s.invoke(0, "add", 1, "a");
  s.ok(0, 1);
  s.invoke(0, "add", 1, "b");  // the same element in another set
  s.ok(0, 1);
  s.invoke(1, "read", nullptr, "a");
  s.ok(1, Json::array({1}));
  s.invoke(1, "read", nullptr, "b");
  s.ok(1, Json::array());
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(count(r, "key_count"), 2u);
  EXPECT_EQ(count(r, "stable_count"), 1u);
  EXPECT_EQ(count(r, "lost_count"), 1u);
  EXPECT_EQ(r.details["lost"], Json({{"b", "1"}}));
  const Anomaly* a = find_kind(r, "lost");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->details["key"], "b");
  EXPECT_THAT(a->description, HasSubstr("key \"b\" element 1"));
}

TEST(SetFull, AnomaliesAreCappedButCountsAreNot) {
  Script s;
  for (int e = 0; e < 30; ++e) {
    s.invoke(0, "add", e);
    s.ok(0, e);
  }
  s.invoke(1, "read");
  s.ok(1, Json::array({0}));
  const Result r = check_set_full(s.history(), SetFullOptions{.max_reported = 5});
  EXPECT_EQ(count(r, "lost_count"), 29u);
  EXPECT_EQ(r.details["lost"], "1..29");
  EXPECT_EQ(r.anomalies.size(), 5u);
  EXPECT_EQ(r.details["worst_lost"].size(), 5u);
  EXPECT_EQ(r.details["anomalies_omitted"]["lost"], 24);
}

TEST(SetFull, BadValuesGiveUnknownWithTheReason) {
  Script s;
  s.invoke(0, "add", "x");
  s.ok(0);
  const Result r = check_set_full(s.history());
  EXPECT_EQ(r.valid, Validity::kUnknown);
  EXPECT_THAT(r.details["error"].get<std::string>(), HasSubstr("add value must be an integer"));

  Script t;
  t.invoke(0, "read");
  t.ok(0, 5);
  EXPECT_THAT(check_set_full(t.history()).details["error"].get<std::string>(), HasSubstr("must be an array"));
}

TEST(SetFull, CheckerInterfaceAndJson) {
  Script s;
  s.invoke(0, "add", 1);
  s.ok(0, 1);
  s.invoke(1, "read");
  s.ok(1, Json::array());
  SetFullChecker checker;
  EXPECT_EQ(checker.name(), "set-full");
  const Json j = to_json(checker.check(s.history()));
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["lost_count"], 1);
  EXPECT_EQ(j["anomalies"][0]["kind"], "lost");
}

}  // namespace
}  // namespace faultline::check
