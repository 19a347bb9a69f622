#include "faultline/node/version.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "hlc.h"

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

TEST(Vv, ContextErrorBoundsOtherNodesByTheClockPlusSkew) {
  // {n2: 2^60} sent to n1: n2 is not n1, but no node can have issued that.
  const VersionVector issued{{"n1", 42}};
  EXPECT_EQ(context_error({{"n2", 1000}}, issued, 1000), std::nullopt);
  auto err = context_error({{"n1", 42}, {"n2", std::uint64_t{1} << 60}}, issued, 1000);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("n2:1152921504606846976"), std::string::npos) << *err;
  EXPECT_NE(err->find("max_clock_skew_ms"), std::string::npos) << *err;
  // The exact bound for the coordinator itself still applies.
  EXPECT_TRUE(context_error({{"n1", 43}}, issued, 1u << 30).has_value());
}

TEST(Vv, RecordErrorNamesACounterBeyondTheBound) {
  Record r{{vvw("a", "n1", 5, {{"n2", 7}})}, {}};
  EXPECT_EQ(record_error(r, 7), std::nullopt);
  auto err = record_error(r, 6);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("n2:7"), std::string::npos) << *err;
  r.context = {{"n3", 100}};
  EXPECT_NE(record_error(r, 50).value_or("").find("n3:100"), std::string::npos);
}

TEST(Vv, MaxOwnCounterCountsContextsNotOnlyDots) {
  // Lamport: a node's next dot goes above any counter of its own it has seen
  // in a context, so that context cannot cover it.
  Record r{{vvw("a", "n2", 5, {{"n1", 90}})}, {{"n1", 120}}};
  EXPECT_EQ(max_own_counter(r, "n1"), 120u);
  EXPECT_EQ(max_own_counter(r, "n2"), 5u);
  DotCounter dots([] { return std::int64_t{10}; });
  dots.observe(max_own_counter(r, "n1"));
  Record later{{vvw("later", "n1", dots.next(), {})}};
  EXPECT_EQ(live_values(merge(r, later, Versioning::kVv)), (std::vector<std::string>{"a", "later"}));
  // Even an absurd counter cannot make the counter wrap and reissue a dot.
  dots.observe(~std::uint64_t{0});
  EXPECT_GT(dots.next(), 10u);
}

TEST(Vv, MergeIsAssociativeOnNonTransitiveContexts) {
  // z saw y, y saw x, but z's context does not name x (a forged or corrupt
  // peer record: a real client context joins everything it read). Merging
  // z with y first used to forget that y had superseded x.
  Record x{{vvw("x", "n1", 1, {})}};
  Record y{{vvw("y", "n2", 1, {{"n1", 1}})}};
  Record z{{vvw("z", "n3", 1, {{"n2", 1}})}};
  auto mode = Versioning::kVv;
  const Record left = merge(merge(z, y, mode), x, mode);
  const Record right = merge(z, merge(y, x, mode), mode);
  EXPECT_EQ(left, right);
  EXPECT_EQ(live_values(left), std::vector<std::string>{"z"});
  EXPECT_EQ(merge(merge(x, z, mode), y, mode), left);
}

TEST(Vv, ContextCycleIsSupersededForGoodAndMergeStaysIdempotent) {
  // a saw b and b saw a: not reachable from real writes. Both are
  // superseded, and stay so whatever arrives again in whatever order.
  Record a{{vvw("a", "n1", 1, {{"n2", 1}})}};
  Record b{{vvw("b", "n2", 1, {{"n1", 1}})}};
  auto mode = Versioning::kVv;
  const Record ab = merge(a, b, mode);
  EXPECT_TRUE(live_values(ab).empty());
  EXPECT_EQ(merge(ab, a, mode), ab);
  EXPECT_EQ(merge(b, ab, mode), ab);
  EXPECT_EQ(merge(ab, ab, mode), ab);
  EXPECT_EQ(record_from_json(to_json(ab)), ab);  // C survives the disk
  // Both in one peer record: normalised, and counted as malformed.
  Record both{{a.siblings[0], b.siblings[0]}, {}};
  NormaliseReport rep;
  EXPECT_EQ(normalise(both, mode, &rep), ab);
  EXPECT_EQ(rep.covered, 2u);
  // A later write concurrent with both still lives.
  Record c{{vvw("c", "n3", 1, {})}};
  EXPECT_EQ(live_values(merge(ab, c, mode)), std::vector<std::string>{"c"});
}

// Random records over 3 nodes and small counters, so dots collide and
// contexts cover each other: cycles, self-covering and dotless siblings, one
// dot with two contents, explicit record contexts.
Record random_record(std::mt19937& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* nodes[] = {"n1", "n2", "n3"};
  auto random_vv = [&] {
    VersionVector vv;
    for (const char* n : nodes)
      if (pick(3) == 0) vv[n] = static_cast<std::uint64_t>(pick(5));
    return vv;
  };
  Record r;
  const int count = pick(4);
  for (int i = 0; i < count; ++i) {
    Sibling s;
    if (pick(5) != 0) s.value = std::string(1, static_cast<char>('a' + pick(3)));
    if (pick(12) != 0) s.dot = {nodes[pick(3)], static_cast<std::uint64_t>(1 + pick(4))};
    s.stamp = {pick(3), 0, s.dot.node};
    s.context = random_vv();
    r.siblings.push_back(std::move(s));
  }
  if (pick(3) == 0) r.context = random_vv();
  return r;
}

TEST(Vv, MergeIsAJoinForAnyInputProperty) {
  std::mt19937 rng(4242);
  const auto mode = Versioning::kVv;
  for (int round = 0; round < 3000; ++round) {
    const Record a = random_record(rng), b = random_record(rng), c = random_record(rng);
    const Record na = normalise(a, mode);
    SCOPED_TRACE(to_json(a).dump() + " | " + to_json(b).dump() + " | " + to_json(c).dump());
    ASSERT_EQ(merge(a, b, mode), merge(b, a, mode)) << "commutative";
    ASSERT_EQ(merge(merge(a, b, mode), c, mode), merge(a, merge(b, c, mode), mode)) << "associative";
    ASSERT_EQ(merge(na, na, mode), na) << "idempotent";
    ASSERT_EQ(merge(a, a, mode), na);
    ASSERT_EQ(normalise(na, mode), na);
    ASSERT_EQ(merge(a, Record{}, mode), na);
    const Record ab = merge(a, b, mode);
    ASSERT_EQ(merge(ab, a, mode), ab) << "redelivery changes nothing";
    ASSERT_EQ(record_from_json(to_json(ab)), ab) << "disk round trip";
    ASSERT_FALSE(is_stale(ab, ab, mode));
    for (const auto& s : ab.siblings) ASSERT_FALSE(covers(ab.context, s.dot)) << "C covers a live sibling";
  }
}

TEST(Vv, ReplicasConvergeWhateverTheDeliveryOrderProperty) {
  std::mt19937 rng(7);
  const auto mode = Versioning::kVv;
  for (int round = 0; round < 300; ++round) {
    std::vector<Record> writes;
    for (int i = 0; i < 6; ++i) writes.push_back(random_record(rng));
    // Three replicas each get every record, in its own order, some twice,
    // and sometimes a peer's whole state (repair) in between.
    std::vector<Record> replicas(3);
    for (auto& rep : replicas) {
      auto order = writes;
      order.push_back(writes[rng() % writes.size()]);
      std::shuffle(order.begin(), order.end(), rng);
      for (const auto& w : order) rep = merge(rep, w, mode);
    }
    replicas[1] = merge(replicas[1], replicas[0], mode);
    for (const auto& rep : replicas) ASSERT_EQ(rep, replicas[0]);
  }
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
