#include "swim/retransmit_queue.h"

#include <gtest/gtest.h>

namespace faultline::node::swim {
namespace {

TEST(RetransmitQueue, LeastSentFirstNewestFirstAmongEquals) {
  RetransmitQueue q;
  q.push(1, "aa");
  q.push(2, "bb");
  // Budget for one: the newest unsent goes first.
  EXPECT_EQ(q.take(2, 10), std::vector<std::string>{"bb"});
  // Now 1 is least sent.
  EXPECT_EQ(q.take(2, 10), std::vector<std::string>{"aa"});
  q.push(3, "cc");
  EXPECT_EQ(q.take(6, 10), (std::vector<std::string>{"cc", "bb", "aa"}));
  EXPECT_EQ(q.transmits(1), 2);
  EXPECT_EQ(q.transmits(3), 1);
}

TEST(RetransmitQueue, DropsAnUpdateAfterTheLimit) {
  RetransmitQueue q;
  q.push(1, "x");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(q.take(100, 3).size(), 1u);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.transmits(1), -1);
  EXPECT_TRUE(q.take(100, 3).empty());
}

TEST(RetransmitQueue, NewerUpdateAboutTheSameMemberReplacesAndRestarts) {
  RetransmitQueue q;
  q.push(1, "suspect");
  q.take(100, 5);
  q.take(100, 5);
  EXPECT_EQ(q.transmits(1), 2);
  q.push(1, "alive");
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.transmits(1), 0);
  EXPECT_EQ(q.take(100, 5), std::vector<std::string>{"alive"});
}

TEST(RetransmitQueue, RespectsTheByteBudgetAndSkipsWhatDoesNotFit) {
  RetransmitQueue q;
  q.push(1, std::string(10, 'a'));
  q.push(2, std::string(50, 'b'));  // newest, does not fit in 30
  q.push(3, std::string(15, 'c'));
  const auto got = q.take(30, 5);
  std::size_t bytes = 0;
  for (const auto& s : got) bytes += s.size();
  EXPECT_LE(bytes, 30u);
  EXPECT_EQ(got, (std::vector<std::string>{std::string(15, 'c'), std::string(10, 'a')}));
  EXPECT_EQ(q.transmits(2), 0);
}

}  // namespace
}  // namespace faultline::node::swim
