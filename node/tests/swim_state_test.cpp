#include "swim/swim_state.h"

#include <gtest/gtest.h>

namespace faultline::node::swim {
namespace {

constexpr Status A = Status::kAlive, S = Status::kSuspect, D = Status::kDead, L = Status::kLeft;

// Every (incoming, current) pair at incoming incarnation below, equal to and
// above the current one (current = 5).
struct Case {
  Status in;
  Status cur;
  bool lower, equal, higher;
};

TEST(SwimOverride, EveryCase) {
  const Case cases[] = {
      // alive(j) beats anything with incarnation < j, nothing else.
      {A, A, false, false, true},
      {A, S, false, false, true},
      {A, D, false, false, true},  // a member declared dead rejoins with a higher incarnation
      {A, L, false, false, true},
      // suspect(j) beats alive(<= j), suspect(< j), dead/left(< j).
      {S, A, false, true, true},
      {S, S, false, false, true},
      {S, D, false, false, true},
      {S, L, false, false, true},
      // dead(j) beats alive/suspect(<= j), dead/left(< j).
      {D, A, false, true, true},
      {D, S, false, true, true},
      {D, D, false, false, true},
      {D, L, false, false, true},
      // left(j) like dead, and also beats dead(j).
      {L, A, false, true, true},
      {L, S, false, true, true},
      {L, D, false, true, true},
      {L, L, false, false, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(to_string(c.in)) + " over " + std::string(to_string(c.cur)));
    EXPECT_EQ(overrides(c.in, 4, c.cur, 5), c.lower);
    EXPECT_EQ(overrides(c.in, 5, c.cur, 5), c.equal);
    EXPECT_EQ(overrides(c.in, 6, c.cur, 5), c.higher);
  }
}

TEST(SwimOverride, SuspectedMemberRefutesWithAHigherIncarnation) {
  // The refutation: suspect(3) is beaten by alive(4), not by alive(3).
  EXPECT_TRUE(overrides(S, 3, A, 3));
  EXPECT_FALSE(overrides(A, 3, S, 3));
  EXPECT_TRUE(overrides(A, 4, S, 3));
  // A stale dead verdict about an older incarnation never kills a rejoined member.
  EXPECT_FALSE(overrides(D, 3, A, 4));
}

TEST(SwimNames, InternsOnceAndKeepsAddresses) {
  Names n;
  const auto a = n.intern("a");
  const auto b = n.intern("b");
  EXPECT_NE(a, b);
  EXPECT_EQ(n.intern("a"), a);
  n.set_addr(a, "127.0.0.1:7001");
  EXPECT_EQ(n.addr(a), "127.0.0.1:7001");
  EXPECT_EQ(n.find("b"), b);
  EXPECT_FALSE(n.find("c").has_value());
}

}  // namespace
}  // namespace faultline::node::swim
