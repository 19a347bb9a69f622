// Push-pull over TCP: how a SWIM full-view sync (swim_wire.h, type
// kPushPull) travels on the node's TCP port as one protocol.h frame.
//
// A view of a few thousand members is far past one datagram (~40 bytes a
// member), so the driver (swim_membership.h) sends every push-pull as the
// frame {"op": "swim.push_pull", "from": id, "view": base64(packet)} through
// its peer client; the receiver answers on the same connection with
// {"ok": true, "view": base64(its own view)} - the "pull" half - so one
// round trip syncs both sides. The frame layer gives the 4-byte length
// prefix and the frame limit (max_frame_bytes); this layer adds a limit on
// the decoded view (kMaxPushPullBytes) and turns every malformed field into
// an error string, never an exception past the caller.
#ifndef FAULTLINE_NODE_SWIM_STREAM_H_
#define FAULTLINE_NODE_SWIM_STREAM_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace faultline::node::swim {

inline constexpr const char* kPushPullOp = "swim.push_pull";
// 1 MiB of packet: ~25,000 members at ~40 bytes each; base64 makes it
// 1.4 MiB, under the default 4 MiB frame limit.
inline constexpr std::size_t kMaxPushPullBytes = 1u << 20;

std::string base64_encode(std::string_view bytes);
// nullopt unless `text` is canonical, padded base64.
std::optional<std::string> base64_decode(std::string_view text);

bool is_push_pull_message(const nlohmann::json& message);
nlohmann::json make_push_pull_message(const std::string& from, std::string_view packet);

struct StreamView {
  std::optional<std::string> packet;  // empty: see error
  std::string error;
};
// Extracts the packet bytes of a request's or reply's "view" field, checking
// type, encoding and kMaxPushPullBytes (`max_bytes`, for tests).
StreamView push_pull_view(const nlohmann::json& message, std::size_t max_bytes = kMaxPushPullBytes);

}  // namespace faultline::node::swim

#endif  // FAULTLINE_NODE_SWIM_STREAM_H_
