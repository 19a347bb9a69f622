#include "swim/awareness.h"

#include <gtest/gtest.h>

namespace faultline::node::swim {
namespace {

TEST(Awareness, ScalesTimeoutsByScorePlusOneWithinBounds) {
  Awareness a(8);
  EXPECT_EQ(a.score(), 0);
  EXPECT_EQ(a.scale(500 * kMillis), 500 * kMillis);
  a.apply(3);  // e.g. three helpers that did not even nack
  EXPECT_EQ(a.score(), 3);
  EXPECT_EQ(a.scale(500 * kMillis), 2 * kSeconds);
  a.apply(100);
  EXPECT_EQ(a.score(), 7);  // max - 1
  EXPECT_EQ(a.scale(kSeconds), 8 * kSeconds);
  a.apply(-1);  // a successful probe
  EXPECT_EQ(a.score(), 6);
  a.apply(-100);
  EXPECT_EQ(a.score(), 0);
}

TEST(Awareness, MaxOfOneDisablesIt) {
  Awareness a(1);
  a.apply(5);
  EXPECT_EQ(a.score(), 0);
  EXPECT_EQ(a.scale(kSeconds), kSeconds);
}

}  // namespace
}  // namespace faultline::node::swim
