#include "faultline/node/protocol.h"

#include <gtest/gtest.h>

namespace faultline::node {
namespace {

using Json = nlohmann::json;

TEST(Frame, RoundTripThroughTheDecoderByteByByte) {
  std::string stream = encode_frame({{"op", "ping"}, {"id", 1}}) + encode_frame({{"op", "status"}, {"v", "a\nb"}});
  FrameDecoder d(1024);
  std::vector<Json> got;
  for (char ch : stream) {
    d.feed(std::string_view(&ch, 1));
    while (auto j = d.next()) got.push_back(*j);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["op"], "ping");
  EXPECT_EQ(got[1]["v"], "a\nb");
}

TEST(Frame, OversizeLengthIsRefusedBeforeBuffering) {
  FrameDecoder d(100);
  d.feed(std::string("\x00\x01\x00\x00", 4));
  try {
    d.next();
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code, errc::kFrameTooLarge);
    EXPECT_TRUE(e.close_connection);
  }
}

TEST(Frame, BodiesThatAreNotObjectsAreBadFrames) {
  for (std::string body : {"", "nul", "[1,2]", "\"str\"", "{\"a\":", "\xff\xfe"}) {
    try {
      parse_frame_body(body);
      FAIL() << body;
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.code, errc::kBadFrame);
    }
  }
}

std::string code_of(const Json& m, Limits limits = {}) {
  try {
    parse_client_request(m, limits);
    return "ok";
  } catch (const ProtocolError& e) {
    return e.code;
  }
}

TEST(ClientRequest, ValidRequests) {
  auto put = parse_client_request(
      {{"id", 7}, {"op", "put"}, {"key", "k"}, {"value", "v"}, {"consistency", "ALL"}, {"context", {{"n1", 3}}}}, {});
  EXPECT_EQ(put.op, ClientOp::kPut);
  EXPECT_EQ(put.id, 7);
  EXPECT_EQ(*put.value, "v");
  EXPECT_EQ(put.level, "ALL");
  EXPECT_EQ(put.context->at("n1"), 3u);
  auto get = parse_client_request({{"op", "get"}, {"key", "k"}, {"r", 1}, {"local", true}}, {});
  EXPECT_EQ(get.level, 1);
  EXPECT_TRUE(get.local);
  EXPECT_EQ(parse_client_request({{"op", "status"}}, {}).op, ClientOp::kStatus);
}

TEST(ClientRequest, AdminTogglesZombieMode) {
  auto on = parse_client_request({{"op", "admin"}, {"zombie", true}}, {});
  EXPECT_EQ(on.op, ClientOp::kAdmin);
  EXPECT_EQ(on.zombie, true);
  EXPECT_FALSE(parse_client_request({{"op", "admin"}}, {}).zombie.has_value());
  EXPECT_THROW(parse_client_request({{"op", "admin"}, {"zombie", "yes"}}, {}), ProtocolError);
}

TEST(Frame, ManyFramesInOneFeed) {
  std::string stream;
  for (int i = 0; i < 1000; ++i) stream += encode_frame({{"i", i}});
  FrameDecoder d(1024);
  d.feed(stream.substr(0, stream.size() / 2));
  int seen = 0;
  while (auto j = d.next()) EXPECT_EQ((*j)["i"], seen++);
  d.feed(stream.substr(stream.size() / 2));
  while (auto j = d.next()) EXPECT_EQ((*j)["i"], seen++);
  EXPECT_EQ(seen, 1000);
}

TEST(ClientRequest, BadRequestsGetStableCodes) {
  Limits small{1024, 4, 8};
  EXPECT_EQ(code_of({{"key", "k"}}), errc::kBadRequest);
  EXPECT_EQ(code_of({{"op", 3}}), errc::kBadRequest);
  EXPECT_EQ(code_of({{"op", "frobnicate"}}), errc::kUnknownOp);
  EXPECT_EQ(code_of({{"op", "get"}}), errc::kBadRequest);
  EXPECT_EQ(code_of({{"op", "get"}, {"key", ""}}), errc::kBadRequest);
  EXPECT_EQ(code_of({{"op", "get"}, {"key", "toolong"}}, small), errc::kKeyTooLarge);
  EXPECT_EQ(code_of({{"op", "put"}, {"key", "k"}, {"value", "far too long"}}, small), errc::kValueTooLarge);
  EXPECT_EQ(code_of({{"op", "put"}, {"key", "k"}}), errc::kBadRequest);
  EXPECT_EQ(code_of({{"op", "put"}, {"key", "k"}, {"value", 5}}), errc::kBadRequest);
  EXPECT_EQ(code_of({{"op", "get"}, {"key", "k"}, {"consistency", {1}}}), errc::kBadRequest);
  EXPECT_EQ(code_of({{"op", "put"}, {"key", "k"}, {"value", "v"}, {"context", {{"n1", -1}}}}), errc::kBadRequest);
  EXPECT_EQ(code_of({{"op", "put"}, {"key", "k"}, {"value", "v"}, {"context", "abc"}}), errc::kBadRequest);
}

TEST(PeerRequest, WrongProtocolVersionClosesTheConnection) {
  Json m = make_peer_request(PeerOp::kRead, "n1", "k");
  EXPECT_NO_THROW(parse_peer_request(m, {}));
  m["proto"] = kPeerProtocolVersion + 1;
  try {
    parse_peer_request(m, {});
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code, errc::kProtocolVersion);
    EXPECT_TRUE(e.close_connection);
  }
  m.erase("proto");
  EXPECT_THROW(parse_peer_request(m, {}), ProtocolError);
}

TEST(PeerRequest, WriteCarriesARecord) {
  Sibling s;
  s.value = "v";
  s.stamp = {1, 2, "n1"};
  Record r{{s}};
  Json m = make_peer_request(PeerOp::kHint, "n1", "k", &r, "n3");
  EXPECT_TRUE(is_peer_message(m));
  auto req = parse_peer_request(m, {});
  EXPECT_EQ(req.op, PeerOp::kHint);
  EXPECT_EQ(req.owner, "n3");
  EXPECT_EQ(req.record, r);
  m["record"] = "garbage";
  EXPECT_THROW(parse_peer_request(m, {}), ProtocolError);
  Limits small{1024, 100, 0};
  EXPECT_THROW(parse_peer_request(make_peer_request(PeerOp::kWrite, "n1", "k", &r), small), ProtocolError);
}

}  // namespace
}  // namespace faultline::node
