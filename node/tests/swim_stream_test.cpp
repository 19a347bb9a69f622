// Push-pull over TCP (swim_stream.h): the base64 layer, the limits, and a
// 3,000-member view through the real frame codec (protocol.h).
#include "swim/swim_stream.h"

#include <random>

#include <gtest/gtest.h>

#include "faultline/node/protocol.h"
#include "swim/swim_wire.h"

namespace faultline::node::swim {
namespace {

TEST(SwimStream, Base64RoundTripsEveryLengthAndByte) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n < 300; ++n) {
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
    const auto text = base64_encode(bytes);
    EXPECT_EQ(text.size(), (n + 2) / 3 * 4);
    const auto back = base64_decode(text);
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, bytes) << n;
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
}

TEST(SwimStream, Base64RejectsMalformedText) {
  for (const char* bad : {"Zm9", "Zm9v!mFy", "Z=9v", "Zm=v", "Zm8=Zm8=", "====", "Zm\n8="})
    EXPECT_FALSE(base64_decode(bad)) << bad;
}

TEST(SwimStream, BadMessagesGetAnErrorNamingTheField) {
  EXPECT_NE(push_pull_view(nlohmann::json::array()).error.find("not a JSON object"), std::string::npos);
  EXPECT_NE(push_pull_view({{"op", kPushPullOp}}).error.find("no \"view\""), std::string::npos);
  EXPECT_NE(push_pull_view({{"view", 12}}).error.find("not a string"), std::string::npos);
  EXPECT_NE(push_pull_view({{"view", "@@@@"}}).error.find("base64"), std::string::npos);
  const auto big = make_push_pull_message("n1", std::string(1000, 'x'));
  const auto v = push_pull_view(big, 999);
  EXPECT_FALSE(v.packet);
  EXPECT_NE(v.error.find("999-byte limit"), std::string::npos) << v.error;
  EXPECT_TRUE(push_pull_view(big, 1000).packet);
  EXPECT_TRUE(is_push_pull_message(big));
  EXPECT_FALSE(is_push_pull_message({{"op", "get"}}));
  EXPECT_FALSE(is_push_pull_message({{"op", 3}}));
}

// The reason for the TCP path: a view past one datagram (64 KB) must cross
// as one frame within the limits and decode to the same members.
TEST(SwimStream, ThreeThousandMemberViewCrossesAsOneFrame) {
  Names a;
  Packet p{MsgType::kPushPull, 0, 0, std::nullopt, kFlagReply, {}};
  for (int i = 0; i < 3000; ++i) {
    const auto m = a.intern("node-" + std::to_string(i));
    a.set_addr(m, "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":7000");
    p.updates.push_back({i % 7 == 0 ? Status::kSuspect : Status::kAlive, m, static_cast<Incarnation>(i % 5), 0});
  }
  const std::string packet = encode(a, p);
  EXPECT_GT(packet.size(), 65536u) << "the test must exceed one datagram";
  EXPECT_LE(packet.size(), kMaxPushPullBytes);

  const std::string frame = encode_frame(make_push_pull_message("node-0", packet));
  const Limits limits;  // the node's default frame limit
  EXPECT_LE(frame.size(), limits.max_frame_bytes);
  FrameDecoder decoder(limits.max_frame_bytes);
  // Fed in TCP-sized pieces, as a socket delivers it.
  for (std::size_t i = 0; i < frame.size(); i += 1460) decoder.feed(std::string_view(frame).substr(i, 1460));
  const auto message = decoder.next();
  ASSERT_TRUE(message);
  ASSERT_TRUE(is_push_pull_message(*message));
  const auto v = push_pull_view(*message);
  ASSERT_TRUE(v.packet) << v.error;
  EXPECT_EQ(*v.packet, packet);

  Names b;  // the receiving process numbers members its own way
  const auto q = decode(b, *v.packet);
  ASSERT_TRUE(q);
  ASSERT_EQ(q->updates.size(), 3000u);
  for (std::size_t i = 0; i < 3000; ++i) {
    EXPECT_EQ(b.name(q->updates[i].member), a.name(p.updates[i].member));
    EXPECT_EQ(q->updates[i].status, p.updates[i].status);
    EXPECT_EQ(q->updates[i].incarnation, p.updates[i].incarnation);
  }
  EXPECT_EQ(b.addr(q->updates[2999].member), "10.0.11.249:7000");
}

}  // namespace
}  // namespace faultline::node::swim
