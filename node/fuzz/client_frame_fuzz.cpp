// libFuzzer target: the bytes a client can send to a node's port, through
// the code the server runs on them (server.cpp, node.cpp):
//   FrameDecoder (4-byte length, max_frame_bytes, JSON-object body)
//   -> parse_request (client/peer dispatch, field types, key/value limits)
//   -> resolve_consistency (the coordinator's reading of "consistency"/r/w)
//   -> the reply frame (echoing the request's id).
//
// Input: byte 0 chooses how the rest is cut into reads (TCP delivers any
// segmentation: 0 = one read, n = reads of n bytes). The rest is the stream.
// Limits are small so the fuzzer reaches every limit branch cheaply.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "faultline/node/config.h"
#include "faultline/node/protocol.h"
#include "fuzz_checks.h"

using namespace faultline::node;
using faultline::node::fuzz::check_error_reply;
using faultline::node::fuzz::check_reply_encodes;
using Json = nlohmann::json;

namespace {

constexpr Limits kLimits{/*max_frame_bytes=*/1u << 16, /*max_key_bytes=*/16, /*max_value_bytes=*/64};
constexpr int kReplicas = 3;  // n of the cluster the level is resolved against

void check_client_request(const ClientRequest& req) {
  const bool keyed = req.op == ClientOp::kGet || req.op == ClientOp::kPut || req.op == ClientOp::kDelete;
  if (keyed) {
    FUZZ_CHECK(!req.key.empty(), "accepted an empty key");
    FUZZ_CHECK(req.key.size() <= kLimits.max_key_bytes, "accepted an oversize key");
  }
  if (req.op == ClientOp::kPut) {
    FUZZ_CHECK(req.value.has_value(), "put without a value");
    FUZZ_CHECK(req.value->size() <= kLimits.max_value_bytes, "accepted an oversize value");
  }
  // The coordinator turns the level into a replica count; whatever it makes
  // of it must be a usable count or a refusal, never a throw.
  if (!req.level.is_null()) {
    FUZZ_CHECK(req.level.is_string() || req.level.is_number_integer(), "level of an unexpected type");
    std::optional<int> n;
    try {
      n = resolve_consistency(req.level, kReplicas);
    } catch (const std::exception& e) {
      FUZZ_CHECK(false, e.what());
    }
    FUZZ_CHECK(!n || *n >= 1, "level resolved to a count below 1");
    // A numeric level means exactly that count, or is refused.
    if (n && req.level.is_number_integer()) FUZZ_CHECK(req.level == *n, "numeric level misread");
  }
  if (req.context) check_reply_encodes(Json{{"id", req.id}, {"ok", true}, {"context", to_json(*req.context)}});
}

// One decoded frame through the dispatcher. Returns false when the node
// would close the connection.
bool handle(const Json& message) {
  const Json id = message.contains("id") ? message["id"] : Json();
  try {
    Request parsed = parse_request(message, kLimits);
    if (auto* client = std::get_if<ClientRequest>(&parsed)) {
      FUZZ_CHECK(!is_peer_message(message), "peer message parsed as a client request");
      check_client_request(*client);
      check_reply_encodes(Json{{"id", client->id}, {"ok", true}});
    } else {
      FUZZ_CHECK(is_peer_message(message), "client message parsed as a peer request");
      FUZZ_CHECK(message.at("proto") == kPeerProtocolVersion, "peer request of another version accepted");
    }
    return true;
  } catch (const ProtocolError& e) {
    check_error_reply(id, e);
    return !e.close_connection;
  }
  // Anything else escaping is a bug: libFuzzer reports the uncaught exception.
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = data[0] == 0 ? size : data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  FrameDecoder decoder(kLimits.max_frame_bytes);
  for (std::size_t off = 0; off < stream.size(); off += chunk) {
    decoder.feed(stream.substr(off, chunk));
    for (;;) {
      std::optional<Json> message;
      try {
        message = decoder.next();
      } catch (const ProtocolError& e) {
        check_error_reply(Json(), e);  // Session: one reply, then close
        FUZZ_CHECK(e.close_connection, "a framing error left the connection open");
        return 0;
      }
      if (!message) break;
      FUZZ_CHECK(message->is_object(), "decoder returned a non-object");
      if (!handle(*message)) return 0;
    }
  }
  return 0;
}
