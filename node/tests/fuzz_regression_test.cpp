// Inputs found by (or written against) the libFuzzer targets in node/fuzz/:
// each test feeds one to the same parser path the server runs and checks
// the node answers with an error instead of crashing. The inputs are also in
// node/fuzz/corpus/, so the smoke runs replay them.
#include "faultline/node/protocol.h"

#include <gtest/gtest.h>

namespace faultline::node {
namespace {

using Json = nlohmann::json;

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string frame_of(const std::string& body) {
  const auto n = static_cast<std::uint32_t>(body.size());
  std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                  static_cast<char>(n)};
  return out + body;
}

// Found by reasoning about the client fuzzer's reply path, confirmed by a
// crash: a 200 KB frame nesting arrays 100000 deep in "id" parsed fine, then
// the dispatcher's copy of the id (and the reply's dump) recursed once per
// level and overflowed the stack, killing the node for every client.
TEST(FuzzRegression, DeeplyNestedIdIsABadFrameNotAStackOverflow) {
  FrameDecoder d(4u << 20);
  d.feed(frame_of("{\"op\":\"ping\",\"id\":" + nested(100000) + "}"));
  try {
    d.next();
    FAIL() << "a 100000-deep body was accepted";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code, errc::kBadFrame);
    EXPECT_TRUE(e.close_connection);
    EXPECT_NE(std::string(e.what()).find("deeper than 32"), std::string::npos) << e.what();
  }
}

TEST(FuzzRegression, NestingIsLimitedAnywhereInTheBody) {
  // In a peer record as well as in the id; objects count like arrays.
  std::string deep_objects;
  for (int i = 0; i < 40; ++i) deep_objects += "{\"a\":";
  deep_objects += "1" + std::string(40, '}');
  for (const std::string& body :
       {"{\"op\":\"peer.write\",\"proto\":1,\"from\":\"n\",\"key\":\"k\",\"record\":" + nested(33) + "}",
        "{\"op\":\"ping\",\"id\":" + deep_objects + "}"}) {
    try {
      parse_frame_body(body);
      FAIL() << body;
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.code, errc::kBadFrame);
    }
  }
}

TEST(FuzzRegression, NestingUpToTheLimitAndBracketsInStringsAreFine) {
  // The outer object is level 1, so an id of depth kMaxJsonDepth - 1 fits.
  auto m = parse_frame_body("{\"op\":\"ping\",\"id\":" + nested(kMaxJsonDepth - 1) + "}");
  EXPECT_EQ(std::get<ClientRequest>(parse_request(m, {})).op, ClientOp::kPing);
  EXPECT_THROW(parse_frame_body("{\"id\":" + nested(kMaxJsonDepth) + "}"), ProtocolError);
  // Brackets and escaped quotes inside strings are data, not nesting.
  const std::string value = std::string(100, '[') + "\\\"" + std::string(100, '{');
  auto put = parse_frame_body("{\"op\":\"put\",\"key\":\"k\",\"value\":\"" + value + "\"}");
  EXPECT_EQ(std::get<ClientRequest>(parse_request(put, {})).value->size(), 201u);
  EXPECT_EQ(json_nesting_depth("[\"]\"]", 100), 1u);
  EXPECT_EQ(json_nesting_depth("\"\\\\\"[[", 100), 2u);  // an escaped backslash ends before the quote
}

TEST(FuzzRegression, ParseRequestDispatchesOnThePeerPrefix) {
  const Json peer = make_peer_request(PeerOp::kPing, "n2", "");
  EXPECT_TRUE(std::holds_alternative<PeerRequest>(parse_request(peer, {})));
  EXPECT_TRUE(std::holds_alternative<ClientRequest>(parse_request({{"op", "ping"}}, {})));
  try {
    parse_request({{"op", "peer.read"}, {"from", "n2"}, {"key", "k"}}, {});  // no proto
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code, errc::kProtocolVersion);
    EXPECT_TRUE(e.close_connection);
  }
}

}  // namespace
}  // namespace faultline::node
