#include "faultline/node/protocol.h"

#include <algorithm>

namespace faultline::node {

using Json = nlohmann::json;

std::string_view to_string(Outcome o) { return o == Outcome::kFail ? "fail" : "info"; }

std::string encode_frame(const Json& message) {
  std::string body = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (body.size() > 0xffffffffULL) throw ProtocolError(errc::kFrameTooLarge, "frame exceeds 4 GiB");
  const auto n = static_cast<std::uint32_t>(body.size());
  std::string out;
  out.reserve(kFrameHeaderBytes + body.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out += body;
  return out;
}

std::uint32_t decode_frame_length(const unsigned char* h) {
  return (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) | (std::uint32_t{h[2]} << 8) | std::uint32_t{h[3]};
}

std::size_t json_nesting_depth(std::string_view text, std::size_t cap) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > cap) return deepest;
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Json parse_frame_body(std::string_view body) {
  // Checked before parsing: the parser itself copes, but every later copy or
  // dump of a deep value recurses once per level.
  if (json_nesting_depth(body, kMaxJsonDepth) > kMaxJsonDepth)
    throw ProtocolError(errc::kBadFrame,
                        "frame body nests arrays/objects deeper than " + std::to_string(kMaxJsonDepth) + " levels",
                        true);
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ProtocolError(errc::kBadFrame, "frame body is not valid JSON", true);
  if (!j.is_object()) throw ProtocolError(errc::kBadFrame, "frame body is not a JSON object", true);
  return j;
}

void FrameDecoder::feed(std::string_view bytes) {
  // Compact only when the consumed prefix dominates, so decoding k frames
  // from one read costs O(bytes), not O(k * bytes).
  if (pos_ > 0 && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<Json> FrameDecoder::next() {
  const std::size_t avail = buffer_.size() - pos_;
  if (avail < kFrameHeaderBytes) return std::nullopt;
  const auto n = decode_frame_length(reinterpret_cast<const unsigned char*>(buffer_.data() + pos_));
  if (n > max_)
    throw ProtocolError(errc::kFrameTooLarge,
                        "frame of " + std::to_string(n) + " bytes exceeds limit " + std::to_string(max_), true);
  if (avail < kFrameHeaderBytes + n) return std::nullopt;
  const std::size_t start = pos_ + kFrameHeaderBytes;
  pos_ = start + n;  // consumed even if the body is bad: the stream is dead anyway
  return parse_frame_body(std::string_view(buffer_).substr(start, n));
}

namespace {

std::string need_string(const Json& m, const char* field) {
  auto it = m.find(field);
  if (it == m.end() || !it->is_string())
    throw ProtocolError(errc::kBadRequest, std::string("field '") + field + "' must be a string");
  return it->get<std::string>();
}

void check_key(const std::string& key, const Limits& limits) {
  if (key.empty()) throw ProtocolError(errc::kBadRequest, "key must not be empty");
  if (key.size() > limits.max_key_bytes)
    throw ProtocolError(errc::kKeyTooLarge, "key of " + std::to_string(key.size()) + " bytes exceeds limit " +
                                                std::to_string(limits.max_key_bytes));
}

void check_record(const Record& r, const Limits& limits) {
  for (const auto& s : r.siblings)
    if (s.value && s.value->size() > limits.max_value_bytes)
      throw ProtocolError(errc::kValueTooLarge, "value exceeds limit");
}

}  // namespace

ClientRequest parse_client_request(const Json& m, const Limits& limits) {
  ClientRequest req;
  if (m.contains("id")) req.id = m["id"];
  const std::string op = need_string(m, "op");
  if (op == "get") req.op = ClientOp::kGet;
  else if (op == "put") req.op = ClientOp::kPut;
  else if (op == "delete") req.op = ClientOp::kDelete;
  else if (op == "status") req.op = ClientOp::kStatus;
  else if (op == "ping") req.op = ClientOp::kPing;
  else if (op == "admin") req.op = ClientOp::kAdmin;
  else throw ProtocolError(errc::kUnknownOp, "unknown op '" + op + "' (known: get, put, delete, status, ping, admin)");
  if (req.op == ClientOp::kAdmin) {
    if (m.contains("zombie")) {
      if (!m["zombie"].is_boolean()) throw ProtocolError(errc::kBadRequest, "'zombie' must be true or false");
      req.zombie = m["zombie"].get<bool>();
    }
    return req;
  }
  if (req.op == ClientOp::kStatus || req.op == ClientOp::kPing) return req;

  req.key = need_string(m, "key");
  check_key(req.key, limits);
  if (req.op == ClientOp::kPut) {
    req.value = need_string(m, "value");
    if (req.value->size() > limits.max_value_bytes)
      throw ProtocolError(errc::kValueTooLarge, "value of " + std::to_string(req.value->size()) +
                                                    " bytes exceeds limit " + std::to_string(limits.max_value_bytes));
  }
  // The level may be named "consistency" or, per direction, "r" / "w".
  const char* own = req.op == ClientOp::kGet ? "r" : "w";
  for (const char* field : {"consistency", own}) {
    if (!m.contains(field)) continue;
    const Json& v = m[field];
    if (!v.is_string() && !v.is_number_integer())
      throw ProtocolError(errc::kBadRequest, std::string("'") + field + "' must be ONE, QUORUM, ALL or a count");
    req.level = v;
  }
  if (m.contains("local")) {
    if (!m["local"].is_boolean()) throw ProtocolError(errc::kBadRequest, "'local' must be true or false");
    req.local = m["local"].get<bool>();
  }
  if (m.contains("context") && !m["context"].is_null()) {
    try {
      req.context = vv_from_json(m["context"]);
    } catch (const std::exception& e) {
      throw ProtocolError(errc::kBadRequest, std::string("bad context: ") + e.what());
    }
  }
  return req;
}

bool is_peer_message(const Json& m) {
  auto it = m.find("op");
  return it != m.end() && it->is_string() && it->get<std::string>().rfind("peer.", 0) == 0;
}

void check_peer_protocol_version(const Json& m) {
  auto proto = m.find("proto");
  if (proto == m.end() || !proto->is_number_integer() || proto->get<std::int64_t>() != kPeerProtocolVersion)
    throw ProtocolError(errc::kProtocolVersion,
                        "peer protocol version mismatch: this node speaks " + std::to_string(kPeerProtocolVersion) +
                            ", got " + (proto == m.end() ? std::string("none") : proto->dump()),
                        /*close=*/true);
}

PeerRequest parse_peer_request(const Json& m, const Limits& limits) {
  check_peer_protocol_version(m);
  PeerRequest req;
  if (m.contains("id")) req.id = m["id"];
  const std::string op = need_string(m, "op");
  req.from = need_string(m, "from");
  if (op == "peer.ping") {
    req.op = PeerOp::kPing;
    return req;
  }
  req.key = need_string(m, "key");
  check_key(req.key, limits);
  if (op == "peer.read") {
    req.op = PeerOp::kRead;
    return req;
  }
  if (op == "peer.write") req.op = PeerOp::kWrite;
  else if (op == "peer.hint") {
    req.op = PeerOp::kHint;
    req.owner = need_string(m, "owner");
  } else
    throw ProtocolError(errc::kUnknownOp, "unknown peer op '" + op + "'");
  try {
    req.record = record_from_json(m.value("record", Json()));
  } catch (const std::exception& e) {
    throw ProtocolError(errc::kBadRequest, e.what());
  }
  check_record(req.record, limits);
  return req;
}

Request parse_request(const Json& m, const Limits& limits) {
  if (is_ae_message(m)) return parse_ae_request(m, limits);
  if (is_peer_message(m)) return parse_peer_request(m, limits);
  return parse_client_request(m, limits);
}

Json make_peer_request(PeerOp op, const std::string& from, const std::string& key, const Record* record,
                       const std::string& owner) {
  Json m = {{"proto", kPeerProtocolVersion}, {"from", from}, {"key", key}};
  switch (op) {
    case PeerOp::kRead: m["op"] = "peer.read"; break;
    case PeerOp::kPing: m["op"] = "peer.ping"; break;
    case PeerOp::kWrite: m["op"] = "peer.write"; break;
    case PeerOp::kHint:
      m["op"] = "peer.hint";
      m["owner"] = owner;
      break;
  }
  if (record) m["record"] = to_json(*record);
  return m;
}

Json error_reply(const Json& id, std::string_view code, std::string_view message, std::optional<Outcome> outcome) {
  Json r = {{"id", id}, {"ok", false}, {"error", code}, {"message", message}};
  if (outcome) r["outcome"] = to_string(*outcome);
  return r;
}

}  // namespace faultline::node

