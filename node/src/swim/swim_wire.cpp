#include "swim/swim_wire.h"

namespace faultline::node::swim {

std::string_view to_string(MsgType t) {
  switch (t) {
    case MsgType::kPing: return "ping";
    case MsgType::kAck: return "ack";
    case MsgType::kPingReq: return "ping_req";
    case MsgType::kNack: return "nack";
    case MsgType::kGossip: return "gossip";
    case MsgType::kPushPull: return "push_pull";
    case MsgType::kHeartbeat: return "heartbeat";
    case MsgType::kVerdict: return "verdict";
  }
  return "?";
}

namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
// Names and addresses longer than 255 bytes are cut; config validation
// refuses such ids, so this only guards the format.
void put_str(std::string& out, std::string_view s) {
  if (s.size() > 255) s = s.substr(0, 255);
  out.push_back(static_cast<char>(s.size()));
  out.append(s);
}

struct Reader {
  std::string_view in;
  bool ok = true;
  std::uint8_t byte() {
    if (in.empty()) {
      ok = false;
      return 0;
    }
    auto b = static_cast<std::uint8_t>(in[0]);
    in.remove_prefix(1);
    return b;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t b = byte();
      if (!ok) return 0;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  std::string_view str() {
    const std::size_t n = byte();
    if (!ok || in.size() < n) {
      ok = false;
      return {};
    }
    auto s = in.substr(0, n);
    in.remove_prefix(n);
    return s;
  }
};

}  // namespace

std::size_t header_size(const Names& names, const Packet& p) {
  std::size_t n = 2 + 1 + names.name(p.from).size() + 1 + names.addr(p.from).size() + varint_size(p.seq) + 2 + 1 + 3;
  if (p.target) n += names.name(*p.target).size() + names.addr(*p.target).size();
  return n;
}

std::string encode_update(const Names& names, const Update& u) {
  std::string out;
  out.push_back(static_cast<char>(u.status));
  put_str(out, names.name(u.member));
  put_str(out, u.status == Status::kAlive ? std::string_view(names.addr(u.member)) : std::string_view());
  put_varint(out, u.incarnation);
  put_str(out, names.name(u.from));
  return out;
}

std::string encode(const Names& names, const Packet& p, const std::vector<std::string>& pre_encoded) {
  std::string out;
  out.reserve(header_size(names, p) + 32 * (p.updates.size() + pre_encoded.size()));
  out.push_back(static_cast<char>(kWireVersion));
  out.push_back(static_cast<char>(p.type));
  put_str(out, names.name(p.from));
  put_str(out, names.addr(p.from));
  put_varint(out, p.seq);
  put_str(out, p.target ? std::string_view(names.name(*p.target)) : std::string_view());
  put_str(out, p.target ? std::string_view(names.addr(*p.target)) : std::string_view());
  out.push_back(static_cast<char>(p.flags));
  put_varint(out, p.updates.size() + pre_encoded.size());
  for (const auto& u : p.updates) out += encode_update(names, u);
  for (const auto& e : pre_encoded) out += e;
  return out;
}

std::optional<Packet> decode(Names& names, std::string_view bytes) {
  Reader r{bytes};
  if (r.byte() != kWireVersion || !r.ok) return std::nullopt;
  Packet p;
  const std::uint8_t type = r.byte();
  if (type < 1 || type >= kMsgTypes) return std::nullopt;
  p.type = static_cast<MsgType>(type);
  const auto from = r.str();
  const auto from_addr = r.str();
  p.seq = r.varint();
  const auto target = r.str();
  const auto target_addr = r.str();
  p.flags = r.byte();
  const std::uint64_t count = r.varint();
  if (!r.ok || from.empty() || count > bytes.size()) return std::nullopt;
  struct Raw {
    std::uint8_t status;
    std::string_view member, addr, from;
    std::uint64_t inc;
  };
  std::vector<Raw> raw;
  raw.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    Raw u;
    u.status = r.byte();
    u.member = r.str();
    u.addr = r.str();
    u.inc = r.varint();
    u.from = r.str();
    if (!r.ok || u.status > 3 || u.member.empty() || u.from.empty() || u.inc > 0xffffffffu) return std::nullopt;
    raw.push_back(u);
  }
  if (!r.ok || !r.in.empty()) return std::nullopt;
  // Only now, with the whole packet valid, touch the name table.
  p.from = names.intern(from);
  if (!from_addr.empty()) names.set_addr(p.from, from_addr);
  if (!target.empty()) {
    p.target = names.intern(target);
    if (!target_addr.empty() && names.addr(*p.target).empty()) names.set_addr(*p.target, target_addr);
  }
  p.updates.reserve(raw.size());
  for (const auto& u : raw) {
    Update up{static_cast<Status>(u.status), names.intern(u.member), static_cast<Incarnation>(u.inc), names.intern(u.from)};
    if (up.status == Status::kAlive && !u.addr.empty()) names.set_addr(up.member, u.addr);
    p.updates.push_back(up);
  }
  return p;
}

}  // namespace faultline::node::swim
