#include "faultline/node/version.h"

#include <gtest/gtest.h>

#include "faultline/node/hlc.h"

namespace faultline::node {
namespace {

TEST(Hlc, StrictlyIncreasingEvenWhenTheClockStalls) {
  std::int64_t physical = 1000;
  HybridClock clock([&] { return physical; });
  HlcTime a = clock.now();
  HlcTime b = clock.now();
  EXPECT_LT(a, b);
  physical = 500;  // wall clock stepped back
  HlcTime c = clock.now();
  EXPECT_LT(b, c);
  EXPECT_EQ(c.l, 1000);
  physical = 2000;
  HlcTime d = clock.now();
  EXPECT_EQ(d.l, 2000);
  EXPECT_EQ(d.c, 0u);
}

TEST(Hlc, UpdateMovesPastWhatWasSeen) {
  std::int64_t physical = 1000;
  HybridClock clock([&] { return physical; });
  clock.update({5000, 7});  // a peer with a clock far ahead
  HlcTime t = clock.now();
  EXPECT_GT(t, (HlcTime{5000, 7}));
  EXPECT_EQ(t.l, 5000);  // stays close to the largest physical time seen
  clock.update({5000, 100});
  EXPECT_GT(clock.now(), (HlcTime{5000, 100}));
}

TEST(DotCounter, NeverRepeatsAndRespectsWhatWasStored) {
  std::int64_t physical = 10;
  DotCounter dots([&] { return physical; });
  auto a = dots.next();
  auto b = dots.next();
  EXPECT_LT(a, b);
  dots.observe(1000);
  EXPECT_GT(dots.next(), 1000u);
}

Sibling lww(const std::string& v, std::int64_t wall, std::uint32_t logical, const std::string& node) {
  Sibling s;
  s.value = v;
  s.stamp = {wall, logical, node};
  return s;
}

TEST(Lww, GreatestStampWinsAndNodeIdBreaksTies) {
  Record a{{lww("a", 10, 0, "n1")}};
  Record b{{lww("b", 10, 0, "n2")}};
  Record c{{lww("c", 9, 5, "n3")}};
  for (auto mode : {Versioning::kLwwHlc, Versioning::kLwwWall}) {
    EXPECT_EQ(live_values(merge(a, b, mode)), std::vector<std::string>{"b"});
    EXPECT_EQ(merge(a, b, mode), merge(b, a, mode));
    EXPECT_EQ(live_values(merge(merge(a, c, mode), b, mode)), std::vector<std::string>{"b"});
    EXPECT_EQ(merge(a, a, mode), a);
  }
}

TEST(Lww, TombstoneWinsWhenNewerAndIsNotLive) {
  Record put{{lww("x", 10, 0, "n1")}};
  Sibling del;
  del.stamp = {11, 0, "n1"};
  Record gone{{del}};
  Record m = merge(put, gone, Versioning::kLwwHlc);
  EXPECT_TRUE(live_values(m).empty());
  ASSERT_EQ(m.siblings.size(), 1u);
  EXPECT_TRUE(m.siblings[0].tombstone());
  EXPECT_TRUE(is_stale(put, m, Versioning::kLwwHlc));
  EXPECT_FALSE(is_stale(gone, m, Versioning::kLwwHlc));
}

Sibling vvw(const std::string& v, const std::string& node, std::uint64_t counter, VersionVector ctx) {
  Sibling s;
  s.value = v;
  s.dot = {node, counter};
  s.context = std::move(ctx);
  return s;
}

TEST(Vv, ConcurrentWritesAreBothKept) {
  Record a{{vvw("a", "n1", 1, {})}};
  Record b{{vvw("b", "n2", 1, {})}};
  Record m = merge(a, b, Versioning::kVv);
  EXPECT_EQ(live_values(m), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(causal_context(m), (VersionVector{{"n1", 1}, {"n2", 1}}));
}

TEST(Vv, ConcurrentWritesThroughOneCoordinatorAreBothKept) {
  // Same coordinator, same (empty) context: plain version vectors would make
  // the second overwrite the first; dots keep both.
  Record m = merge(Record{{vvw("a", "n1", 1, {})}}, Record{{vvw("b", "n1", 2, {})}}, Versioning::kVv);
  EXPECT_EQ(live_values(m), (std::vector<std::string>{"a", "b"}));
}

TEST(Vv, AWriteWithTheReadContextSupersedesItsSiblings) {
  Record m = merge(Record{{vvw("a", "n1", 1, {})}}, Record{{vvw("b", "n2", 1, {})}}, Versioning::kVv);
  Record resolved{{vvw("c", "n3", 1, causal_context(m))}};
  Record after = merge(m, resolved, Versioning::kVv);
  EXPECT_EQ(live_values(after), std::vector<std::string>{"c"});
  EXPECT_TRUE(is_stale(m, after, Versioning::kVv));
  // Order does not matter: the resolution arriving first still wins.
  EXPECT_EQ(merge(resolved, m, Versioning::kVv), after);
}

TEST(Vv, StaleWriteDoesNotResurrect) {
  Record v1{{vvw("v1", "n1", 1, {})}};
  Record v2{{vvw("v2", "n1", 2, causal_context(v1))}};
  Record m = merge(v2, v1, Versioning::kVv);
  EXPECT_EQ(live_values(m), std::vector<std::string>{"v2"});
  EXPECT_EQ(merge(m, v1, Versioning::kVv), m);  // idempotent under redelivery
}

TEST(Vv, DeleteIsATombstoneSibling) {
  Record v1{{vvw("v1", "n1", 1, {})}};
  Sibling del;
  del.dot = {"n2", 1};
  del.context = causal_context(v1);
  Record m = merge(v1, Record{{del}}, Versioning::kVv);
  EXPECT_TRUE(live_values(m).empty());
  EXPECT_EQ(causal_context(m), (VersionVector{{"n1", 1}, {"n2", 1}}));
}

TEST(Vv, MergeIsAssociative) {
  Record a{{vvw("a", "n1", 1, {})}};
  Record b{{vvw("b", "n2", 1, {{"n1", 1}})}};
  Record c{{vvw("c", "n3", 1, {})}};
  auto mode = Versioning::kVv;
  EXPECT_EQ(merge(merge(a, b, mode), c, mode), merge(a, merge(b, c, mode), mode));
  EXPECT_EQ(live_values(merge(merge(a, b, mode), c, mode)), (std::vector<std::string>{"b", "c"}));
}

TEST(Vv, MergeDropsASiblingWhoseContextCoversItsOwnDot) {
  // A forged record that "saw itself" (and n1's future write 5) must neither
  // survive nor make the legit write n1:5 obsolete, whatever the order.
  Record legit{{vvw("legit", "n1", 5, {})}};
  Record forged{{vvw("forged", "n2", 3, {{"n2", 3}, {"n1", 100}})}};
  EXPECT_TRUE(self_covering(forged.siblings[0]));
  EXPECT_FALSE(self_covering(legit.siblings[0]));
  auto mode = Versioning::kVv;
  Record m = merge(legit, forged, mode);
  EXPECT_EQ(live_values(m), std::vector<std::string>{"legit"});
  EXPECT_EQ(merge(forged, legit, mode), m);
  EXPECT_EQ(merge(m, forged, mode), m);  // idempotent
  EXPECT_TRUE(merge(forged, Record{}, mode).empty());
}

TEST(Vv, ContextErrorNamesAnEntryBeyondWhatWasIssued) {
  VersionVector issued{{"n1", 42}};
  EXPECT_EQ(context_error({{"n1", 42}, {"n2", 1000}}, issued), std::nullopt);  // n2 not checked
  EXPECT_EQ(context_error({}, issued), std::nullopt);
  auto err = context_error({{"n0", 1}, {"n1", 43}}, issued);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("n1:43"), std::string::npos) << *err;
  EXPECT_NE(err->find("42"), std::string::npos) << *err;
}

TEST(DotCounter, IssuedBoundCoversEveryIssuedCounterAndTheClock) {
  std::int64_t physical = 10;
  DotCounter dots([&] { return physical; });
  EXPECT_EQ(dots.issued_bound(), 10u);
  dots.observe(500);  // highest counter found on disk
  auto a = dots.next();
  EXPECT_GE(dots.issued_bound(), a);
  physical = 9000;
  EXPECT_EQ(dots.issued_bound(), 9000u);
  EXPECT_GT(dots.next(), 9000u - 1);
  EXPECT_LT(dots.issued_bound(), std::uint64_t{1} << 61);
}

TEST(VersionVector, DescendsAndJoin) {
  VersionVector a{{"n1", 2}, {"n2", 1}};
  VersionVector b{{"n1", 1}};
  EXPECT_TRUE(descends(a, b));
  EXPECT_FALSE(descends(b, a));
  EXPECT_TRUE(descends(a, {}));
  EXPECT_EQ(join(b, VersionVector{{"n3", 4}}), (VersionVector{{"n1", 1}, {"n3", 4}}));
}

TEST(Record, JsonRoundTripAndRejectsGarbage) {
  Record r{{vvw("a", "n1", 3, {{"n2", 1}})}};
  r.siblings[0].stamp = {123, 4, "n1"};
  Sibling del;
  del.stamp = {5, 0, "n2"};
  r.siblings.push_back(del);
  EXPECT_EQ(record_from_json(to_json(r)), r);
  EXPECT_THROW(record_from_json(nlohmann::json::object()), std::invalid_argument);
  EXPECT_THROW(record_from_json(nlohmann::json::parse(R"([{"ts": 5}])")), std::invalid_argument);
  EXPECT_THROW(record_from_json(nlohmann::json::parse(R"([{"ts": [1, 2, "n"], "v": 7}])")), std::invalid_argument);
  EXPECT_THROW(record_from_json(nlohmann::json::parse(R"([{"ts": [1, 2, "n"], "dot": ["n", -1]}])")),
               std::invalid_argument);
}

}  // namespace
}  // namespace faultline::node
