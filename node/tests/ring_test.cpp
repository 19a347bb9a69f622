#include "faultline/node/ring.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

namespace faultline::node {
namespace {

std::vector<std::string> ids(int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back("n" + std::to_string(i));
  return out;
}

TEST(Ring, PreferenceListHoldsEveryMemberOnce) {
  Ring ring(ids(5), 64);
  for (int k = 0; k < 200; ++k) {
    auto list = ring.preference_list("key-" + std::to_string(k));
    ASSERT_EQ(list.size(), 5u);
    EXPECT_EQ(std::set<std::string>(list.begin(), list.end()).size(), 5u);
    auto reps = ring.replicas("key-" + std::to_string(k), 3);
    EXPECT_EQ(reps, std::vector<std::string>(list.begin(), list.begin() + 3));
  }
}

TEST(Ring, IndependentOfMemberOrder) {
  auto a = ids(5);
  auto b = a;
  std::reverse(b.begin(), b.end());
  Ring ra(a, 64), rb(b, 64);
  for (int k = 0; k < 100; ++k)
    EXPECT_EQ(ra.preference_list("k" + std::to_string(k)), rb.preference_list("k" + std::to_string(k)));
}

// The bar: with 64 vnodes, keys spread within +-15% across nodes.
// Checked for the primary owner and for replica placement (N=3).
TEST(Ring, BalancedWithin15PercentAt64Vnodes) {
  for (int members : {3, 5, 7}) {
    Ring ring(ids(members), 64);
    std::map<std::string, int> primary, replica;
    constexpr int kKeys = 100000;
    for (int k = 0; k < kKeys; ++k) {
      auto reps = ring.replicas("user:" + std::to_string(k), 3);
      ++primary[reps[0]];
      for (const auto& r : reps) ++replica[r];
    }
    const double p_mean = double(kKeys) / members;
    const double r_mean = double(kKeys) * std::min(3, members) / members;
    for (const auto& id : ids(members)) {
      EXPECT_NEAR(primary[id], p_mean, 0.15 * p_mean) << members << " members, primary of " << id;
      EXPECT_NEAR(replica[id], r_mean, 0.15 * r_mean) << members << " members, replica on " << id;
    }
  }
}

TEST(Ring, EqualPartitionsAndDistinctNeighbours) {
  for (int members : {3, 5, 7}) {
    Ring ring(ids(members), 64);
    ASSERT_EQ(ring.partitions(), static_cast<std::size_t>(members * 64));
    std::map<std::string, int> owned;
    for (std::size_t p = 0; p < ring.partitions(); ++p) {
      ++owned[ring.owner(p)];
      // Any 3 consecutive partitions (wrapping) have 3 distinct owners.
      const auto q = ring.partitions();
      EXPECT_NE(ring.owner(p), ring.owner((p + 1) % q));
      EXPECT_NE(ring.owner(p), ring.owner((p + 2) % q));
    }
    for (const auto& [id, n] : owned) EXPECT_EQ(n, 64) << id;
  }
}

TEST(Ring, FallbacksOfADeadMemberSpreadOut) {
  // When a member is down, its writes go to the next member on its keys'
  // preference lists; that load should not all land on one member.
  Ring ring(ids(5), 64);
  std::map<std::string, int> first_fallback;
  for (int k = 0; k < 20000; ++k) {
    auto list = ring.preference_list("k" + std::to_string(k));
    auto reps = std::vector<std::string>(list.begin(), list.begin() + 3);
    if (std::find(reps.begin(), reps.end(), "n1") != reps.end()) ++first_fallback[list[3]];
  }
  EXPECT_GE(first_fallback.size(), 3u);
}

TEST(Ring, TinyClusters) {
  EXPECT_EQ(Ring({"a"}, 64).preference_list("k"), std::vector<std::string>{"a"});
  EXPECT_EQ(Ring({"a", "b"}, 64).preference_list("k").size(), 2u);
  EXPECT_TRUE(Ring({}, 64).preference_list("k").empty());
}

}  // namespace
}  // namespace faultline::node
