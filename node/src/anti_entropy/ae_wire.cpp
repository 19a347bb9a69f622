// Anti-entropy messages: building and strict parsing (ae_wire.h).
#include "faultline/node/ae_wire.h"

#include "anti_entropy/merkle_tree.h"
#include "faultline/node/protocol.h"

namespace faultline::node {

using Json = nlohmann::json;

std::string_view to_string(AeOp op) {
  switch (op) {
    case AeOp::kRoot: return "peer.ae_root";
    case AeOp::kTree: return "peer.ae_tree";
    case AeOp::kLeaves: return "peer.ae_leaves";
    case AeOp::kFetch: return "peer.ae_fetch";
    case AeOp::kPush: return "peer.ae_push";
  }
  return "?";
}

bool is_ae_message(const Json& m) {
  auto it = m.find("op");
  return it != m.end() && it->is_string() && it->get_ref<const std::string&>().rfind("peer.ae_", 0) == 0;
}

Json make_ae_request(const AeRequest& r) {
  Json m = {{"op", to_string(r.op)}, {"proto", kPeerProtocolVersion}, {"from", r.from},
            {"range", r.range},      {"depth", r.depth}};
  switch (r.op) {
    case AeOp::kRoot: m["root"] = hash_hex(r.root); break;
    case AeOp::kTree:
      m["level"] = r.level;
      m["nodes"] = r.nodes;
      break;
    case AeOp::kLeaves: m["leaves"] = r.nodes; break;
    case AeOp::kFetch: m["keys"] = r.keys; break;
    case AeOp::kPush: {
      Json items = Json::array();
      for (const auto& [key, rec] : r.items) items.push_back(Json::array({key, to_json(rec)}));
      m["items"] = std::move(items);
      break;
    }
  }
  return m;
}

namespace {

// Parsed text gives unsigned numbers; objects built in process may hold
// signed ones.
bool non_negative(const Json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
}

[[noreturn]] void bad(const std::string& op, const std::string& what) {
  throw ProtocolError(errc::kBadRequest, op + ": " + what);
}

std::uint64_t need_uint(const Json& m, const char* field, std::uint64_t below, const std::string& op) {
  auto it = m.find(field);
  if (it == m.end() || !non_negative(*it)) bad(op, std::string("field '") + field + "' must be a non-negative integer");
  const auto v = it->get<std::uint64_t>();
  if (v >= below) bad(op, std::string("field '") + field + "' is " + std::to_string(v) + ", must be below " + std::to_string(below));
  return v;
}

const Json& need_array(const Json& m, const char* field, std::size_t max, const std::string& op) {
  auto it = m.find(field);
  if (it == m.end() || !it->is_array()) bad(op, std::string("field '") + field + "' must be an array");
  if (it->size() > max)
    bad(op, std::string("field '") + field + "' has " + std::to_string(it->size()) + " entries, at most " +
                std::to_string(max) + " allowed");
  return *it;
}

std::string checked_key(const Json& k, const Limits& limits, const std::string& op, const std::string& where) {
  if (!k.is_string()) bad(op, where + " must be a string key");
  std::string key = k.get<std::string>();
  if (key.empty()) bad(op, where + ": key must not be empty");
  if (key.size() > limits.max_key_bytes)
    throw ProtocolError(errc::kKeyTooLarge, op + ": " + where + ": key of " + std::to_string(key.size()) +
                                                " bytes exceeds limit " + std::to_string(limits.max_key_bytes));
  return key;
}

}  // namespace

AeRequest parse_ae_request(const Json& m, const Limits& limits) {
  check_peer_protocol_version(m);
  AeRequest r;
  if (m.contains("id")) r.id = m["id"];
  const std::string op = m["op"].get<std::string>();  // is_ae_message checked it is a string
  if (op == "peer.ae_root") r.op = AeOp::kRoot;
  else if (op == "peer.ae_tree") r.op = AeOp::kTree;
  else if (op == "peer.ae_leaves") r.op = AeOp::kLeaves;
  else if (op == "peer.ae_fetch") r.op = AeOp::kFetch;
  else if (op == "peer.ae_push") r.op = AeOp::kPush;
  else
    throw ProtocolError(errc::kUnknownOp, "unknown anti-entropy op '" + op +
                                              "' (known: peer.ae_root, peer.ae_tree, peer.ae_leaves, peer.ae_fetch, peer.ae_push)");
  auto from = m.find("from");
  if (from == m.end() || !from->is_string()) bad(op, "field 'from' must be a string");
  r.from = from->get<std::string>();
  r.range = need_uint(m, "range", std::uint64_t{1} << 32, op);
  r.depth = static_cast<int>(need_uint(m, "depth", MerkleTree::kMaxDepth + 1, op));
  if (r.depth < 1) bad(op, "field 'depth' must be at least 1");
  switch (r.op) {
    case AeOp::kRoot: {
      auto it = m.find("root");
      std::optional<std::uint64_t> h;
      if (it != m.end() && it->is_string()) h = parse_hash64(it->get<std::string>());
      if (!h) bad(op, "field 'root' must be 16 lowercase hex digits");
      r.root = *h;
      break;
    }
    case AeOp::kTree:
    case AeOp::kLeaves: {
      std::uint64_t width;
      const char* field;
      if (r.op == AeOp::kTree) {
        r.level = static_cast<int>(need_uint(m, "level", static_cast<std::uint64_t>(r.depth), op));
        width = MerkleTree::width(r.level);
        field = "nodes";
      } else {
        width = MerkleTree::width(r.depth);
        field = "leaves";
      }
      const Json& a = need_array(m, field, kAeMaxNodes, op);
      for (const auto& v : a) {
        if (!non_negative(v) || v.get<std::uint64_t>() >= width)
          bad(op, std::string("'") + field + "' entries must be integers below " + std::to_string(width) + ", got " +
                      v.dump().substr(0, 40));
        r.nodes.push_back(v.get<std::uint64_t>());
      }
      break;
    }
    case AeOp::kFetch: {
      const Json& a = need_array(m, "keys", kAeMaxKeys, op);
      for (std::size_t i = 0; i < a.size(); ++i)
        r.keys.push_back(checked_key(a[i], limits, op, "keys[" + std::to_string(i) + "]"));
      break;
    }
    case AeOp::kPush: {
      const Json& a = need_array(m, "items", kAeMaxKeys, op);
      for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string where = "items[" + std::to_string(i) + "]";
        if (!a[i].is_array() || a[i].size() != 2) bad(op, where + " must be [key, record]");
        std::string key = checked_key(a[i][0], limits, op, where);
        Record rec;
        try {
          rec = record_from_json(a[i][1]);
        } catch (const std::exception& e) {
          bad(op, where + ": " + e.what());
        }
        for (const auto& s : rec.siblings)
          if (s.value && s.value->size() > limits.max_value_bytes)
            throw ProtocolError(errc::kValueTooLarge, op + ": " + where + ": value exceeds limit");
        r.items.emplace_back(std::move(key), std::move(rec));
      }
      break;
    }
  }
  return r;
}

}  // namespace faultline::node
