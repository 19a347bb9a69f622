// Inputs found by (or written against) the libFuzzer targets in node/fuzz/:
// each test feeds one to the same parser path the server runs and checks
// the node answers with an error instead of crashing. The inputs are also in
// node/fuzz/corpus/, so the smoke runs replay them.
#include "faultline/node/config.h"
#include "hlc.h"
#include "faultline/node/protocol.h"

#include <limits>

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

// Found while writing the client fuzzer's reply path (libFuzzer's 4 KB
// inputs are too short to reach it), confirmed by a crash: a 200 KB frame nesting arrays 100000 deep in "id" parsed fine, then
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

// Found while writing the client target's level check: get<int>() narrowed
// 4294967297 to 1, so {"consistency": 4294967297} was served at ONE.
TEST(FuzzRegression, OutOfRangeNumericLevelsAreRefusedNotNarrowed) {
  for (const Json& level : {Json(4294967297LL), Json(-4294967295LL), Json(18446744073709551615ULL),
                            Json(9223372036854775807LL), Json(0), Json(-1)})
    EXPECT_EQ(resolve_consistency(level, 3), std::nullopt) << level.dump();
  EXPECT_EQ(resolve_consistency(Json(2), 3), 2);
  EXPECT_EQ(resolve_consistency(Json(2u), 3), 2);
  // Through the parser: the request is accepted (the coordinator refuses
  // levels above n with bad_request), but the level is never read as 1.
  auto req = std::get<ClientRequest>(parse_request(
      parse_frame_body(R"({"op":"get","key":"k","consistency":4294967297})"), {}));
  EXPECT_NE(resolve_consistency(req.level, 3), 1);
}

TEST(FuzzRegression, VersionVectorCountersAbove2To63AreNotNegative) {
  const auto vv = vv_from_json(Json::parse(R"({"n1": 9223372036854775808})"));
  EXPECT_EQ(vv.at("n1"), 9223372036854775808ULL);
  EXPECT_THROW(vv_from_json(Json::parse(R"({"n1": -1})")), std::invalid_argument);
  EXPECT_THROW(vv_from_json(Json::parse(R"({"n1": 1.5})")), std::invalid_argument);
}

// Caught by peer_message_fuzz's HLC invariant on a hand-written seed (the
// 5-minute run had not reached it): a peer.write whose stamp had logical
// 2^32 - 1 made the replica's HLC wrap to logical 0, behind the stamp it had
// just seen, so the next lww-hlc write it coordinated was stamped lower than
// a stored one and silently lost.
TEST(FuzzRegression, HlcCarriesLogicalOverflowIntoWallInsteadOfWrapping) {
  constexpr std::int64_t now_us = 1'700'000'000'000'000;
  auto req = parse_peer_request(
      parse_frame_body(R"({"op":"peer.write","proto":1,"from":"n2","key":"k",)"
                       R"("record":[{"ts":[1800000000000000,4294967295,"n1"],"v":"x"}]})"),
      {});
  const auto s = max_stamp(req.record);
  ASSERT_TRUE(s.has_value());
  HybridClock clock([] { return now_us; });
  const HlcTime seen{s->wall, s->logical};
  clock.update(seen);
  const HlcTime next = clock.now();
  EXPECT_GT(next, seen);
  EXPECT_EQ(next.l, 1800000000000001);  // one microsecond ahead
  // A second observation of the same maximal stamp still moves forward.
  clock.update(seen);
  EXPECT_GT(clock.now(), next);
}

// Written with the fix above (wall 2^63 - 1): with no bound, stepping the
// HLC past such a stamp overflows. Stamps and dot counters beyond 2^62 are
// refused as malformed records (bad_request), far above any real clock.
TEST(FuzzRegression, AbsurdStampsAndDotCountersAreRefused) {
  for (const char* record : {R"([{"ts":[9223372036854775807,5,"n1"],"v":"x"}])",
                             R"([{"ts":[18446744073709551615,0,"n1"],"v":"x"}])",
                             R"([{"ts":[-9223372036854775808,0,"n1"],"v":"x"}])",
                             R"([{"ts":[1,0,"n1"],"v":"x","dot":["n1",18446744073709551615],"ctx":{}}])"}) {
    EXPECT_THROW(record_from_json(Json::parse(record)), std::invalid_argument) << record;
    Json m = Json::parse(R"({"op":"peer.write","proto":1,"from":"n2","key":"k"})");
    m["record"] = Json::parse(record);
    try {
      parse_peer_request(m, {});
      FAIL() << record;
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.code, errc::kBadRequest);
      EXPECT_FALSE(e.close_connection);
    }
  }
  EXPECT_NO_THROW(record_from_json(Json::parse(R"([{"ts":[4611686018427387904,0,"n1"],"v":"x"}])")));
  // The clock never steps past the bound, so whatever a node stamps stays
  // readable (a stamp above it would make the key unreadable on disk).
  HybridClock clock([] { return std::int64_t{0}; });
  clock.update({kMaxStampWall, std::numeric_limits<std::uint32_t>::max()});
  const HlcTime t = clock.now();
  EXPECT_EQ(t.l, kMaxStampWall);
  EXPECT_NO_THROW(record_from_json(Json::array({{{"ts", {t.l, t.c, "n1"}}, {"v", "x"}}})));
}

}  // namespace
}  // namespace faultline::node
