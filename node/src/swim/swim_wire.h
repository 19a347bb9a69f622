// The SWIM / heartbeat datagram format (binary, little-endian varints).
//
//   packet   = version(1 byte = 1) type(1) from:str from_addr:str seq:varint
//              target:str target_addr:str flags(1) count:varint update*
//   update   = status(1) member:str addr:str incarnation:varint from:str
//   str      = length(1 byte, <= 255) bytes
//
// Names travel as strings so that processes need no shared numbering; each
// side interns them (swim_state.h Names). A push-pull sync is the same packet
// with type kPushPull and the sender's whole view as updates. decode() never
// throws past its caller's control: malformed input returns nullopt.
#ifndef FAULTLINE_NODE_SWIM_WIRE_H_
#define FAULTLINE_NODE_SWIM_WIRE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "swim/swim_state.h"

namespace faultline::node::swim {

enum class MsgType : std::uint8_t {
  kPing = 1,       // probe; target names who should answer
  kAck = 2,        // probe answered (seq = the probe's)
  kPingReq = 3,    // "probe target for me" (Lifeguard: answer nack if no ack)
  kNack = 4,       // the helper got no ack in time
  kGossip = 5,     // updates only
  kPushPull = 6,   // full view; flags bit 0 = reply, bit 1 = join
  kHeartbeat = 7,  // central mode: member -> monitor
  kVerdict = 8,    // central mode: monitor -> members (updates)
};
constexpr int kMsgTypes = 9;
std::string_view to_string(MsgType t);

constexpr std::uint8_t kWireVersion = 1;
constexpr std::uint8_t kFlagReply = 1;
constexpr std::uint8_t kFlagJoin = 2;

struct Packet {
  MsgType type = MsgType::kPing;
  MemberIdx from = 0;
  std::uint64_t seq = 0;
  std::optional<MemberIdx> target;
  std::uint8_t flags = 0;
  std::vector<Update> updates;
};

// Header bytes of a packet, to budget the updates that fit after it.
std::size_t header_size(const Names& names, const Packet& p);
// Encodes one update (addr is taken from `names` for alive updates).
std::string encode_update(const Names& names, const Update& u);
// Encodes the packet; `pre_encoded` updates (from a RetransmitQueue) follow p.updates.
std::string encode(const Names& names, const Packet& p, const std::vector<std::string>& pre_encoded = {});
// Decodes and interns names (updating addresses announced by alive updates
// and the sender's own address); nullopt on malformed input.
std::optional<Packet> decode(Names& names, std::string_view bytes);

}  // namespace faultline::node::swim

#endif  // FAULTLINE_NODE_SWIM_WIRE_H_
