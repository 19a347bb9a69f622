#include "swim/swim_wire.h"

#include <gtest/gtest.h>

namespace faultline::node::swim {
namespace {

TEST(SwimWire, RoundTripsAPacketAndLearnsAddresses) {
  Names a;
  const auto n1 = a.intern("n1"), n2 = a.intern("n2"), n3 = a.intern("n3");
  a.set_addr(n1, "127.0.0.1:7001");
  a.set_addr(n2, "127.0.0.1:7002");
  a.set_addr(n3, "127.0.0.1:7003");
  Packet p{MsgType::kPing, n1, 300, n2, 0, {{Status::kAlive, n3, 7, n1}, {Status::kSuspect, n2, 2, n1}}};
  const std::string bytes = encode(a, p);
  Names b;  // another process: different numbering
  b.intern("zz");
  auto q = decode(b, bytes);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->type, MsgType::kPing);
  EXPECT_EQ(b.name(q->from), "n1");
  EXPECT_EQ(b.addr(q->from), "127.0.0.1:7001");
  EXPECT_EQ(q->seq, 300u);
  ASSERT_TRUE(q->target);
  EXPECT_EQ(b.name(*q->target), "n2");
  ASSERT_EQ(q->updates.size(), 2u);
  EXPECT_EQ(b.name(q->updates[0].member), "n3");
  EXPECT_EQ(b.addr(q->updates[0].member), "127.0.0.1:7003");
  EXPECT_EQ(q->updates[0].incarnation, 7u);
  EXPECT_EQ(q->updates[1].status, Status::kSuspect);
}

TEST(SwimWire, HeaderSizeMatchesTheEncoding) {
  Names a;
  const auto n1 = a.intern("node-one");
  a.set_addr(n1, "10.0.0.1:7001");
  const Packet p{MsgType::kAck, n1, 123456, std::nullopt, 0, {}};
  EXPECT_LE(encode(a, p).size(), header_size(a, p));
}

TEST(SwimWire, RejectsMalformedInputWithoutTouchingNames) {
  Names a;
  const auto n1 = a.intern("n1");
  const std::string good = encode(a, Packet{MsgType::kGossip, n1, 0, std::nullopt, 0, {{Status::kDead, n1, 1, n1}}});
  Names b;
  EXPECT_FALSE(decode(b, ""));
  EXPECT_FALSE(decode(b, std::string("\x02") + good.substr(1)));  // other version
  for (std::size_t cut = 0; cut < good.size(); ++cut) EXPECT_FALSE(decode(b, good.substr(0, cut))) << cut;
  EXPECT_FALSE(decode(b, good + "x"));  // trailing bytes
  std::string bad_status = good;
  bad_status[good.size() - 9] = 9;  // the update's status byte (update = 9 bytes)
  EXPECT_FALSE(decode(b, bad_status));
  EXPECT_EQ(b.size(), 0u);
  EXPECT_TRUE(decode(b, good));
}

}  // namespace
}  // namespace faultline::node::swim
