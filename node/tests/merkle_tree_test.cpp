// Merkle trees, the anti-entropy exchange between two in-process replicas
// (through the real message encoding), and the ae message parser.
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "anti_entropy/ae_loopback.h"
#include "anti_entropy/merkle_tree.h"
#include "faultline/node/ring.h"

using namespace faultline::node;
using Json = nlohmann::json;

namespace {

Record lww(const std::string& value, std::int64_t wall, const std::string& node = "n1") {
  Record r;
  Sibling s;
  s.value = value;
  s.stamp = {wall, 0, node};
  r.siblings.push_back(s);
  return r;
}

Record tombstone(std::int64_t wall) {
  Record r;
  Sibling s;
  s.stamp = {wall, 0, "n1"};
  r.siblings.push_back(s);
  return r;
}

struct Pair {
  explicit Pair(int depth) : ta(depth), tb(depth), a(ta, 0), b(tb, 0), responder(tb, b, 4u << 20) {}
  RangeTrees ta, tb;
  MemoryAeStore a, b;
  AeResponder responder;  // b answers a

  ExchangeResult exchange(std::size_t max_keys = 1u << 20) {
    ExchangeResult out;
    bool called = false;
    ExchangeOptions o;
    o.self = "a";
    o.range = 0;
    o.max_keys = max_keys;
    run_exchange(ta, a, o, loopback_send(responder), [&](ExchangeResult r) {
      out = r;
      called = true;
    });
    EXPECT_TRUE(called);  // the loopback transport is synchronous
    return out;
  }
};

}  // namespace

TEST(MerkleTree, HashesAreStable) {
  // Replicas built from different commits must agree: these values are part
  // of the peer protocol. Changing them needs a kPeerProtocolVersion bump.
  EXPECT_EQ(hash_hex(merkle_hash("", 0)), "adb60cd141731860");
  EXPECT_EQ(hash_hex(merkle_hash("key-1", MerkleTree::kBucketSeed)), "6bd59bc611a9dbe9");
  EXPECT_EQ(hash_hex(version_digest(lww("v", 1700000000000000))), "1241bec8da8368d5");
  EXPECT_EQ(hash_hex(version_digest(tombstone(1700000000000000))), "3aee02789b4c17fe");
  MerkleTree t(2);
  EXPECT_EQ(hash_hex(t.root()), "982e4aac2739011c");  // the empty tree
  t.set("a", 1);
  t.set("b", 2);
  EXPECT_EQ(hash_hex(t.root()), "1a5bb38c9a5cdea8");
}

TEST(MerkleTree, HexRoundTripsAndRefusesNonHex) {
  for (std::uint64_t v : {0ull, 1ull, 0xdeadbeefcafef00dull, ~0ull}) EXPECT_EQ(parse_hash64(hash_hex(v)), v);
  EXPECT_FALSE(parse_hash64("123"));
  EXPECT_FALSE(parse_hash64("DEADBEEFCAFEF00D"));  // lowercase only: one spelling per hash
  EXPECT_FALSE(parse_hash64("deadbeefcafef00g"));
}

TEST(MerkleTree, RootDependsOnContentNotOrder) {
  std::mt19937_64 rng(7);
  std::vector<std::pair<std::string, std::uint64_t>> entries;
  for (int i = 0; i < 2000; ++i) entries.emplace_back("k" + std::to_string(rng()), rng());
  MerkleTree a(3), b(3), empty(3);
  const auto empty_root = empty.root();
  for (auto& [k, d] : entries) a.set(k, d);
  std::shuffle(entries.begin(), entries.end(), rng);
  for (auto& [k, d] : entries) {
    b.set(k, d ^ 1);  // a different version first, then the same one: only the last counts
    b.set(k, d);
  }
  EXPECT_EQ(a.root(), b.root());
  EXPECT_EQ(a.size(), 2000u);
  // One changed digest changes the root; changing it back restores it.
  const auto before = a.root();
  a.set(entries[5].first, entries[5].second + 1);
  EXPECT_NE(a.root(), before);
  a.set(entries[5].first, entries[5].second);
  EXPECT_EQ(a.root(), before);
  // Removing every key gives the empty tree back.
  for (auto& [k, d] : entries) a.set(k, std::nullopt);
  EXPECT_EQ(a.root(), empty_root);
  EXPECT_EQ(a.size(), 0u);
}

TEST(MerkleTree, LeavesSplitTheKeySpaceExactly) {
  // Every key lands in exactly one leaf, leaves are in range, and a depth-3
  // tree spreads 20,000 keys over its 4096 leaves without a hot spot.
  MerkleTree t(3);
  std::set<std::string> keys;
  for (int i = 0; i < 20000; ++i) keys.insert("key-" + std::to_string(i));
  for (const auto& k : keys) t.set(k, 1);
  std::set<std::string> seen;
  std::size_t fullest = 0;
  for (std::uint64_t leaf = 0; leaf < MerkleTree::width(3); ++leaf) {
    auto entries = t.leaf_entries(leaf);
    fullest = std::max(fullest, entries.size());
    for (auto& [k, d] : entries) {
      EXPECT_EQ(t.leaf_of(k), leaf);
      EXPECT_TRUE(seen.insert(k).second) << k << " in two leaves";
    }
  }
  EXPECT_EQ(seen, keys);
  EXPECT_LT(fullest, 25u);  // mean ~4.9
  EXPECT_THROW(MerkleTree(0), std::invalid_argument);
  EXPECT_THROW(MerkleTree(MerkleTree::kMaxDepth + 1), std::invalid_argument);
  EXPECT_THROW(t.children(3, 0), std::out_of_range);  // leaves have no children
}

TEST(MerkleTree, RingRangesPartitionKeysAndShareReplicas) {
  // A range (ring partition) is a unit of anti-entropy: every key of it has
  // the range's replicas, and every key is in exactly one range.
  Ring ring({"n1", "n2", "n3", "n4", "n5"}, 8);
  ASSERT_EQ(ring.partitions(), 40u);
  std::vector<int> per_range(ring.partitions(), 0);
  for (int i = 0; i < 5000; ++i) {
    const std::string key = "k" + std::to_string(i);
    const auto p = ring.partition_of(key);
    ASSERT_LT(p, ring.partitions());
    ++per_range[p];
    EXPECT_EQ(ring.replicas(key, 3), ring.partition_replicas(p, 3)) << key;
  }
  for (auto n : per_range) EXPECT_GT(n, 0);
  // Each member replicates N x vnodes ranges.
  std::map<std::string, int> replicated;
  for (std::size_t p = 0; p < ring.partitions(); ++p)
    for (const auto& m : ring.partition_replicas(p, 3)) ++replicated[m];
  for (const auto& [m, n] : replicated) EXPECT_EQ(n, 3 * 8) << m;
}

TEST(AeExchange, EqualReplicasCostOneRoundTrip) {
  Pair p(3);
  for (int i = 0; i < 500; ++i) {
    p.a.put("k" + std::to_string(i), lww("v", 100 + i));
    p.b.put("k" + std::to_string(i), lww("v", 100 + i));
  }
  auto r = p.exchange();
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_TRUE(r.compared);
  EXPECT_FALSE(r.differed);
  EXPECT_EQ(r.messages, 1u);
  EXPECT_EQ(r.differing_keys, 0u);
  EXPECT_TRUE(p.a.applied.empty());
  EXPECT_TRUE(p.b.applied.empty());
}

TEST(AeExchange, DiffFindsExactlyTheDifferingKeysOnRandomSets) {
  for (int seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
    Pair p(seed % 3 + 1);  // depths 1..3: crowded and sparse leaves
    std::set<std::string> differing;
    const int n = 3000;
    for (int i = 0; i < n; ++i) {
      const std::string k = "key" + std::to_string(rng() % 1000000);
      const auto roll = rng() % 100;
      const std::int64_t wall = 1000 + static_cast<std::int64_t>(rng() % 1000);
      if (roll < 85) {  // the same on both
        if (p.a.get(k) != p.b.get(k)) continue;  // a key drawn twice: keep it simple
        p.a.put(k, lww("same", wall));
        p.b.put(k, lww("same", wall));
        if (p.a.get(k) != p.b.get(k)) differing.insert(k);
      } else if (roll < 90) {
        p.a.put(k, lww("only-a", wall));
        differing.insert(k);
      } else if (roll < 95) {
        p.b.put(k, lww("only-b", wall));
        differing.insert(k);
      } else {
        p.a.put(k, lww("a", wall, "n1"));
        p.b.put(k, roll % 2 ? tombstone(wall + 1) : lww("b", wall + 1, "n2"));  // tombstones take part
        differing.insert(k);
      }
    }
    // Keys drawn twice may have ended up equal again.
    std::set<std::string> truly;
    for (const auto& k : differing)
      if (p.a.get(k) != p.b.get(k)) truly.insert(k);
    auto r = p.exchange();
    ASSERT_FALSE(r.error) << *r.error;
    EXPECT_TRUE(r.differed);
    EXPECT_EQ(r.differing_keys, truly.size()) << "seed " << seed;
    // Exactly the differing keys were touched, on either side.
    std::set<std::string> touched = p.a.applied;
    touched.insert(p.b.applied.begin(), p.b.applied.end());
    EXPECT_EQ(touched, truly) << "seed " << seed;
    // And the replicas now agree, by content and by root.
    EXPECT_EQ(p.a.records(), p.b.records());
    EXPECT_EQ(p.ta.with(0, [](MerkleTree& t) { return t.root(); }), p.tb.with(0, [](MerkleTree& t) { return t.root(); }));
    // A second exchange finds nothing.
    auto again = p.exchange();
    EXPECT_FALSE(again.differed);
  }
}

TEST(AeExchange, MergesByVersionRulesAndKeepsVvSiblings) {
  RangeTrees ta(2), tb(2);
  MemoryAeStore a(ta, 0, Versioning::kVv), b(tb, 0, Versioning::kVv);
  AeResponder responder(tb, b, 1u << 20);
  Record ra, rb;
  Sibling s1;
  s1.value = "apple";
  s1.stamp = {10, 0, "n1"};
  s1.dot = {"n1", 1};
  Sibling s2;
  s2.value = "pear";
  s2.stamp = {11, 0, "n2"};
  s2.dot = {"n2", 1};
  ra.siblings = {s1};
  rb.siblings = {s2};
  a.put("cart", ra);
  b.put("cart", rb);
  // And lww: the newer stamp wins on both sides, whichever side has it.
  bool done = false;
  ExchangeOptions o;
  o.self = "a";
  run_exchange(ta, a, o, loopback_send(responder), [&](ExchangeResult r) {
    EXPECT_FALSE(r.error);
    EXPECT_EQ(r.differing_keys, 1u);
    done = true;
  });
  ASSERT_TRUE(done);
  EXPECT_EQ(live_values(a.get("cart")), (std::vector<std::string>{"apple", "pear"}));
  EXPECT_EQ(a.get("cart"), b.get("cart"));
}

TEST(AeExchange, BudgetLimitsKeysPerExchange) {
  Pair p(2);
  for (int i = 0; i < 100; ++i) p.a.put("k" + std::to_string(i), lww("v", 5));
  auto r = p.exchange(30);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.differing_keys, 30u);
  EXPECT_EQ(p.b.records().size(), 30u);
  for (int i = 0; i < 4; ++i) p.exchange(30);
  EXPECT_EQ(p.b.records().size(), 100u);
}

TEST(AeExchange, LeavesAndPushesAreSplitIntoBoundedMessages) {
  Pair p(3);
  const std::string big(3000, 'x');
  std::set<std::uint64_t> leaves;
  for (int i = 0; i < 300; ++i) {
    p.a.put("k" + std::to_string(i), lww(big, 5));
    leaves.insert(p.ta.with(0, [&](MerkleTree& t) { return t.leaf_of("k" + std::to_string(i)); }));
  }
  ExchangeOptions o;
  o.self = "a";
  o.leaves_per_message = 16;
  o.max_message_bytes = 64 * 1024;
  std::map<std::string, int> sent;
  std::size_t largest_push = 0;
  AeSend inner = loopback_send(p.responder);
  AeSend counting = [&](Json m, std::function<void(std::optional<std::string>, Json)> cb) {
    const std::string op = m["op"];
    ++sent[op];
    if (op == "peer.ae_leaves") {
      EXPECT_LE(m["leaves"].size(), 16u);
    }
    if (op == "peer.ae_push") {
      largest_push = std::max(largest_push, m.dump().size());
    }
    inner(std::move(m), std::move(cb));
  };
  ExchangeResult res;
  run_exchange(p.ta, p.a, o, counting, [&](ExchangeResult r) { res = r; });
  ASSERT_FALSE(res.error) << *res.error;
  EXPECT_EQ(res.differing_keys, 300u);
  EXPECT_EQ(res.pushed, 300u);
  EXPECT_EQ(p.a.records(), p.b.records());
  EXPECT_EQ(static_cast<std::size_t>(sent["peer.ae_leaves"]), (leaves.size() + 15) / 16);
  EXPECT_GE(sent["peer.ae_push"], 300 * 3000 / (64 * 1024));
  EXPECT_LT(largest_push, 64u * 1024 + 4000);  // the bound plus at most one record
}

TEST(AeExchange, ResponderRefusesAnotherDepthOrAnUnknownRange) {
  RangeTrees ta(3), tb(2);
  MemoryAeStore a(ta, 0), b(tb, 0);
  a.put("k", lww("v", 1));
  AeResponder responder(tb, b, 1u << 20);
  std::optional<std::string> error;
  ExchangeOptions o;
  o.self = "a";
  run_exchange(ta, a, o, loopback_send(responder), [&](ExchangeResult r) { error = r.error; });
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("tree depth 3 differs from this node's 2"), std::string::npos) << *error;

  RangeTrees tc(3);
  MemoryAeStore c(tc, 7);
  AeResponder r7(tc, c, 1u << 20);
  run_exchange(ta, a, o, loopback_send(r7), [&](ExchangeResult r) { error = r.error; });
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("does not replicate range 0"), std::string::npos) << *error;
}

namespace {
Json ae(const std::string& op) {
  return {{"op", op}, {"proto", kPeerProtocolVersion}, {"from", "n2"}, {"range", 3}, {"depth", 2}};
}
std::string parse_error(const Json& m) {
  try {
    auto r = parse_request(m, Limits{});
    if (!std::holds_alternative<AeRequest>(r)) return "not parsed as an ae request";
    return "";
  } catch (const ProtocolError& e) {
    return e.code + ": " + e.what();
  }
}
}  // namespace

TEST(AeWire, RoundTripsEveryMessage) {
  AeRequest r;
  r.from = "n1";
  r.range = 5;
  r.depth = 3;
  for (AeOp op : {AeOp::kRoot, AeOp::kTree, AeOp::kLeaves, AeOp::kFetch, AeOp::kPush}) {
    r.op = op;
    r.root = 0xabcdef;
    r.level = 2;
    r.nodes = {0, 255};
    r.keys = {"a", "b"};
    r.items = {{"a", lww("v", 3)}};
    auto parsed = std::get<AeRequest>(parse_request(make_ae_request(r), Limits{}));
    EXPECT_EQ(parsed.op, op);
    EXPECT_EQ(parsed.range, 5u);
    EXPECT_EQ(parsed.depth, 3);
    if (op == AeOp::kRoot) {
      EXPECT_EQ(parsed.root, 0xabcdefu);
    } else if (op == AeOp::kTree || op == AeOp::kLeaves) {
      EXPECT_EQ(parsed.nodes, r.nodes);
    } else if (op == AeOp::kFetch) {
      EXPECT_EQ(parsed.keys, r.keys);
    } else {
      EXPECT_EQ(parsed.items, r.items);
    }
  }
}

TEST(AeWire, MalformedFramesGetErrorsNamingTheField) {
  auto expect = [](Json m, const std::string& want) {
    const auto err = parse_error(m);
    EXPECT_NE(err.find(want), std::string::npos) << "got '" << err << "' for " << m.dump().substr(0, 200);
  };
  Json m = ae("peer.ae_root");
  m["root"] = "xyz";
  expect(m, "bad_request: peer.ae_root: field 'root' must be 16 lowercase hex digits");
  m = ae("peer.ae_root");
  m["root"] = "0000000000000000";
  m["proto"] = 2;
  expect(m, "protocol_version");
  m = ae("peer.ae_root");
  m["root"] = "0000000000000000";
  m["depth"] = 9;
  expect(m, "field 'depth' is 9, must be below 7");
  m["depth"] = -1;
  expect(m, "field 'depth' must be a non-negative integer");
  m = ae("peer.ae_tree");
  m["level"] = 2;
  m["nodes"] = {0};
  expect(m, "field 'level' is 2, must be below 2");
  m["level"] = 1;
  m["nodes"] = {16};
  expect(m, "'nodes' entries must be integers below 16, got 16");
  m["nodes"] = Json::array();
  for (int i = 0; i < 5000; ++i) m["nodes"].push_back(0);
  expect(m, "field 'nodes' has 5000 entries, at most 4096 allowed");
  m = ae("peer.ae_leaves");
  m["leaves"] = "all";
  expect(m, "field 'leaves' must be an array");
  m = ae("peer.ae_fetch");
  m["keys"] = {"ok", 7};
  expect(m, "keys[1] must be a string key");
  m["keys"] = {std::string(2000, 'k')};
  expect(m, "key_too_large");
  m = ae("peer.ae_push");
  m["items"] = Json::array({Json::array({"k", Json::array({Json{{"ts", "bad"}}})})});
  expect(m, "items[0]: record:");
  m["items"] = Json::array({Json::array({"k"})});
  expect(m, "items[0] must be [key, record]");
  m = ae("peer.ae_gossip");
  expect(m, "unknown_op: unknown anti-entropy op 'peer.ae_gossip'");
  m = ae("peer.ae_fetch");
  m.erase("range");
  expect(m, "field 'range' must be a non-negative integer");
  m = ae("peer.ae_fetch");
  m["keys"] = Json::array();
  m["from"] = 5;
  expect(m, "field 'from' must be a string");
}
