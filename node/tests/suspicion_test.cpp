#include "swim/suspicion.h"

#include <gtest/gtest.h>

namespace faultline::node::swim {
namespace {

constexpr Time kMin = 2 * kSeconds, kMax = 6 * kSeconds;

TEST(Suspicion, StartsAtMaxAndShrinksLogarithmicallyToMin) {
  EXPECT_EQ(Suspicion::timeout(0, 3, kMin, kMax), kMax);
  // max - (max - min) * log(2) / log(4) = 6 - 4 * 0.5 = 4 s
  EXPECT_EQ(Suspicion::timeout(1, 3, kMin, kMax), 4 * kSeconds);
  // 6 - 4 * log(3)/log(4) = 2.8301 s, whole milliseconds
  EXPECT_EQ(Suspicion::timeout(2, 3, kMin, kMax), 2830 * kMillis);
  EXPECT_EQ(Suspicion::timeout(3, 3, kMin, kMax), kMin);
  EXPECT_EQ(Suspicion::timeout(9, 3, kMin, kMax), kMin);
  // No confirmations expected (tiny cluster): min at once.
  EXPECT_EQ(Suspicion::timeout(0, 0, kMin, kMax), kMin);
}

TEST(Suspicion, OnlyIndependentConfirmationsCount) {
  Suspicion s(/*accuser=*/7, /*k=*/3, kMin, kMax, /*start=*/100 * kSeconds);
  EXPECT_EQ(s.deadline(), 106 * kSeconds);
  EXPECT_FALSE(s.confirm(7));  // the accuser itself
  EXPECT_TRUE(s.confirm(8));
  EXPECT_FALSE(s.confirm(8));  // repeated
  EXPECT_EQ(s.confirmations(), 1);
  EXPECT_EQ(s.deadline(), 104 * kSeconds);
  EXPECT_TRUE(s.confirm(9));
  EXPECT_TRUE(s.confirm(10));
  EXPECT_EQ(s.deadline(), 102 * kSeconds);
  EXPECT_FALSE(s.confirm(11));  // k reached: nothing more to learn
  EXPECT_EQ(s.confirmations(), 3);
}

}  // namespace
}  // namespace faultline::node::swim
