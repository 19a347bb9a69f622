// Anti-entropy peer messages (node/PROTOCOL.md, "Anti-entropy messages"):
// what an exchange between two replicas of a range sends, as data. Parsing
// (parse_ae_request in protocol.h) checks every field and bound, so a
// malformed frame is refused with an error naming the field.
//
//   peer.ae_root   {range, depth, root}         -> {root, keys}
//   peer.ae_tree   {range, depth, level, nodes} -> {hashes: one 256-hex string per node (its 16 children)}
//   peer.ae_leaves {range, depth, leaves}       -> {entries: [[key, digest-hex], ...]}
//   peer.ae_fetch  {range, depth, keys}         -> {records: [[key, record], ...], more}
//   peer.ae_push   {range, depth, items: [[key, record], ...]} -> {applied}
#ifndef FAULTLINE_NODE_AE_WIRE_H_
#define FAULTLINE_NODE_AE_WIRE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/node/version.h"

namespace faultline::node {

enum class AeOp { kRoot, kTree, kLeaves, kFetch, kPush };
std::string_view to_string(AeOp op);  // "peer.ae_root", ...

// Per-message bounds: a frame stays well under the frame limit, and one
// message cannot make a replica do unbounded work.
inline constexpr std::size_t kAeMaxNodes = 4096;  // tree nodes or leaves per message
inline constexpr std::size_t kAeMaxKeys = 1024;   // keys fetched or pushed per message

struct AeRequest {
  nlohmann::json id;
  AeOp op = AeOp::kRoot;
  std::string from;
  std::uint64_t range = 0;  // ring partition
  int depth = 0;            // the sender's tree depth; must equal the receiver's
  std::uint64_t root = 0;                              // root
  int level = 0;                                       // tree: 0 <= level < depth
  std::vector<std::uint64_t> nodes;                    // tree: indices at `level`; leaves: leaf indices
  std::vector<std::string> keys;                       // fetch
  std::vector<std::pair<std::string, Record>> items;   // push
};

// True for "op" starting with "peer.ae_".
bool is_ae_message(const nlohmann::json& message);
// The wire form (with "proto"; the caller sets "id").
nlohmann::json make_ae_request(const AeRequest& request);

}  // namespace faultline::node

#endif  // FAULTLINE_NODE_AE_WIRE_H_
