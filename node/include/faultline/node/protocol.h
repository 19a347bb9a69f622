// Wire format shared by clients and peers; node/PROTOCOL.md is the prose.
//
// A frame is a 4-byte big-endian length followed by that many bytes of one
// UTF-8 JSON object. Length-prefixing lets a reader refuse an oversize frame
// before buffering it, and keeps values with newlines unescaped-safe.
//
// Parsing never trusts input: every field is type-checked, sizes are checked
// against the limits, and every problem becomes a ProtocolError carrying a
// stable error code for the reply. Nothing here throws anything else.
#ifndef FAULTLINE_NODE_PROTOCOL_H_
#define FAULTLINE_NODE_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/node/ae_wire.h"
#include "faultline/node/version.h"

namespace faultline::node {

// Bumped on any incompatible change to peer messages. Peers must match exactly.
inline constexpr int kPeerProtocolVersion = 1;
inline constexpr std::size_t kFrameHeaderBytes = 4;
// Deepest [ / { nesting a frame body may have. Real messages need 4
// (message > record > sibling > ctx). nlohmann::json copies and prints values
// recursively, so without a bound a ~200 KB frame of nested arrays in "id"
// overflowed the stack of whichever node received it.
inline constexpr std::size_t kMaxJsonDepth = 32;

struct Limits {
  std::uint32_t max_frame_bytes = 4u << 20;
  std::uint32_t max_key_bytes = 1024;
  std::uint32_t max_value_bytes = 1u << 20;
};

// Stable error codes (the "error" field of a reply).
namespace errc {
inline constexpr const char* kBadFrame = "bad_frame";          // not a JSON object; connection closed
inline constexpr const char* kFrameTooLarge = "frame_too_large";  // connection closed
inline constexpr const char* kBadRequest = "bad_request";      // a field is missing or ill-typed
inline constexpr const char* kKeyTooLarge = "key_too_large";
inline constexpr const char* kValueTooLarge = "value_too_large";
inline constexpr const char* kUnknownOp = "unknown_op";
inline constexpr const char* kProtocolVersion = "protocol_version";  // connection closed
inline constexpr const char* kUnavailable = "unavailable";  // too few live replicas: nothing was attempted
inline constexpr const char* kTimeout = "timeout";          // level not reached in time
inline constexpr const char* kQuorumFailed = "quorum_failed";  // every call finished, too few succeeded
inline constexpr const char* kBadContext = "bad_context";  // vv context names a dot never issued
inline constexpr const char* kStorage = "storage";
inline constexpr const char* kInternal = "internal";
}  // namespace errc

// What a failed request means for the caller's history.
//   fail: definitely did not happen (nothing was written anywhere);
//   info: may have happened (some replica may hold the write).
enum class Outcome { kFail, kInfo };
std::string_view to_string(Outcome o);

struct ProtocolError : std::runtime_error {
  ProtocolError(std::string code, const std::string& message, bool close = false)
      : std::runtime_error(message), code(std::move(code)), close_connection(close) {}
  std::string code;
  bool close_connection;
};

// Frame encoding. encode_frame throws ProtocolError(kFrameTooLarge) past 4 GiB.
std::string encode_frame(const nlohmann::json& message);
// Big-endian length from a 4-byte header.
std::uint32_t decode_frame_length(const unsigned char* header);
// Parses a frame body; throws ProtocolError(kBadFrame, close) unless it is
// a JSON object nested at most kMaxJsonDepth deep.
nlohmann::json parse_frame_body(std::string_view body);
// Deepest array/object nesting in a JSON text (strings skipped), counted
// without recursion; stops counting past `cap`. Garbage in, some number out:
// the parser judges validity.
std::size_t json_nesting_depth(std::string_view text, std::size_t cap);

// Incremental decoder for a byte stream (used by tests and fuzzing; the
// server reads header and body with Asio directly). Throws ProtocolError on
// an oversize length or a bad body; the stream is unusable afterwards.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint32_t max_frame_bytes) : max_(max_frame_bytes) {}
  void feed(std::string_view bytes);
  std::optional<nlohmann::json> next();

 private:
  std::uint32_t max_;
  std::string buffer_;
  std::size_t pos_ = 0;  // start of the first undecoded byte (compacted lazily)
};

enum class ClientOp { kGet, kPut, kDelete, kStatus, kPing, kAdmin };

struct ClientRequest {
  nlohmann::json id;  // echoed in the reply; null if absent
  ClientOp op = ClientOp::kPing;
  std::string key;
  std::optional<std::string> value;     // put
  nlohmann::json level;                 // "consistency" / "r" / "w"; null: node default
  bool local = false;                   // get: this node's own storage only
  std::optional<VersionVector> context; // put/delete under vv
  std::optional<bool> zombie;           // admin: enter / leave zombie mode
};

// Validates a client message (limits included); throws ProtocolError.
ClientRequest parse_client_request(const nlohmann::json& message, const Limits& limits);

// Peer messages carry "op": "peer.read" | "peer.write" | "peer.hint" | "peer.ping",
// "proto": kPeerProtocolVersion and "from": sender id.
enum class PeerOp { kRead, kWrite, kHint, kPing };  // ping: liveness probe, no key

struct PeerRequest {
  nlohmann::json id;
  PeerOp op = PeerOp::kRead;
  std::string from;
  std::string key;
  std::string owner;  // hint
  Record record;      // write / hint
};

bool is_peer_message(const nlohmann::json& message);
// Every peer message (data and anti-entropy) is checked for "proto" first:
// throws ProtocolError(kProtocolVersion, close) unless it is ours.
void check_peer_protocol_version(const nlohmann::json& message);
// Throws ProtocolError (kProtocolVersion with close for a version mismatch).
PeerRequest parse_peer_request(const nlohmann::json& message, const Limits& limits);
// One frame as the node's dispatcher sees it: "op" starting with "peer." is
// a peer request (version checked first), anything else a client request.
// Pure, so the fuzz targets in node/fuzz/ exercise exactly the server's path.
// "peer.ae_*" is an anti-entropy request (ae_wire.h), checked the same way.
using Request = std::variant<ClientRequest, PeerRequest, AeRequest>;
Request parse_request(const nlohmann::json& message, const Limits& limits);
// Validates an anti-entropy message (version first, like every peer
// message); throws ProtocolError naming the bad field. In src/ae_wire.cpp.
AeRequest parse_ae_request(const nlohmann::json& message, const Limits& limits);

nlohmann::json make_peer_request(PeerOp op, const std::string& from, const std::string& key,
                                 const Record* record = nullptr, const std::string& owner = "");

// Reply helpers.
nlohmann::json error_reply(const nlohmann::json& id, std::string_view code, std::string_view message,
                           std::optional<Outcome> outcome = std::nullopt);

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_PROTOCOL_H_
