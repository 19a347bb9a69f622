// libFuzzer target: one frame body a peer (or anything claiming to be one)
// sends, through what a node does with it before and instead of touching
// the database:
//   parse_frame_body -> parse_request (version check first, then op, key,
//   owner, record) -> what Replica::handle does with the record without
//   storage: the HLC update from its stamps, the merge with what is stored,
//   and the disk round trip (to_json().dump() then Json::parse and
//   record_from_json, as sqlite_storage.cpp does). Anti-entropy messages
//   (peer.ae_*, ae_wire.h) must parse within their bounds and survive
//   encode + parse unchanged.
// The same body is also read as a peer's reply to peer.read, as the
// coordinator reads it (record_from_json(reply.at("record"))).
//
// The input is the body alone (the framing is client_frame_fuzz's job), so
// mutations go into the JSON. Invariants checked are the ones version.h and
// hlc.h promise: merge commutative and idempotent, at most one lww sibling,
// a stored record reads back equal, now() after update(t) greater than t.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "hlc.h"
#include "anti_entropy/merkle_tree.h"
#include "faultline/node/protocol.h"
#include "faultline/node/version.h"
#include "fuzz_checks.h"

using namespace faultline::node;
using faultline::node::fuzz::check_error_reply;
using faultline::node::fuzz::check_reply_encodes;
using Json = nlohmann::json;

namespace {

constexpr Limits kLimits{/*max_frame_bytes=*/1u << 16, /*max_key_bytes=*/16, /*max_value_bytes=*/64};
constexpr std::int64_t kNowUs = 1'700'000'000'000'000;  // a fixed physical clock: runs must be reproducible

// What a replica already holds for the key: a live lww value, and two vv
// siblings where one write saw the other.
Record stored_record() {
  Record r;
  Sibling a;
  a.value = "old";
  a.stamp = {kNowUs - 5, 0, "n1"};
  a.dot = {"n1", 7};
  Sibling b;
  b.value = "newer";
  b.stamp = {kNowUs - 1, 2, "n2"};
  b.dot = {"n2", 3};
  b.context = {{"n1", 6}};
  r.siblings = {a, b};
  return r;
}

// The record as sqlite_storage.cpp writes it and reads it back.
Record disk_round_trip(const Record& r) {
  std::string text;
  try {
    text = to_json(r).dump();
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, e.what());
  }
  try {
    return record_from_json(Json::parse(text));
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, e.what());  // the node would store what it can never read back
  }
  return {};
}

void check_record_handling(const Record& incoming) {
  // Stored records are merges, never raw input: check the stored form.
  for (Versioning mode : {Versioning::kLwwWall, Versioning::kLwwHlc, Versioning::kVv}) {
    const Record stored = merge(stored_record(), Record{}, mode);
    const Record ab = merge(stored, incoming, mode);
    const Record ba = merge(incoming, stored, mode);
    FUZZ_CHECK(ab == ba, "merge is not commutative");
    // For any input, malformed or not (version.h: merge normalises, then
    // joins): redelivery, self-merge and re-association change nothing.
    // Before records carried their context C, a context cycle made this fail.
    FUZZ_CHECK(merge(ab, incoming, mode) == ab, "merge is not idempotent");
    const Record norm = normalise(incoming, mode);
    FUZZ_CHECK(merge(incoming, incoming, mode) == norm, "self-merge is not the normal form");
    FUZZ_CHECK(normalise(norm, mode) == norm, "normalise is not idempotent");
    FUZZ_CHECK(merge(merge(incoming, stored, mode), norm, mode) == merge(incoming, merge(stored, norm, mode), mode),
               "merge is not associative");
    if (mode != Versioning::kVv) FUZZ_CHECK(ab.siblings.size() <= 1, "lww kept more than one sibling");
    FUZZ_CHECK(disk_round_trip(ab) == ab, "a stored record reads back different");
    FUZZ_CHECK(!is_stale(ab, ab, mode), "a record is stale against itself");
    (void)live_values(ab);
    (void)causal_context(ab);
  }
  // Replica::handle moves the HLC past every stamp it sees.
  if (auto s = max_stamp(incoming)) {
    HybridClock clock([] { return kNowUs; });
    const HlcTime seen{s->wall, s->logical};
    clock.update(seen);
    // At the bound itself the clock saturates (hlc.cpp says why).
    const bool at_bound = seen.l >= kMaxStampWall && seen.c == std::numeric_limits<std::uint32_t>::max();
    FUZZ_CHECK(at_bound || clock.now() > seen, "HLC now() not after an observed stamp");
    FUZZ_CHECK(clock.now().l <= std::max(kMaxStampWall, kNowUs), "HLC stepped past kMaxStampWall");
  }
}

void check_peer_request(const Json& message, const PeerRequest& req) {
  FUZZ_CHECK(message.at("proto") == kPeerProtocolVersion, "peer request of another version accepted");
  FUZZ_CHECK(!req.from.empty() || message.at("from") == "", "lost the sender");
  if (req.op != PeerOp::kPing) {
    FUZZ_CHECK(!req.key.empty() && req.key.size() <= kLimits.max_key_bytes, "accepted a bad key");
  }
  if (req.op == PeerOp::kWrite || req.op == PeerOp::kHint) {
    for (const auto& s : req.record.siblings)
      FUZZ_CHECK(!s.value || s.value->size() <= kLimits.max_value_bytes, "accepted an oversize value");
    check_record_handling(req.record);
  }
  if (req.op == PeerOp::kRead) check_reply_encodes(Json{{"id", req.id}, {"ok", true}, {"record", to_json(req.record)}});
}

// An anti-entropy request that parsed must be within its bounds and encode
// back (make_ae_request) to a message that parses to the same request.
void check_ae_request(const Json& message, const AeRequest& req) {
  FUZZ_CHECK(message.at("proto") == kPeerProtocolVersion, "ae request of another version accepted");
  FUZZ_CHECK(req.depth >= 1 && req.depth <= MerkleTree::kMaxDepth, "accepted a bad tree depth");
  FUZZ_CHECK(req.nodes.size() <= kAeMaxNodes && req.keys.size() <= kAeMaxKeys && req.items.size() <= kAeMaxKeys,
             "accepted an oversize ae message");
  const std::uint64_t width = MerkleTree::width(req.op == AeOp::kTree ? req.level : req.depth);
  for (auto n : req.nodes) FUZZ_CHECK(n < width, "accepted a tree node out of range");
  for (const auto& k : req.keys) FUZZ_CHECK(!k.empty() && k.size() <= kLimits.max_key_bytes, "accepted a bad key");
  for (const auto& [k, r] : req.items) {
    FUZZ_CHECK(!k.empty() && k.size() <= kLimits.max_key_bytes, "accepted a bad key");
    check_record_handling(r);
  }
  AeRequest again;
  try {
    again = parse_ae_request(parse_frame_body(make_ae_request(req).dump()), kLimits);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, e.what());  // what we encode we must accept
  }
  FUZZ_CHECK(again.op == req.op && again.range == req.range && again.depth == req.depth && again.root == req.root &&
                 again.nodes == req.nodes && again.keys == req.keys && again.items == req.items,
             "ae request does not survive encode + parse");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  Json message;
  try {
    message = parse_frame_body(body);
  } catch (const ProtocolError& e) {
    check_error_reply(Json(), e);
    return 0;
  }
  const Json id = message.contains("id") ? message["id"] : Json();
  try {
    Request parsed = parse_request(message, kLimits);
    if (auto* peer = std::get_if<PeerRequest>(&parsed)) check_peer_request(message, *peer);
    if (auto* ae = std::get_if<AeRequest>(&parsed)) check_ae_request(message, *ae);
  } catch (const ProtocolError& e) {
    check_error_reply(id, e);
    if (is_peer_message(message)) {
      const auto proto = message.find("proto");
      const bool right_version = proto != message.end() && *proto == kPeerProtocolVersion &&
                                 proto->is_number_integer();
      FUZZ_CHECK((e.code == errc::kProtocolVersion) == !right_version, "version check wrong");
    }
  }
  // The same bytes as a peer's reply to peer.read (coordinator.cpp).
  if (message.contains("record")) {
    try {
      check_record_handling(record_from_json(message.at("record")));
    } catch (const std::invalid_argument&) {
      // refused: the coordinator counts the replica as not answering
    }
  }
  return 0;
}
