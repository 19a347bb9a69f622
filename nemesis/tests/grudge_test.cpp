#include "grudge.h"

#include <gtest/gtest.h>

namespace faultline::nemesis {
namespace {

const std::vector<std::string> kFive = {"n1", "n2", "n3", "n4", "n5"};

// Whether a hears b (a does not drop b's packets).
bool hears(const Grudge& g, const std::string& a, const std::string& b) {
  auto it = g.find(a);
  return it == g.end() || !it->second.count(b);
}

void expect_well_formed(const Grudge& g, const std::vector<std::string>& nodes) {
  std::set<std::string> all(nodes.begin(), nodes.end());
  for (const auto& [a, drops] : g) {
    EXPECT_TRUE(all.count(a)) << a;
    EXPECT_FALSE(drops.count(a)) << a << " drops itself";
    for (const auto& b : drops) EXPECT_TRUE(all.count(b)) << b;
  }
}

TEST(Grudge, HalvesCutsInTheGivenOrder) {
  std::mt19937_64 rng(1);
  Grudge g = make_grudge("halves", kFive, rng);
  expect_well_formed(g, kFive);
  EXPECT_EQ(g.at("n1"), (std::set<std::string>{"n3", "n4", "n5"}));
  EXPECT_EQ(g.at("n5"), (std::set<std::string>{"n1", "n2"}));
  EXPECT_TRUE(hears(g, "n1", "n2"));
  EXPECT_TRUE(hears(g, "n3", "n5"));
}

TEST(Grudge, OneIsolatesExactlyOneNode) {
  for (std::uint64_t seed = 1; seed < 20; ++seed) {
    std::mt19937_64 rng(seed);
    Grudge g = make_grudge("one", kFive, rng);
    expect_well_formed(g, kFive);
    int isolated = 0;
    for (const auto& n : kFive)
      if (g.count(n) && g.at(n).size() == 4) ++isolated;
    EXPECT_EQ(isolated, 1);
  }
}

TEST(Grudge, BridgeNodeHearsAndIsHeardByAll) {
  std::mt19937_64 rng(7);
  Grudge g = make_grudge("bridge", kFive, rng);
  expect_well_formed(g, kFive);
  int bridges = 0;
  for (const auto& b : kFive) {
    bool all = true;
    for (const auto& o : kFive)
      if (o != b) all = all && hears(g, b, o) && hears(g, o, b);
    if (all) ++bridges;
  }
  EXPECT_EQ(bridges, 1);
  // The two sides (2 + 2) do not hear each other.
  int cut_pairs = 0;
  for (const auto& [a, drops] : g) cut_pairs += static_cast<int>(drops.size());
  EXPECT_EQ(cut_pairs, 8);
}

TEST(Grudge, MajoritiesRingEveryNodeSeesADifferentMajority) {
  for (std::size_t n : {3u, 4u, 5u, 6u, 7u}) {
    std::vector<std::string> nodes;
    for (std::size_t i = 1; i <= n; ++i) nodes.push_back("n" + std::to_string(i));
    std::mt19937_64 rng(n);
    Grudge g = make_grudge("majorities-ring", nodes, rng);
    expect_well_formed(g, nodes);
    std::set<std::set<std::string>> views;
    for (const auto& a : nodes) {
      std::set<std::string> sees;
      for (const auto& b : nodes)
        if (hears(g, a, b)) sees.insert(b);
      EXPECT_EQ(sees.size(), n / 2 + 1) << "n=" << n << " node " << a;
      views.insert(sees);
    }
    if (n > 3) {
      EXPECT_EQ(views.size(), n) << "n=" << n;  // no two nodes see the same majority
    }
  }
}

TEST(Grudge, OneWayNobodyHearsOneNodeWhichHearsEveryone) {
  std::mt19937_64 rng(3);
  Grudge g = make_grudge("one-way", kFive, rng);
  expect_well_formed(g, kFive);
  std::string victim;
  for (const auto& n : kFive)
    if (!g.count(n)) victim = n;
  ASSERT_FALSE(victim.empty());
  for (const auto& n : kFive) {
    EXPECT_TRUE(hears(g, victim, n));
    if (n != victim) EXPECT_FALSE(hears(g, n, victim));
  }
}

TEST(Grudge, SameSeedSameGrudge) {
  for (const auto& t : partition_topologies()) {
    std::mt19937_64 a(42), b(42);
    EXPECT_EQ(make_grudge(t, kFive, a), make_grudge(t, kFive, b)) << t;
  }
}

TEST(Grudge, BadInputIsRefusedWithTheReason) {
  std::mt19937_64 rng(1);
  EXPECT_THROW(make_grudge("triangles", kFive, rng), std::invalid_argument);
  try {
    make_grudge("triangles", kFive, rng);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("triangles"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("majorities-ring"), std::string::npos);
  }
  EXPECT_THROW(make_grudge("halves", {"n1"}, rng), std::invalid_argument);
  EXPECT_THROW(make_grudge("bridge", {"n1", "n2"}, rng), std::invalid_argument);
  EXPECT_THROW(make_grudge("halves", {"n1", "n1"}, rng), std::invalid_argument);
}

TEST(Grudge, JsonLeavesOutNodesThatDropNothing) {
  std::mt19937_64 rng(3);
  nlohmann::json j = grudge_to_json(make_grudge("one-way", kFive, rng));
  EXPECT_EQ(j.size(), 4u);
  for (const auto& [node, drops] : j.items()) EXPECT_EQ(drops.size(), 1u);
}

}  // namespace
}  // namespace faultline::nemesis
